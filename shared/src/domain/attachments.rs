//! Photos joining a report (docs/decisions/photos.md): who may open an upload slot and
//! how many, and recording what `media` made of the upload, with the proof-of-fix
//! checks. Each is one [`Change`]: the report with its photos and one audit event, for
//! one conditional write.

use jiff::Timestamp;

use super::location::GeoPoint;
use super::photo::{
    EarlierPhoto, Photo, PhotoId, PhotoLimits, PhotoPurpose, PhotoRefusal, PhotoState,
    ProofContext, ReadyPhoto, proof_flags,
};
use super::report::{Actor, Report, ReportAction};
use super::workflow::{Change, WorkflowError};

/// The actor `media` records its results as.
pub const MEDIA: Actor = Actor::System("media");

/// Gives `actor` an upload slot `id` for a photo of `purpose`: the photo, pending, on
/// the next version. Refused when the report is closed, the agency is not (or no
/// longer) on it, or the purpose's photos are all taken.
pub fn open_photo_slot(
    report: &Report,
    limits: &PhotoLimits,
    purpose: PhotoPurpose,
    actor: &Actor,
    id: PhotoId,
    now: Timestamp,
) -> Result<Change, WorkflowError> {
    let (taken, limit, agency) = match &purpose {
        PhotoPurpose::Evidence => (
            counting(report, now, |p| p == &PhotoPurpose::Evidence),
            limits.evidence_per_report,
            None,
        ),
        PhotoPurpose::FollowUp { agency } => {
            if !report
                .assignments
                .iter()
                .any(|a| &a.agency == agency && a.is_open())
            {
                return Err(WorkflowError::NotAssigned(agency.clone()));
            }
            let taken = counting(
                report,
                now,
                |p| matches!(p, PhotoPurpose::FollowUp { agency: a } if a == agency),
            );
            (taken, limits.proof_per_agency, Some(agency.as_str()))
        }
    };
    if taken >= limit {
        return Err(WorkflowError::Invalid(format!(
            "paling banyak {limit} foto untuk ini"
        )));
    }
    let (mut next, event) = report.apply_to(
        ReportAction::AddPhoto,
        report.status,
        actor,
        Some("foto akan diunggah"),
        agency,
        now,
    )?;
    next.photos.push(Photo {
        id,
        purpose,
        state: PhotoState::Pending,
        requested_at: now,
        by: actor.to_stored(),
    });
    Ok(Change {
        report: next,
        event,
        notify: None,
    })
}

/// Photos of a purpose that hold a place at `now`.
fn counting(report: &Report, now: Timestamp, purpose: impl Fn(&PhotoPurpose) -> bool) -> usize {
    report
        .photos
        .iter()
        .filter(|p| p.counts(now) && purpose(&p.purpose))
        .count()
}

/// What `media` made of an upload.
#[derive(Debug, Clone, PartialEq)]
pub enum PhotoOutcome {
    /// Processed (its flags still empty), with the follow-up photos elsewhere in the
    /// city whose hash is close to it.
    Processed {
        /// The photo as processed.
        photo: ReadyPhoto,
        /// Other reports' follow-up photos of about the same hash.
        elsewhere: Vec<EarlierPhoto>,
    },
    /// Refused, and why.
    Refused(PhotoRefusal),
}

