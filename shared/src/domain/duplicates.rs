//! Duplicate detection: open reports that may describe the same problem, nearby in
//! the same category or from the same sender (suggestions for the admin, recorded
//! with the triage result).

use super::location::{Coordinates, GeoPoint, Kecamatan};
use super::report::{Report, ReportStatus};
use super::tracking_id::TrackingId;
use super::triage::DuplicateCandidate;

/// Great-circle distance in metres between two points in Bandung.
pub fn distance_m(a: Coordinates, b: Coordinates) -> f64 {
    GeoPoint::from(a).distance_m(b.into())
}

/// Most duplicate candidates recorded on one report.
pub const MAX_DUPLICATES: usize = 10;

/// What duplicate detection needs to know of another open report: a few attributes,
/// so the scan reads those instead of whole reports.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSketch {
    /// Its tracking id.
    pub id: TrackingId,
    /// Its category code.
    pub category: String,
    /// Where it is in the workflow.
    pub status: ReportStatus,
    /// Its point, when it has one.
    pub coordinates: Option<Coordinates>,
    /// Its kecamatan, when given.
    pub kecamatan: Option<Kecamatan>,
}

impl From<&Report> for ReportSketch {
    fn from(report: &Report) -> Self {
        Self {
            id: report.id.clone(),
            category: report.category.clone(),
            status: report.status,
            coordinates: report.location.coordinates,
            kecamatan: report.location.kecamatan.clone(),
        }
    }
}

/// Open reports of the same category that may describe the same problem: within
/// `radius_m` when both have coordinates, otherwise in the same kecamatan.
pub fn nearby_candidates(
    report: &Report,
    others: &[ReportSketch],
    radius_m: f64,
) -> Vec<DuplicateCandidate> {
    others
        .iter()
        .filter(|o| o.id != report.id && o.category == report.category && !o.status.is_final())
        .filter_map(|o| match (report.location.coordinates, o.coordinates) {
            (Some(a), Some(b)) => {
                let d = distance_m(a, b);
                (d <= radius_m).then(|| DuplicateCandidate {
                    report_id: o.id.to_string(),
                    reason: "nearby".into(),
                    distance_m: Some(d.round()),
                })
            }
            _ => match (&report.location.kecamatan, &o.kecamatan) {
                (Some(a), Some(b)) if a.code == b.code => Some(DuplicateCandidate {
                    report_id: o.id.to_string(),
                    reason: "same_kecamatan".into(),
                    distance_m: None,
                }),
                _ => None,
            },
        })
        .take(MAX_DUPLICATES)
        .collect()
}

/// The reason of a link to the same sender's other report (the admin's alone to see).
pub const SAME_SENDER: &str = "same_sender";

