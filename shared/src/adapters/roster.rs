//! The agencies' officers, as the console has seen them sign in: who a report can be
//! handed to inside an agency. The user pool knows every account, but reading it
//! needs an administrative grant on the pool and has no emulator in devstack; an
//! officer who has never opened the console has nothing to work a report in anyway.
//!
//! `ROSTER#<agency>` / `OFFICER#<subject>`: `name` (the account's e-mail),
//! `last_seen` (the latest sign-in) and `expires_at` ([`ROSTER_KEEP`] after it, so
//! someone who left drops off the list without an admin's step).

use aws_sdk_dynamodb::Client;
use jiff::{SignedDuration, Timestamp};

use super::table::{Item, ItemReader, PK, SK, StoreError, conditional, n, s, ts, whole_partition};
use crate::domain::report::Officer;

/// How long an officer stays on their agency's list after their last sign-in.
pub const ROSTER_KEEP: SignedDuration = SignedDuration::from_hours(24 * 90);

/// One officer on an agency's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    /// Who, as an assignment names them.
    pub officer: Officer,
    /// Their latest sign-in.
    pub last_seen: Timestamp,
}

/// The agencies' officers.
#[derive(Debug, Clone)]
pub struct RosterStore {
    client: Client,
    table: String,
}

fn partition(agency: &str) -> String {
    format!("ROSTER#{agency}")
}

fn sort_key(subject: &str) -> String {
    format!("OFFICER#{subject}")
}

fn entry_of(item: &Item) -> Result<RosterEntry, StoreError> {
    let r = ItemReader(item);
    Ok(RosterEntry {
        officer: Officer {
            subject: r.s("subject")?.to_string(),
            name: r.s("name")?.to_string(),
        },
        last_seen: r.ts("last_seen")?,
    })
}

impl RosterStore {
    /// A store over `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// `officer` of `agency` signed in at `at`: one conditional put, which a sign-in
    /// older than the one kept (a retried request) leaves as it is.
    pub async fn signed_in(
        &self,
        agency: &str,
        officer: &Officer,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let sent = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PK, s(partition(agency)))
            .item(SK, s(sort_key(&officer.subject)))
            .item("subject", s(&officer.subject))
            .item("name", s(&officer.name))
            .item("last_seen", s(ts(at)))
            .item("expires_at", n((at + ROSTER_KEEP).as_second()))
            .condition_expression("attribute_not_exists(last_seen) OR last_seen <= :at")
            .expression_attribute_values(":at", s(ts(at)))
            .send()
            .await;
        match conditional(sent, StoreError::Conflict) {
            Err(StoreError::Conflict) => Ok(()),
            done => done,
        }
    }

    /// `agency`'s officers seen within [`ROSTER_KEEP`] of `now` (TTL removes the rest
    /// only eventually), by name.
    pub async fn officers(
        &self,
        agency: &str,
        now: Timestamp,
    ) -> Result<Vec<RosterEntry>, StoreError> {
        let mut entries = whole_partition(&self.client, &self.table, &partition(agency))
            .await?
            .iter()
            .map(entry_of)
            .collect::<Result<Vec<_>, _>>()?;
        entries.retain(|e| e.last_seen + ROSTER_KEEP > now);
        entries.sort_by(|a, b| a.officer.name.cmp(&b.officer.name));
        Ok(entries)
    }

    /// The officer `subject` on `agency`'s list as of `now`, if they are on it.
    pub async fn officer(
        &self,
        agency: &str,
        subject: &str,
        now: Timestamp,
    ) -> Result<Option<Officer>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(partition(agency)))
            .key(SK, s(sort_key(subject)))
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(out
            .item()
            .map(entry_of)
            .transpose()?
            .filter(|e| e.last_seen + ROSTER_KEEP > now)
            .map(|e| e.officer))
    }
}