/// Records `outcome` on photo `id`: ready (a follow-up photo with its proof-of-fix
/// flags) or refused. `Ok(None)` when the photo is no longer pending: a redelivered
/// event changes nothing.
pub fn record_photo(
    report: &Report,
    id: &PhotoId,
    outcome: PhotoOutcome,
    now: Timestamp,
) -> Result<Option<Change>, WorkflowError> {
    let Some(index) = report.photos.iter().position(|p| &p.id == id) else {
        return Err(WorkflowError::Invalid(format!(
            "no photo {id} on this report"
        )));
    };
    let photo = &report.photos[index];
    if photo.state != PhotoState::Pending {
        return Ok(None);
    }
    let agency = match &photo.purpose {
        PhotoPurpose::FollowUp { agency } => Some(agency.as_str()),
        PhotoPurpose::Evidence => None,
    };
    let (state, reason) = match outcome {
        PhotoOutcome::Refused(refusal) => {
            let reason = format!("foto ditolak: {}", refusal.reason());
            (PhotoState::Refused { refusal }, reason)
        }
        PhotoOutcome::Processed {
            mut photo,
            elsewhere,
        } => {
            if let Some(agency) = agency {
                photo.flags = flags_on_proof(report, id, agency, &photo, elsewhere);
            }
            let mut reason = "foto diterima".to_string();
            for flag in &photo.flags {
                reason.push_str("; ");
                reason.push_str(&flag.label());
            }
            (PhotoState::Ready(photo), reason)
        }
    };
    let (mut next, event) = report.apply_to(
        ReportAction::CheckPhoto,
        report.status,
        &MEDIA,
        Some(&reason),
        agency,
        now,
    )?;
    next.photos[index].state = state;
    Ok(Some(Change {
        report: next,
        event,
        notify: None,
    }))
}

