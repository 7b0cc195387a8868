//! Agencies' proof-of-fix photos across the city: the index by perceptual hash, so
//! `media` can tell that a photo repeats one from any other report, and the list of
//! flagged photos the supervisor's summary counts per agency. Both are written in the
//! photo's own conditional write, so a redelivery adds nothing.
//!
//! A near hash cannot be looked up directly, so each photo is filed under the seven
//! bands of its hash (`PerceptualHash::bands`): `PHASH#<band>#<bits>` / `<report>#<photo>`.
//! Any hash within the same-picture distance shares a band, so seven Queries find
//! every candidate; the exact distance is then checked in the domain.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use jiff::Timestamp;

use super::table::{Item, ItemReader, PK, SK, StoreError, put_mirror, s, ts};
use crate::domain::photo::{EarlierPhoto, PerceptualHash, PhotoId};
use crate::domain::tracking_id::TrackingId;

/// Most entries read from one band: a band is 1/512 of all hashes, so this is only
/// reached in a city with hundreds of thousands of follow-up photos.
const BAND_SCAN: i32 = 500;

/// The one partition of flagged proof photos.
const FLAGGED_PK: &str = "PHOTOFLAG";
/// Most flagged photos the summary reads.
const FLAGGED_SCAN: i32 = 1000;

/// A flagged proof photo, as the summary lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FlaggedProof {
    /// The agency whose follow-up it is.
    pub agency: String,
    /// The report.
    pub report_id: String,
    /// The photo.
    pub photo_id: String,
    /// When `media` flagged it.
    pub at: Timestamp,
    /// The flags' Indonesian labels.
    pub labels: Vec<String>,
}

/// Proof photos by hash, and the flagged ones.
#[derive(Debug, Clone)]
pub struct ProofPhotos {
    client: Client,
    table: String,
}

fn band_pk(band: u8, bits: u16) -> String {
    format!("PHASH#{band}#{bits:03x}")
}

impl ProofPhotos {
    /// Over the single table.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The entries filing `photo` of `report` under its hash, for the same
    /// transaction as the photo's record (a redelivery writes the same items again).
    pub fn hash_entries(
        &self,
        report: &TrackingId,
        photo: &PhotoId,
        hash: PerceptualHash,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        hash.bands()
            .iter()
            .map(|&(band, bits)| {
                let item: Item = [
                    (PK.to_string(), s(band_pk(band, bits))),
                    (SK.to_string(), s(format!("{report}#{photo}"))),
                    ("report_id".to_string(), s(report.as_str())),
                    ("photo_id".to_string(), s(photo.as_str())),
                    ("hash".to_string(), s(hash.to_hex())),
                ]
                .into();
                // Same key, same content: the photo's record guards the transaction.
                put_mirror(&self.table, item)
            })
            .collect()
    }

    /// The entry listing `photo` of `agency` as flagged with `labels`, for the same
    /// transaction as the photo's record.
    pub fn flagged_entry(&self, flagged: &FlaggedProof) -> Result<TransactWriteItem, StoreError> {
        let item: Item = [
            (PK.to_string(), s(FLAGGED_PK)),
            (
                SK.to_string(),
                s(format!(
                    "{}#{}#{}",
                    flagged.agency, flagged.report_id, flagged.photo_id
                )),
            ),
            ("agency".to_string(), s(&flagged.agency)),
            ("report_id".to_string(), s(&flagged.report_id)),
            ("photo_id".to_string(), s(&flagged.photo_id)),
            ("at".to_string(), s(ts(flagged.at))),
            (
                "labels".to_string(),
                AttributeValue::L(flagged.labels.iter().map(s).collect()),
            ),
        ]
        .into();
        put_mirror(&self.table, item)
    }

    /// The flagged proof photos, by agency (at most [`FLAGGED_SCAN`]).
    pub async fn flagged(&self) -> Result<Vec<FlaggedProof>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(FLAGGED_PK))
            .limit(FLAGGED_SCAN)
            .send()
            .await
            .map_err(StoreError::aws)?;
        out.items()
            .iter()
            .map(|item| {
                let read = ItemReader(item);
                Ok(FlaggedProof {
                    agency: read.s("agency")?.to_string(),
                    report_id: read.s("report_id")?.to_string(),
                    photo_id: read.s("photo_id")?.to_string(),
                    at: read.ts("at")?,
                    labels: item
                        .get("labels")
                        .and_then(|l| l.as_l().ok())
                        .map(|l| l.iter().filter_map(|v| v.as_s().ok().cloned()).collect())
                        .unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Every filed photo sharing a band with `hash` (each once): the candidates for
    /// "the same picture", still to be checked by distance.
    pub async fn candidates(&self, hash: PerceptualHash) -> Result<Vec<EarlierPhoto>, StoreError> {
        let mut found: Vec<EarlierPhoto> = Vec::new();
        for (band, bits) in hash.bands() {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", s(band_pk(band, bits)))
                .limit(BAND_SCAN)
                .send()
                .await
                .map_err(StoreError::aws)?;
            for item in out.items() {
                let entry = entry_from_item(item)?;
                if !found
                    .iter()
                    .any(|f| f.report_id == entry.report_id && f.photo_id == entry.photo_id)
                {
                    found.push(entry);
                }
            }
        }
        Ok(found)
    }
}

fn entry_from_item(item: &Item) -> Result<EarlierPhoto, StoreError> {
    let read = ItemReader(item);
    let hash = u64::from_str_radix(read.s("hash")?, 16)
        .map_err(|e| StoreError::Corrupt(format!("hash: {e}")))?;
    Ok(EarlierPhoto {
        report_id: read.s("report_id")?.to_string(),
        photo_id: read.s("photo_id")?.to_string(),
        hash: PerceptualHash(hash),
    })
}
