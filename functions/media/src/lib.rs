//! `media`: every photo uploaded to the media bucket, processed once
//! (docs/decisions/photos.md).
//!
//! The bucket announces each upload (`uploads/<report>/<photo>`) on the media queue.
//! For each, `media` trusts nothing the uploader said: it reads the object (its size
//! checked before the download), and `imaging::process` decodes and checks it, reads
//! its capture time and position, and re-encodes the display copy and thumbnail with
//! no metadata. The copies are stored, the result is recorded on the report in one
//! conditional write (pending → ready, or refused with the reason), and the original
//! is deleted. An agency's proof-of-fix photo is also compared with every follow-up
//! photo in the city ([`ProofPhotos`]) and filed there in the same write.
//!
//! A redelivered event finds the photo no longer pending and only deletes what is
//! left of the upload; a retry after a crash writes the same copies under the same keys.

use sigap::runtime::function::{Dependencies, EventFunction, Function, StartError};

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use serde::Deserialize;
use sigap::adapters::photos::{
    Original, PhotoBucket, display_key, parse_event_key, thumbnail_key, upload_key,
};
use sigap::adapters::proof_photos::{FlaggedProof, ProofPhotos};
use sigap::adapters::reports::ReportStore;
use sigap::adapters::table::StoreError;
use sigap::domain::attachments::{PhotoOutcome, record_photo};
use sigap::domain::photo::{
    PhotoBytes, PhotoId, PhotoLimits, PhotoPurpose, PhotoRefusal, PhotoState, ReadyPhoto,
};
use sigap::domain::report::Report;
use sigap::domain::tracking_id::TrackingId;
use sigap::runtime::aws::AwsClients;
use sigap::runtime::batch::process_batch;
use sigap::runtime::clock::Clock;
use sigap::runtime::config::{ConfigError, Settings};
use sigap::service::retry_on_conflict;
use std::sync::Arc;
use tracing::{info, warn};

/// Settings `media` reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// The single table.
    pub table_name: String,
    /// The media bucket.
    pub bucket: String,
    /// Sizes and counts.
    pub limits: PhotoLimits,
}

impl Config {
    /// Reads `TABLE_NAME`, `MEDIA_BUCKET` and the photo limits.
    pub fn load(settings: &Settings) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: settings.required("TABLE_NAME")?,
            bucket: settings.required("MEDIA_BUCKET")?,
            limits: PhotoLimits::load(settings)?,
        })
    }
}

/// Everything the handler needs, built once per process.
pub struct Media {
    reports: ReportStore,
    proofs: ProofPhotos,
    bucket: PhotoBucket,
    limits: PhotoLimits,
    clock: Arc<dyn Clock>,
}

impl Media {
    /// Wires the stores to the clients.
    pub fn new(config: &Config, clients: &AwsClients, clock: Arc<dyn Clock>) -> Self {
        Self {
            reports: ReportStore::new(clients.dynamodb.clone(), &config.table_name),
            proofs: ProofPhotos::new(clients.dynamodb.clone(), &config.table_name),
            bucket: PhotoBucket::from_clients(clients, &config.bucket),
            limits: config.limits,
            clock,
        }
    }
}

/// What one upload came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Recorded on its report now: ready or refused.
    Recorded {
        /// Whether it was kept.
        ready: bool,
    },
    /// Recorded before (a redelivery): what was left of the upload is deleted.
    AlreadyDone,
    /// Not an upload of a photo Sigap gave a slot for (an unknown key, report or
    /// photo): deleted, nothing recorded.
    Unexpected,
    /// The object is gone and the photo is still pending: nothing to process (an
    /// event outliving its object); the lifecycle or a new upload settles it.
    NothingThere,
}

/// Why one upload could not be handled now (the message is retried, then DLQ'd).
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The message is not an S3 notification: retrying will not help.
    #[error("malformed bucket notification: {0}")]
    Malformed(String),
    /// S3 or DynamoDB failed, or the record kept losing races.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An S3 event notification as the bucket writes it into the queue. The test event