/// The proof-of-fix checks on `agency`'s photo `id`: against this report's other
/// photos and `elsewhere`, its point, and when it was dispatched to the agency.
fn flags_on_proof(
    report: &Report,
    id: &PhotoId,
    agency: &str,
    photo: &ReadyPhoto,
    elsewhere: Vec<EarlierPhoto>,
) -> Vec<super::photo::PhotoFlag> {
    let mut earlier: Vec<EarlierPhoto> = report
        .photos
        .iter()
        .filter(|p| &p.id != id)
        .filter_map(|p| match &p.state {
            PhotoState::Ready(ready) => Some(EarlierPhoto {
                report_id: report.id.to_string(),
                photo_id: p.id.to_string(),
                hash: ready.hash,
            }),
            _ => None,
        })
        .collect();
    earlier.extend(
        elsewhere
            .into_iter()
            .filter(|e| e.report_id != report.id.as_str()),
    );
    let dispatched_at = report
        .assignments
        .iter()
        .find(|a| a.agency == agency)
        .map_or(report.received_at, |a| a.dispatched_at);
    let context = ProofContext {
        report_point: report.location.coordinates.map(GeoPoint::from),
        dispatched_at,
    };
    proof_flags(photo.hash, &photo.capture, &context, &earlier)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::location::{Coordinates, GeoPoint};
    use crate::domain::photo::{Capture, PerceptualHash, PhotoBytes, PhotoFlag};
    use crate::domain::report::{Assignment, AssignmentStatus, Channel, ReportStatus};
    use crate::domain::tracking_id::TrackingId;
    use crate::domain::workflow::WorkflowError;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn photo_id(n: u8) -> PhotoId {
        PhotoId::from_random_bytes(&[n; 12]).unwrap()
    }

    fn dispatched_report() -> Report {
        let mut report = Report::received(
            TrackingId::from_random_bytes(&[1, 2, 3, 4, 5, 6]).unwrap(),
            Channel::Web,
            at("2026-11-30T01:00:00Z"),
        );
        report.status = ReportStatus::Dispatched;
        report.location.coordinates = Some(Coordinates::parse(-6.9025, 107.6188).unwrap());
        report.assignments = vec![Assignment {
            agency: "dsdabm".into(),
            status: AssignmentStatus::Dispatched,
            dispatched_at: at("2026-12-01T02:00:00Z"),
            due_at: at("2026-12-08T16:59:59Z"),
            provisional: false,
            follow_ups: Vec::new(),
            return_reason: None,
            sla: Default::default(),
            officer: None,
        }];
        report
    }

    fn officer() -> Actor {
        Actor::Staff {
            role: "agency:dsdabm".into(),
            subject: "officer-1".into(),
        }
    }

    fn ready(hash: u64, capture: Capture) -> ReadyPhoto {
        ReadyPhoto {
            width: 1600,
            height: 1200,
            bytes: PhotoBytes {
                original: 3_000_000,
                display: 250_000,
                thumbnail: 12_000,
            },
            hash: PerceptualHash(hash),
            capture,
            flags: Vec::new(),
        }
    }

    fn proof() -> PhotoPurpose {
        PhotoPurpose::FollowUp {
            agency: "dsdabm".into(),
        }
    }

    #[test]
    fn slots_are_counted_per_purpose_and_a_refused_photo_frees_its_place() {
        let mut report = dispatched_report();
        for n in 0..5 {
            let change = open_photo_slot(
                &report,
                &PhotoLimits::default(),
                PhotoPurpose::Evidence,
                &Actor::Citizen,
                photo_id(n),
                at("2026-12-01T03:00:00Z"),
            )
            .unwrap();
            assert_eq!(change.report.version, report.version + 1);
            assert_eq!(change.event.action, Some(ReportAction::AddPhoto));
            assert_eq!(change.report.status, ReportStatus::Dispatched);
            report = change.report;
        }
        let sixth = open_photo_slot(
            &report,
            &PhotoLimits::default(),
            PhotoPurpose::Evidence,
            &Actor::Citizen,
            photo_id(9),
            at("2026-12-01T03:00:00Z"),
        );
        assert!(matches!(sixth, Err(WorkflowError::Invalid(_))), "{sixth:?}");
        // The agency's proof has its own five.
        let proof_slot = open_photo_slot(
            &report,
            &PhotoLimits::default(),
            proof(),
            &officer(),
            photo_id(10),
            at("2026-12-02T03:00:00Z"),
        );
        assert!(proof_slot.is_ok(), "{proof_slot:?}");
        // One refused: its place is free again.
        let refused = record_photo(
            &report,
            &photo_id(0),
            PhotoOutcome::Refused(PhotoRefusal::NotAnImage),
            at("2026-12-01T03:01:00Z"),
        )
        .unwrap()
        .unwrap();
        assert!(
            refused
                .event
                .reason
                .as_deref()
                .unwrap()
                .starts_with("foto ditolak: Berkas ini bukan foto")
        );
        assert!(
            open_photo_slot(
                &refused.report,
                &PhotoLimits::default(),
                PhotoPurpose::Evidence,
                &Actor::Citizen,
                photo_id(11),
                at("2026-12-01T03:02:00Z")
            )
            .is_ok()
        );
        // A slot never uploaded to holds its place for an hour, then frees it.
        let an_hour_later = |stamp: &str| {
            open_photo_slot(
                &report,
                &PhotoLimits::default(),
                PhotoPurpose::Evidence,
                &Actor::Citizen,
                photo_id(12),
                at(stamp),
            )
        };
        assert!(an_hour_later("2026-12-01T03:59:00Z").is_err());
        assert!(an_hour_later("2026-12-01T04:00:00Z").is_ok());
    }

    #[test]
    fn only_an_agency_on_the_report_gets_a_proof_slot_and_a_closed_report_none() {
        let report = dispatched_report();
        let other = PhotoPurpose::FollowUp {
            agency: "dlh".into(),
        };
        assert_eq!(
            open_photo_slot(
                &report,
                &PhotoLimits::default(),
                other,
                &officer(),
                photo_id(1),
                at("2026-12-02T03:00:00Z")
            ),
            Err(WorkflowError::NotAssigned("dlh".into()))
        );
        let mut closed = dispatched_report();
        closed.status = ReportStatus::Closed;
        closed.assignments[0].status = AssignmentStatus::Responded;
        let late = open_photo_slot(
            &closed,
            &PhotoLimits::default(),
            PhotoPurpose::Evidence,
            &Actor::Citizen,
            photo_id(1),
            at("2026-12-09T03:00:00Z"),
        );
        assert!(
            matches!(late, Err(WorkflowError::Transition(_))),
            "{late:?}"
        );
    }

    #[test]
    fn a_redelivered_result_changes_nothing() {
        let report = open_photo_slot(
            &dispatched_report(),
            &PhotoLimits::default(),
            PhotoPurpose::Evidence,
            &Actor::Citizen,
            photo_id(1),
            at("2026-12-01T03:00:00Z"),
        )
        .unwrap()
        .report;
        let outcome = PhotoOutcome::Processed {
            photo: ready(7, Capture::default()),
            elsewhere: Vec::new(),
        };
        let done = record_photo(
            &report,
            &photo_id(1),
            outcome.clone(),
            at("2026-12-01T03:01:00Z"),
        )
        .unwrap()
        .unwrap();
        assert!(matches!(done.report.photos[0].state, PhotoState::Ready(_)));
        assert_eq!(done.event.reason.as_deref(), Some("foto diterima"));
        assert_eq!(
            record_photo(
                &done.report,
                &photo_id(1),
                outcome,
                at("2026-12-01T03:02:00Z")
            ),
            Ok(None)
        );
    }

    #[test]
    fn a_proof_photo_reusing_the_before_photo_taken_far_away_and_early_is_flagged_on_the_trail() {
        let report = dispatched_report();
        let with_before = open_photo_slot(
            &report,
            &PhotoLimits::default(),
            PhotoPurpose::Evidence,
            &Actor::Citizen,
            photo_id(1),
            at("2026-12-01T01:00:00Z"),
        )
        .unwrap()
        .report;
        let before_hash = 0xF0F0_F0F0_F0F0_F0F0;
        let with_before = record_photo(
            &with_before,
            &photo_id(1),
            PhotoOutcome::Processed {
                photo: ready(before_hash, Capture::default()),
                elsewhere: Vec::new(),
            },
            at("2026-12-01T01:01:00Z"),
        )
        .unwrap()
        .unwrap()
        .report;
        let slotted = open_photo_slot(
            &with_before,
            &PhotoLimits::default(),
            proof(),
            &officer(),
            photo_id(2),
            at("2026-12-03T03:00:00Z"),
        )
        .unwrap()
        .report;
        // The "before" photo again, re-encoded (two bits off), with a GPS fix 2.5 km
        // away and a time the day before the dispatch; and the same as a photo on
        // another report's follow-up.
        let capture = Capture {
            at: Some(at("2026-11-30T09:00:00Z")),
            position: Some(GeoPoint::parse(-6.9218, 107.6071).unwrap()),
        };
        let elsewhere = vec![EarlierPhoto {
            report_id: "BDG-OTHER12".into(),
            photo_id: "PPPPPPPPPPPP".into(),
            hash: PerceptualHash(before_hash ^ 0b1),
        }];
        let change = record_photo(
            &slotted,
            &photo_id(2),
            PhotoOutcome::Processed {
                photo: ready(before_hash ^ 0b11, capture),
                elsewhere,
            },
            at("2026-12-03T03:01:00Z"),
        )
        .unwrap()
        .unwrap();
        let PhotoState::Ready(proof) = &change.report.photos[1].state else {
            panic!("{:?}", change.report.photos[1]);
        };
        let kinds: Vec<&str> = proof
            .flags
            .iter()
            .map(|f| match f {
                PhotoFlag::Reused { .. } => "reused",
                PhotoFlag::FarFromReport { .. } => "far",
                PhotoFlag::TakenBeforeDispatch { .. } => "early",
            })
            .collect();
        assert_eq!(kinds, ["reused", "reused", "far", "early"]);
        let trail = change.event.reason.unwrap();
        assert!(
            trail.starts_with("foto diterima; foto sama dengan foto sebelumnya di laporan "),
            "{trail}"
        );
        assert!(
            trail.contains("BDG-OTHER12") && trail.contains("sebelum laporan diteruskan"),
            "{trail}"
        );
        assert_eq!(change.event.agency.as_deref(), Some("dsdabm"));
        // The citizen's own evidence photo is never checked as proof.
        assert!(
            matches!(&change.report.photos[0].state, PhotoState::Ready(r) if r.flags.is_empty())
        );
    }
}
