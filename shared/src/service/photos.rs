//! Photos, for every channel that takes or shows them (docs/decisions/photos.md):
//! [`Photos::open_slot`] records a pending photo and hands back the presigned POST
//! (the web API for the reporter, the staff API for an agency's proof);
//! [`Photos::receive`] takes a photo that arrived whole (WhatsApp's); [`Photos::shown`] turns a report's ready photos into short-lived links
//! for whoever may see them. `media` does the processing in between.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use super::reports::{ApplyError, Reports};
use crate::adapters::photos::{PhotoBucket, UploadSlot, display_key, thumbnail_key, upload_key};
use crate::adapters::table::StoreError;
use crate::domain::attachments::open_photo_slot;
use crate::domain::calendar::wib_rfc3339;
use crate::domain::photo::{
    Capture, Photo, PhotoFlag, PhotoId, PhotoLimits, PhotoPurpose, PhotoState,
};
use crate::domain::report::{Actor, Report};
use crate::runtime::config::{ConfigError, Settings};
use crate::runtime::ids::IdGenerator;

/// How long a slot's POST is accepted.
pub const SLOT_VALID_FOR: Duration = Duration::from_secs(15 * 60);
/// How long a link to a processed copy works: long enough to load a page and look,
/// short enough that a copied link soon stops working.
pub const LINK_VALID_FOR: Duration = Duration::from_secs(15 * 60);

impl PhotoLimits {
    /// The defaults with the per-report counts the template sets
    /// (`PHOTOS_PER_REPORT`, `PHOTOS_PER_FOLLOW_UP`), for every function that opens
    /// slots or processes photos.
    pub fn load(settings: &Settings) -> Result<Self, ConfigError> {
        let d = Self::default();
        Ok(Self {
            evidence_per_report: settings.parsed_or("PHOTOS_PER_REPORT", d.evidence_per_report)?,
            proof_per_agency: settings.parsed_or("PHOTOS_PER_FOLLOW_UP", d.proof_per_agency)?,
            ..d
        })
    }
}

/// The photo service.
#[derive(Clone)]
pub struct Photos {
    bucket: PhotoBucket,
    ids: Arc<dyn IdGenerator>,
    limits: PhotoLimits,
}

/// A photo that arrived whole (downloaded from WhatsApp): its bytes and the type
/// its sender declared.
#[derive(Debug, Clone)]
pub struct ArrivedPhoto {
    /// The original, as sent.
    pub bytes: Vec<u8>,
    /// Its declared type (`image/jpeg`).
    pub content_type: String,
}

/// A slot given: the photo's id (to follow its processing) and where to send it.
#[derive(Debug, Clone)]
pub struct OpenedSlot {
    /// The pending photo.
    pub photo_id: PhotoId,
    /// The presigned POST.
    pub upload: UploadSlot,
}

/// Links to a ready photo's processed copies (never the original), with its size.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PhotoLinks {
    /// The display copy (at most 1600 px).
    pub url: String,
    /// The thumbnail (at most 320 px).
    pub thumbnail_url: String,
    /// Upright size of the original.
    pub width: u32,
    /// See `width`.
    pub height: u32,
}

/// A ready photo as the public sees it: what it is for, and its links.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ShownPhoto {
    /// The photo's id.
    pub id: String,
    /// Evidence or an agency's proof.
    pub purpose: PhotoPurpose,
    /// The copies.
    #[serde(flatten)]
    pub links: PhotoLinks,
}

/// Any photo on a report as its uploader follows it: its state, the reason for a
/// refusal, and the links once it is ready. No capture data, no flags.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UploaderPhoto {
    /// The photo's id.
    pub id: String,
    /// Evidence or an agency's proof.
    pub purpose: PhotoPurpose,
    /// `pending`, `ready` or `refused`.
    pub state: &'static str,
    /// The state in Indonesian.
    pub state_label: &'static str,
    /// Why it was refused (Indonesian).
    pub refusal: Option<String>,
    /// The copies, when ready.
    pub links: Option<PhotoLinks>,
}

