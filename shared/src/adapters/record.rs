//! The agency record in the table (`sigap::domain::record`).
//!
//! - `FACT#<agency>#<month>` / `<report>#<version>#<kind>`: one item per fact, put in
//!   the transaction of the report change that produced it ([`fact_item`]); the key
//!   holds the report's version, so a retried change writes the same item again.
//! - `RECORD#<month>` / `<agency>`: the month folded, written by the scheduled roll-up;
//!   a page reads one partition per month and nothing else.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;
use std::collections::BTreeMap;

use super::table::{Item, ItemReader, PK, SK, StoreError, n, s, ts, whole_partition};
use crate::domain::record::{AgencyMonth, Backlog, Fact, FactKind, month_of};
use crate::domain::report::Report;

fn fact_pk(agency: &str, month: &str) -> String {
    format!("FACT#{agency}#{month}")
}

fn record_pk(month: &str) -> String {
    format!("RECORD#{month}")
}

/// The item holding `fact`, produced by the change that made `report` what it is.
pub fn fact_item(report: &Report, fact: &Fact) -> Item {
    let mut item = Item::from([
        (PK.into(), s(fact_pk(&fact.agency, &month_of(fact.at)))),
        (
            SK.into(),
            s(format!(
                "{}#{:06}#{}",
                report.id.as_str(),
                report.version,
                fact.kind.name()
            )),
        ),
        ("kind".into(), s(fact.kind.name())),
        ("at".into(), s(ts(fact.at))),
    ]);
    match fact.kind {
        FactKind::Dispatched { on_time } | FactKind::FollowedUp { on_time } => {
            item.insert("on_time".into(), AttributeValue::Bool(on_time));
        }
        FactKind::Rated { score } => {
            item.insert("score".into(), n(score));
        }
        FactKind::Reopened => {}
    }
    item
}

fn fact_kind(item: &Item) -> Result<FactKind, StoreError> {
    let r = ItemReader(item);
    let on_time = r.bool("on_time");
    Ok(match r.s("kind")? {
        "dispatched" => FactKind::Dispatched { on_time },
        "followed_up" => FactKind::FollowedUp { on_time },
        "reopened" => FactKind::Reopened,
        "rated" => FactKind::Rated {
            score: r.n("score")?,
        },
        other => return Err(StoreError::Corrupt(format!("fact kind {other}"))),
    })
}

/// The counted attributes of a month item, in the order [`AgencyMonth`] has them.
const COUNTS: [&str; 7] = [
    "dispatched",
    "dispatched_on_time",
    "followed_up",
    "followed_up_on_time",
    "reopened",
    "ratings",
    "rating_sum",
];

fn counts(month: &AgencyMonth) -> [u32; 7] {
    [
        month.dispatched,
        month.dispatched_on_time,
        month.followed_up,
        month.followed_up_on_time,
        month.reopened,
        month.ratings,
        month.rating_sum,
    ]
}

fn month_from_item(item: &Item) -> Result<AgencyMonth, StoreError> {
    let r = ItemReader(item);
    let get = |name: &str| r.opt_n::<u32>(name).map(Option::unwrap_or_default);
    let backlog = match r.opt_n::<u32>("backlog")? {
        None => None,
        Some(open) => Some(Backlog {
            open,
            oldest_days: get("backlog_oldest_days")?,
        }),
    };
    Ok(AgencyMonth {
        dispatched: get(COUNTS[0])?,
        dispatched_on_time: get(COUNTS[1])?,
        followed_up: get(COUNTS[2])?,
        followed_up_on_time: get(COUNTS[3])?,
        reopened: get(COUNTS[4])?,
        ratings: get(COUNTS[5])?,
        rating_sum: get(COUNTS[6])?,
        backlog,
    })
}

/// The agency record's items.
#[derive(Debug, Clone)]
pub struct RecordStore {
    client: Client,
    table: String,
}

impl RecordStore {
    /// A store over `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Every fact about `agency` in `month`, folded (the roll-up's read: one
    /// partition, paginated).
    pub async fn fold(&self, agency: &str, month: &str) -> Result<AgencyMonth, StoreError> {
        let mut folded = AgencyMonth::default();
        for item in self.partition(&fact_pk(agency, month)).await? {
            folded.add(fact_kind(&item)?);
        }
        Ok(folded)
    }

    /// Every fact about `agency` in `month`, as it happened (the dashboard's weeks).
    pub async fn facts(&self, agency: &str, month: &str) -> Result<Vec<Fact>, StoreError> {
        self.partition(&fact_pk(agency, month))
            .await?
            .iter()
            .map(|item| {
                Ok(Fact {
                    agency: agency.to_string(),
                    kind: fact_kind(item)?,
                    at: ItemReader(item).ts("at")?,
                })
            })
            .collect()
    }

    /// Stores `figures` as `agency`'s `month`. The backlog is written only when
    /// given (the current month's): a past month keeps the backlog it ended with.
    pub async fn put_month(
        &self,
        agency: &str,
        month: &str,
        figures: &AgencyMonth,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut sets: Vec<String> = COUNTS.iter().map(|c| format!("{c} = :{c}")).collect();
        sets.push("updated_at = :updated_at".into());
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(record_pk(month)))
            .key(SK, s(agency))
            .expression_attribute_values(":updated_at", s(ts(at)));
        for (name, value) in COUNTS.iter().zip(counts(figures)) {
            update = update.expression_attribute_values(format!(":{name}"), n(value));
        }
        if let Some(backlog) = &figures.backlog {
            sets.push("backlog = :backlog".into());
            sets.push("backlog_oldest_days = :oldest".into());
            update = update
                .expression_attribute_values(":backlog", n(backlog.open))
                .expression_attribute_values(":oldest", n(backlog.oldest_days));
        }
        update
            .update_expression(format!("SET {}", sets.join(", ")))
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(())
    }

    /// Each of `months` with every agency's figures for it (agencies with none are
    /// absent): one query per month.
    pub async fn months(
        &self,
        months: &[String],
    ) -> Result<Vec<(String, BTreeMap<String, AgencyMonth>)>, StoreError> {
        let mut found = Vec::with_capacity(months.len());
        for month in months {
            let mut agencies = BTreeMap::new();
            for item in self.partition(&record_pk(month)).await? {
                let agency = ItemReader(&item).s(SK)?.to_string();
                agencies.insert(agency, month_from_item(&item)?);
            }
            found.push((month.clone(), agencies));
        }
        Ok(found)
    }

    async fn partition(&self, pk: &str) -> Result<Vec<Item>, StoreError> {
        whole_partition(&self.client, &self.table, pk).await
    }
}
