//! The caller's location by link: an operator texts a single-use, expiring link;
//! its page sends the phone's position (or an address) to the incident, once.

use lambda_http::http::StatusCode;
use tracing::info;

use crate::domain::incident::{
    Fix, Incident, IncidentAction, IncidentError, LOCATION_LINK_VALID, OperatorUpdate,
    is_location_token, location_link_path, location_link_text,
};
use crate::domain::staff::{Role, Staff};
use crate::http::ApiError;
use crate::service::retry_on_conflict;
use crate::service::texting::Texted;

use super::{IncidentDesk, call_back, not_allowed, refused, write_failed};

impl IncidentDesk {
    /// An operator texts the person behind incident `raw_id` a single-use link
    /// (`<base>/l/<token>`, working [`LOCATION_LINK_VALID`]) whose page sends the
    /// phone's position to the incident. The base is the stage's public base URL, or
    /// else `reached_at` (the API as the operator's request reached it). The
    /// timeline records it (the number masked).
    pub async fn send_location_link(
        &self,
        staff: &Staff,
        raw_id: &str,
        reached_at: &str,
    ) -> Result<Incident, ApiError> {
        if !staff.is_operator() {
            return Err(not_allowed());
        }
        let texting = self.texting.as_ref().ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "sms_not_configured",
                "Pengiriman SMS belum tersedia di sini.",
            )
        })?;
        let incident = self.load(raw_id).await?;
        if !incident.is_open() {
            return Err(refused(IncidentError::WrongState(incident.state)));
        }
        let to = call_back(self.pager.incidents(), &self.devices, &incident)
            .await
            .map_err(|e| ApiError::unavailable_because("reading the number to call back", e))?
            .ok_or_else(|| {
                ApiError::invalid("Kejadian ini tidak punya nomor penelepon untuk dikirimi tautan.")
            })?;
        let now = self.clock.now();
        let token = self.token()?;
        let expires_at = now.checked_add(LOCATION_LINK_VALID).unwrap_or(now);
        let actor = staff.actor(&Role::Operator).to_stored();
        self.links
            .create(&token, &incident.id, &actor, expires_at, now)
            .await
            .map_err(|e| ApiError::unavailable_because("storing the location link", e))?;
        let base = self.public_base_url.as_deref().unwrap_or(reached_at);
        let link = format!(
            "{}{}",
            base.trim_end_matches('/'),
            location_link_path(&token)
        );
        match texting
            .send(&to, &location_link_text(&link), now)
            .await
            .map_err(|e| ApiError::unavailable_because("texting the location link", e))?
        {
            Texted::Sent(_) => {}
            Texted::Withheld(withheld) => {
                let refusal = withheld.refusal();
                return Err(ApiError::too_many(
                    "sms_limit",
                    format!(
                        "SMS ke nomor ini sedang dibatasi. Coba lagi dalam {}, atau tanyakan lokasinya lewat telepon.",
                        refusal.wait_in_words()
                    ),
                    refusal,
                ));
            }
        }
        info!(incident = %incident.id, to = %to.masked(), "location link sent");
        let sent = IncidentAction::LocationLinkSent {
            detail: format!(
                "ke {}, berlaku sampai {} WIB",
                to.masked(),
                crate::domain::calendar::wib_rfc3339(expires_at)
            ),
        };
        // The SMS has gone: the timeline line is written on whatever the incident is now.
        retry_on_conflict(|| async {
            let current = self.load(&incident.id).await?;
            let Some(change) = sent
                .decide(&current, &actor, now, String::new())
                .map_err(refused)?
            else {
                return Ok(current);
            };
            self.pager
                .commit(&current, change, now)
                .await
                .map_err(|e| write_failed("recording the location link", e))
        })
        .await
    }

    /// Whether location link `token` works now (its page asks for the position only
    /// then); never says which incident it is for.
    pub async fn location_link_usable(&self, token: &str) -> Result<bool, ApiError> {
        if !is_location_token(token) {
            return Ok(false);
        }
        let now = self.clock.now();
        Ok(self
            .links
            .get(token)
            .await
            .map_err(|e| ApiError::unavailable_because("reading the location link", e))?
            .is_some_and(|link| link.usable(now)))
    }

    /// What the person who opened location link `token` sent: their position, or
    /// where they are in words (a phone without location or JavaScript). Spends the
    /// link in the same write; a used or expired link is 410 and changes nothing.
    pub async fn locate_by_link(&self, token: &str, sent: LinkAnswer) -> Result<(), ApiError> {
        let gone = || {
            ApiError::new(
                StatusCode::GONE,
                "link_used_or_expired",
                "Tautan ini sudah dipakai atau kedaluwarsa. Bila masih darurat, telepon 112.",
            )
        };
        if !is_location_token(token) {
            return Err(gone());
        }
        let now = self.clock.now();
        let actor = "penelepon:tautan-lokasi";
        let action = match sent {
            LinkAnswer::Position(fix) => IncidentAction::Locate {
                how: match fix.accuracy_m {
                    Some(accuracy) => {
                        format!("dari tautan lokasi penelepon, akurasi ± {accuracy:.0} m")
                    }
                    None => "dari tautan lokasi penelepon".into(),
                },
                fix,
            },
            LinkAnswer::Words(words) => IncidentAction::Update {
                change: OperatorUpdate {
                    kind: None,
                    fix: None,
                    location_text: Some(words),
                },
                note: Some("lokasi ditulis penelepon lewat tautan lokasi".into()),
            },
        };
        retry_on_conflict(|| async {
            let link = self
                .links
                .get(token)
                .await
                .map_err(|e| ApiError::unavailable_because("reading the location link", e))?
                .filter(|link| link.usable(now))
                .ok_or_else(gone)?;
            let current = self.load(&link.incident).await?;
            // A closed incident takes no position: the link answers as spent.
            let change = action
                .decide(&current, actor, now, String::new())
                .map_err(|_| gone())?
                .ok_or_else(gone)?;
            let spend = self
                .links
                .spend_item(token, now)
                .map_err(|e| ApiError::unavailable_because("spending the location link", e))?;
            // Lost to another change of the incident, or the link spent meanwhile:
            // the next attempt reads both again.
            let saved = self
                .pager
                .commit_with(&current, change, vec![spend], now)
                .await
                .map_err(|e| write_failed("saving the position", e))?;
            info!(incident = %saved.id, "position from a location link");
            Ok(())
        })
        .await
    }
}

/// What a location link's page sends.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkAnswer {
    /// The phone's position, with its accuracy.
    Position(Fix),
    /// Where the person is, in their words.
    Words(String),
}