/// Any photo on a report as staff see it: the uploader's view, who asked for the
/// slot and when, the capture data and the proof-of-fix flags.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StaffPhoto {
    /// What the uploader sees.
    #[serde(flatten)]
    pub photo: UploaderPhoto,
    /// Who asked for the slot (the stored actor).
    pub by: String,
    /// When the slot was given (WIB, like every instant the API answers with).
    pub requested_at: String,
    /// Capture time and position from the original's metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture: Option<ShownCapture>,
    /// The proof-of-fix checks' findings, with their Indonesian labels.
    pub flags: Vec<ShownFlag>,
}

/// When and where a photo was taken, as staff see it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ShownCapture {
    /// Capture time (WIB), when the camera recorded one.
    pub at: Option<String>,
    /// Latitude, when the photo had a GPS fix.
    pub lat: Option<f64>,
    /// Longitude.
    pub lon: Option<f64>,
}

impl From<&Capture> for ShownCapture {
    fn from(capture: &Capture) -> Self {
        Self {
            at: capture.at.map(wib_rfc3339),
            lat: capture.position.map(|p| p.lat()),
            lon: capture.position.map(|p| p.lon()),
        }
    }
}

/// A proof-of-fix flag as staff see it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ShownFlag {
    /// `reused`, `far_from_report` or `taken_before_dispatch`.
    pub flag: &'static str,
    /// What it means, in Indonesian.
    pub label: String,
    /// The earlier photo's report (`reused`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_id: Option<String>,
    /// The earlier photo (`reused`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photo_id: Option<String>,
}

impl From<&PhotoFlag> for ShownFlag {
    fn from(flag: &PhotoFlag) -> Self {
        let (code, earlier) = match flag {
            PhotoFlag::Reused {
                report_id,
                photo_id,
            } => ("reused", Some((report_id.clone(), photo_id.clone()))),
            PhotoFlag::FarFromReport { .. } => ("far_from_report", None),
            PhotoFlag::TakenBeforeDispatch { .. } => ("taken_before_dispatch", None),
        };
        let (report_id, photo_id) = earlier.unzip();
        Self {
            flag: code,
            label: flag.label(),
            report_id,
            photo_id,
        }
    }
}

impl Photos {
    /// Over the bucket, with the id source for photo ids and the limits in force.
    pub fn new(bucket: PhotoBucket, ids: Arc<dyn IdGenerator>, limits: PhotoLimits) -> Self {
        Self {
            bucket,
            ids,
            limits,
        }
    }

    /// The limits uploads are held to.
    pub fn limits(&self) -> &PhotoLimits {
        &self.limits
    }

    /// A slot for a photo of `purpose` on `report` (as read by the caller, who checked
    /// that `actor` may add to it): the pending photo in one conditional write, then
    /// the POST (which S3 answers with a redirect to `redirect_to`, for a page). A
    /// lost race is `ApplyError::Conflict`: read again and ask again.
    pub async fn open_slot(
        &self,
        reports: &Reports,
        report: &Report,
        purpose: PhotoPurpose,
        actor: &Actor,
        now: Timestamp,
        redirect_to: Option<&str>,
    ) -> Result<OpenedSlot, ApplyError> {
        let photo_id = self
            .ids
            .photo_id()
            .map_err(|e| ApplyError::Store(StoreError::Corrupt(e.to_string())))?;
        // Signed before the write: signing needs no network, and a slot recorded
        // without a POST to hand back would hold a place for nothing.
        let upload = self
            .bucket
            .upload_slot(
                &upload_key(&report.id, &photo_id),
                self.limits.max_bytes,
                now,
                SLOT_VALID_FOR,
                redirect_to,
            )
            .await?;
        let change = open_photo_slot(report, &self.limits, purpose, actor, photo_id.clone(), now)?;
        reports.changes().commit(report, &change).await?;
        Ok(OpenedSlot { photo_id, upload })
    }

    /// A photo that arrived whole (a WhatsApp image, already downloaded) as evidence
    /// on `report` from `actor`: its slot once per `photo_id` (a retry finds the
    /// photo on the report and opens none), then the original under its upload key,
    /// where `media` takes it as it takes a web upload. Larger than the limit: refused
    /// before anything is written.
    pub async fn receive(
        &self,
        reports: &Reports,
        report: &Report,
        photo_id: &PhotoId,
        original: ArrivedPhoto,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), ApplyError> {
        if original.bytes.len() as u64 > self.limits.max_bytes {
            return Err(ApplyError::Refused(
                crate::domain::workflow::WorkflowError::Invalid(format!(
                    "foto paling besar {} MB",
                    self.limits.max_bytes / (1024 * 1024)
                )),
            ));
        }
        if report.photo(photo_id).is_none() {
            let change = open_photo_slot(
                report,
                &self.limits,
                PhotoPurpose::Evidence,
                actor,
                photo_id.clone(),
                now,
            )?;
            reports.changes().commit(report, &change).await?;
        }
        self.bucket
            .put_upload(
                &upload_key(&report.id, photo_id),
                original.bytes,
                &original.content_type,
            )
            .await?;
        Ok(())
    }