/// S3 sends when notifications are configured has `Event` and no `Records`.
#[derive(Debug, Deserialize)]
struct Notification {
    #[serde(rename = "Records", default)]
    records: Vec<NotificationRecord>,
    #[serde(rename = "Event")]
    event: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NotificationRecord {
    #[serde(rename = "eventName")]
    event_name: String,
    s3: NotificationEntity,
}

#[derive(Debug, Deserialize)]
struct NotificationEntity {
    object: NotificationObject,
}

#[derive(Debug, Deserialize)]
struct NotificationObject {
    key: String,
}

/// The Lambda handler: the SQS batch response (a bad payload is an invocation error).
pub async fn handle(
    app: &Media,
    payload: serde_json::Value,
) -> Result<serde_json::Value, lambda_runtime::Error> {
    let batch: SqsEvent = serde_json::from_value(payload)?;
    Ok(serde_json::to_value(handle_batch(app, batch).await)?)
}

/// Handles every message and reports the ones that failed.
pub async fn handle_batch(app: &Media, batch: SqsEvent) -> SqsBatchResponse {
    process_batch(&batch, |message| handle_message(app, message)).await
}

async fn handle_message(app: &Media, message: &SqsMessage) -> Result<Vec<Handled>, MediaError> {
    let body = message.body.as_deref().unwrap_or_default();
    let notification: Notification =
        serde_json::from_str(body).map_err(|e| MediaError::Malformed(e.to_string()))?;
    if notification.event.as_deref() == Some("s3:TestEvent") {
        return Ok(Vec::new());
    }
    let mut handled = Vec::new();
    for record in &notification.records {
        if !record.event_name.starts_with("ObjectCreated:") {
            continue;
        }
        handled.push(handle_upload(app, &record.s3.object.key).await?);
    }
    Ok(handled)
}

/// Processes the upload at `encoded_key` (as the event writes it, URL-encoded).
pub async fn handle_upload(app: &Media, encoded_key: &str) -> Result<Handled, MediaError> {
    let Some((report_id, photo_id)) = parse_event_key(encoded_key) else {
        // Only `uploads/<report>/<photo>` is announced, and only a slot's POST
        // policy lets anything be written there: this is not ours to keep.
        warn!(
            key = encoded_key,
            "an upload under a key Sigap never gave out"
        );
        return Ok(Handled::Unexpected);
    };
    let key = upload_key(&report_id, &photo_id);
    let report = app.reports.get(&report_id).await?;
    let Some(photo) = report.as_ref().and_then(|r| r.photo(&photo_id)) else {
        warn!(report_id = %report_id, photo_id = %photo_id, "an upload with no slot on its report");
        app.bucket.delete(&key).await?;
        return Ok(Handled::Unexpected);
    };
    if photo.state != PhotoState::Pending {
        app.bucket.delete(&key).await?;
        return Ok(Handled::AlreadyDone);
    }
    let outcome = match app.bucket.original(&key, app.limits.max_bytes).await? {
        Original::Missing => return Ok(Handled::NothingThere),
        Original::TooLarge(_) => PhotoOutcome::Refused(PhotoRefusal::TooLarge {
            max_bytes: app.limits.max_bytes,
        }),
        Original::Bytes(bytes) => match imaging::process::process(&bytes, &app.limits) {
            Ok(processed) => {
                let ready = ReadyPhoto {
                    width: processed.width,
                    height: processed.height,
                    bytes: PhotoBytes {
                        original: bytes.len() as u64,
                        display: processed.display.len() as u64,
                        thumbnail: processed.thumbnail.len() as u64,
                    },
                    hash: processed.hash,
                    capture: processed.capture,
                    flags: Vec::new(),
                };
                // Fixed keys: a retry after a crash overwrites with the same bytes.
                app.bucket
                    .put_copy(&display_key(&report_id, &photo_id), processed.display)
                    .await?;
                app.bucket
                    .put_copy(&thumbnail_key(&report_id, &photo_id), processed.thumbnail)
                    .await?;
                PhotoOutcome::Processed {
                    photo: ready,
                    elsewhere: Vec::new(),
                }
            }
            Err(refusal) => PhotoOutcome::Refused(refusal),
        },
    };
    // The first attempt records on the report as read above (its write is conditional
    // on that version); only an attempt that lost a race reads it again.
    let first_read = std::sync::Mutex::new(report);
    let recorded = retry_on_conflict(|| {
        let read = first_read.lock().map(|mut r| r.take()).unwrap_or_default();
        record(app, read, &report_id, &photo_id, outcome.clone())
    })
    .await?;
    // Only once the result is recorded: a crash before this leaves the original for
    // the retry (and the bucket's lifecycle removes any left after a day).
    app.bucket.delete(&key).await?;
    Ok(recorded)
}

/// Records `outcome` on the photo of the report as `read` (or as read now), with a
/// proof-of-fix photo's city-wide look-up and its hash filed in the same
/// conditional write.
async fn record(
    app: &Media,
    read: Option<Report>,
    report_id: &TrackingId,
    photo_id: &PhotoId,
    mut outcome: PhotoOutcome,
) -> Result<Handled, StoreError> {
    let report = match read {
        Some(report) => report,
        None => match app.reports.get(report_id).await? {
            Some(report) => report,
            None => return Ok(Handled::Unexpected),
        },
    };
    let agency = report.photo(photo_id).and_then(|p| match &p.purpose {
        PhotoPurpose::FollowUp { agency } => Some(agency.clone()),
        PhotoPurpose::Evidence => None,
    });
    let mut filed = Vec::new();
    if let (Some(_), PhotoOutcome::Processed { photo, elsewhere }) = (&agency, &mut outcome) {
        *elsewhere = app.proofs.candidates(photo.hash).await?;
        filed = app.proofs.hash_entries(report_id, photo_id, photo.hash)?;
    }
    let ready = matches!(outcome, PhotoOutcome::Processed { .. });
    let now = app.clock.now();
    let change = match record_photo(&report, photo_id, outcome, now) {
        Ok(Some(change)) => change,
        Ok(None) => return Ok(Handled::AlreadyDone),
        Err(err) => {
            warn!(report_id = %report_id, photo_id = %photo_id, error = %err, "photo not recordable");
            return Ok(Handled::Unexpected);
        }
    };
    let flags = change
        .report
        .photo(photo_id)
        .and_then(|p| match &p.state {
            PhotoState::Ready(ready) => Some(&ready.flags),
            _ => None,
        })
        .filter(|flags| !flags.is_empty());
    if let (Some(agency), Some(flags)) = (agency, flags) {
        filed.push(app.proofs.flagged_entry(&FlaggedProof {
            agency,
            report_id: report_id.to_string(),
            photo_id: photo_id.to_string(),
            at: now,
            labels: flags.iter().map(|f| f.label()).collect(),
        })?);
    }
    app.reports
        .save_change_with(&report, &change.report, &change.event, None, filed)
        .await?;
    info!(
        report_id = %report_id,
        photo_id = %photo_id,
        ready,
        note = change.event.reason.as_deref().unwrap_or_default(),
        "photo recorded"
    );
    Ok(Handled::Recorded { ready })
}

impl Function for Media {
    const NAME: &'static str = "media";

    fn build(settings: &Settings, deps: &Dependencies) -> Result<Self, StartError> {
        let config = Config::load(settings)?;
        Ok(Self::new(&config, &deps.clients, deps.clock.clone()))
    }
}

impl EventFunction for Media {
    fn handle(
        &self,
        payload: serde_json::Value,
    ) -> impl std::future::Future<Output = Result<serde_json::Value, lambda_runtime::Error>> + Send
    {
        handle(self, payload)
    }
}