/// The candidates with the same sender's other open reports (the caller found them
/// by sender hash) marked `same_sender`, even where they are nearby too (keeping the
/// distance): that link is the verifying admin's alone to see (`staff::triage_for`),
/// so it must never pass as `nearby`.
pub fn with_same_sender(
    report: &Report,
    others: &[Report],
    nearby: Vec<DuplicateCandidate>,
) -> Vec<DuplicateCandidate> {
    let theirs: Vec<&Report> = others
        .iter()
        .filter(|o| {
            o.id != report.id
                && !o.status.is_final()
                && o.sender.is_some()
                && o.sender == report.sender
        })
        .collect();
    let mine = |id: &str| theirs.iter().any(|o| o.id.as_str() == id);
    let mut candidates: Vec<DuplicateCandidate> = nearby
        .into_iter()
        .map(|c| {
            if mine(&c.report_id) {
                DuplicateCandidate {
                    reason: SAME_SENDER.into(),
                    ..c
                }
            } else {
                c
            }
        })
        .collect();
    for o in theirs {
        if !candidates.iter().any(|c| c.report_id == o.id.as_str()) {
            candidates.push(DuplicateCandidate {
                report_id: o.id.to_string(),
                reason: SAME_SENDER.into(),
                distance_m: None,
            });
        }
    }
    candidates.truncate(2 * MAX_DUPLICATES);
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        let gedung_sate = Coordinates::parse(-6.9025, 107.6188).unwrap();
        let alun_alun = Coordinates::parse(-6.9218, 107.6071).unwrap();
        let d = distance_m(gedung_sate, alun_alun);
        assert!((2_400.0..2_700.0).contains(&d), "{d}");
        assert_eq!(distance_m(gedung_sate, gedung_sate), 0.0);
    }

    fn report(
        seed: u8,
        category: &str,
        coordinates: Option<(f64, f64)>,
        kecamatan: Option<&str>,
    ) -> Report {
        use crate::domain::location::Kecamatan;
        use crate::domain::report::{Channel, ReportLocation, ReportStatus};
        use crate::domain::tracking_id::TrackingId;
        let at: jiff::Timestamp = "2026-11-20T03:00:00Z".parse().unwrap();
        Report {
            category: category.into(),
            location: ReportLocation {
                coordinates: coordinates.map(|(lat, lon)| Coordinates::parse(lat, lon).unwrap()),
                address: None,
                kecamatan: kecamatan.and_then(Kecamatan::find),
            },
            status: ReportStatus::PendingVerification,
            ..Report::received(
                TrackingId::from_random_bytes(&[seed, 1, 2, 3, 4, 5]).unwrap(),
                Channel::Web,
                at,
            )
        }
    }

    #[test]
    fn duplicates_are_same_category_and_near() {
        let me = report(1, "sampah", Some((-6.9000, 107.6100)), Some("Coblong"));
        let close = report(2, "sampah", Some((-6.9005, 107.6100)), None); // ~56 m
        let far = report(3, "sampah", Some((-6.9100, 107.6100)), None); // ~1.1 km
        let other_category = report(4, "pju", Some((-6.9000, 107.6100)), None);
        let same_kecamatan_no_point = report(5, "sampah", None, Some("Coblong"));
        let mut closed = report(6, "sampah", Some((-6.9000, 107.6100)), None);
        closed.status = crate::domain::report::ReportStatus::Closed;
        let others: Vec<ReportSketch> = [
            &me,
            &close,
            &far,
            &other_category,
            &same_kecamatan_no_point,
            &closed,
        ]
        .map(ReportSketch::from)
        .to_vec();
        let found = nearby_candidates(&me, &others, 150.0);
        let ids: Vec<_> = found.iter().map(|c| c.report_id.clone()).collect();
        assert_eq!(
            ids,
            vec![close.id.to_string(), same_kecamatan_no_point.id.to_string()]
        );
        assert_eq!(found[0].distance_m, Some(56.0));
        assert_eq!(found[1].reason, "same_kecamatan");
    }

    #[test]
    fn same_sender_reports_are_candidates_once_and_never_pass_as_nearby() {
        let mut me = report(1, "pju", None, None);
        me.sender = Some("h".into());
        let mut mine = report(2, "sampah", None, None);
        mine.sender = Some("h".into());
        let mut nearby_too = report(3, "pju", None, None);
        nearby_too.sender = Some("h".into());
        let mut someone_else = report(4, "pju", None, None);
        someone_else.sender = Some("other".into());
        let nearby = |r: &Report| DuplicateCandidate {
            report_id: r.id.to_string(),
            reason: "nearby".into(),
            distance_m: Some(3.0),
        };
        let found = with_same_sender(
            &me,
            &[
                me.clone(),
                mine.clone(),
                nearby_too.clone(),
                someone_else.clone(),
            ],
            vec![nearby(&nearby_too), nearby(&someone_else)],
        );
        let got: Vec<_> = found
            .iter()
            .map(|c| (c.report_id.as_str(), c.reason.as_str(), c.distance_m))
            .collect();
        assert_eq!(
            got,
            [
                (nearby_too.id.as_str(), SAME_SENDER, Some(3.0)),
                (someone_else.id.as_str(), "nearby", Some(3.0)),
                (mine.id.as_str(), SAME_SENDER, None),
            ]
        );
    }
}