    /// Links to `photo`'s copies when it is ready.
    pub async fn links(
        &self,
        report: &Report,
        photo: &Photo,
    ) -> Result<Option<PhotoLinks>, StoreError> {
        let PhotoState::Ready(ready) = &photo.state else {
            return Ok(None);
        };
        // Presigning is arithmetic on the credentials: no call is made.
        let url = self
            .bucket
            .link(&display_key(&report.id, &photo.id), LINK_VALID_FOR)
            .await?;
        let thumbnail_url = self
            .bucket
            .link(&thumbnail_key(&report.id, &photo.id), LINK_VALID_FOR)
            .await?;
        Ok(Some(PhotoLinks {
            url,
            thumbnail_url,
            width: ready.width,
            height: ready.height,
        }))
    }

    /// The report's ready photos as the public sees them: links only, no capture
    /// data, no flags. The caller decides whether the public may see the report.
    pub async fn shown(&self, report: &Report) -> Result<Vec<ShownPhoto>, StoreError> {
        let mut shown = Vec::new();
        for photo in &report.photos {
            if let Some(links) = self.links(report, photo).await? {
                shown.push(ShownPhoto {
                    id: photo.id.to_string(),
                    purpose: photo.purpose.clone(),
                    links,
                });
            }
        }
        Ok(shown)
    }

    /// A link to the report's first processed photo (the citizen's before an
    /// agency's), for Open311's `media_url`.
    pub async fn first_public(&self, report: &Report) -> Result<Option<String>, StoreError> {
        let ready = |p: &&Photo| matches!(p.state, PhotoState::Ready(_));
        let first = report
            .photos
            .iter()
            .filter(ready)
            .find(|p| p.purpose == PhotoPurpose::Evidence)
            .or_else(|| report.photos.iter().find(ready));
        match first {
            Some(photo) => Ok(self.links(report, photo).await?.map(|l| l.url)),
            None => Ok(None),
        }
    }

    /// Every photo on the report as its uploader follows it.
    pub async fn for_uploader(&self, report: &Report) -> Result<Vec<UploaderPhoto>, StoreError> {
        let mut all = Vec::new();
        for photo in &report.photos {
            all.push(self.uploader_photo(report, photo).await?);
        }
        Ok(all)
    }

    /// Every photo on the report as staff see it.
    pub async fn for_staff(&self, report: &Report) -> Result<Vec<StaffPhoto>, StoreError> {
        let mut all = Vec::new();
        for photo in &report.photos {
            let (capture, flags) = match &photo.state {
                PhotoState::Ready(ready) => (
                    Some(ShownCapture::from(&ready.capture)),
                    ready.flags.iter().map(ShownFlag::from).collect(),
                ),
                _ => (None, Vec::new()),
            };
            all.push(StaffPhoto {
                photo: self.uploader_photo(report, photo).await?,
                by: photo.by.clone(),
                requested_at: wib_rfc3339(photo.requested_at),
                capture,
                flags,
            });
        }
        Ok(all)
    }

    async fn uploader_photo(
        &self,
        report: &Report,
        photo: &Photo,
    ) -> Result<UploaderPhoto, StoreError> {
        let (state, state_label, refusal) = match &photo.state {
            PhotoState::Pending => ("pending", "Menunggu unggahan atau sedang diproses", None),
            PhotoState::Refused { refusal } => ("refused", "Foto ditolak", Some(refusal.reason())),
            PhotoState::Ready(_) => ("ready", "Foto diterima", None),
        };
        Ok(UploaderPhoto {
            id: photo.id.to_string(),
            purpose: photo.purpose.clone(),
            state,
            state_label,
            refusal,
            links: self.links(report, photo).await?,
        })
    }
}
