//! Staff identity: who is calling a staff endpoint, from the JWT claims API Gateway's
//! authorizer validated (Cognito groups in the deployed stack, devstack's local key
//! when run locally). Handlers never see a token, only these claims.

use std::collections::HashMap;

use super::duplicates::SAME_SENDER;
use super::report::{Actor, AssignmentStatus, Report};
use super::triage::TriageResult;

/// A staff role (architecture §8). Cognito group names are the wire form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Role {
    /// Verifies and dispatches; sees reporter identities.
    Admin,
    /// Reads everything across agencies; changes nothing.
    Supervisor,
    /// 112 call-taker.
    Operator,
    /// Staff of one agency: sees and answers only that agency's reports.
    Agency(String),
    /// A responder unit (panic paging).
    Responder(String),
}

impl Role {
    /// Parses a group name: `admin`, `supervisor`, `operator`, `agency:<id>`, `responder:<unit>`.
    pub fn parse(group: &str) -> Option<Self> {
        let group = group.trim();
        match group.split_once(':') {
            None => match group {
                "admin" => Some(Role::Admin),
                "supervisor" => Some(Role::Supervisor),
                "operator" => Some(Role::Operator),
                _ => None,
            },
            Some(("agency", id)) if valid_id(id) => Some(Role::Agency(id.into())),
            Some(("responder", unit)) if valid_id(unit) => Some(Role::Responder(unit.into())),
            _ => None,
        }
    }

    /// The group name.
    pub fn name(&self) -> String {
        match self {
            Role::Admin => "admin".into(),
            Role::Supervisor => "supervisor".into(),
            Role::Operator => "operator".into(),
            Role::Agency(id) => format!("agency:{id}"),
            Role::Responder(unit) => format!("responder:{unit}"),
        }
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// An authenticated staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    /// The token's subject (user id).
    pub subject: String,
    /// Roles from the groups claim; unknown groups are ignored.
    pub roles: Vec<Role>,
}

/// The claim holding Cognito groups.
pub const GROUPS_CLAIM: &str = "cognito:groups";

/// Reads a groups claim as the list it is: HTTP APIs flatten the array to
/// `[admin agency:dlh]` (Cognito group names hold no whitespace), and a JSON array is
/// accepted too. Nothing else separates groups: splitting on commas let a group named
/// `agency:x,admin` grant admin.
pub fn parse_groups(raw: &str) -> Vec<Role> {
    if let Ok(list) = serde_json::from_str::<Vec<String>>(raw) {
        return list.iter().filter_map(|g| Role::parse(g)).collect();
    }
    raw.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split_whitespace()
        .filter_map(Role::parse)
        .collect()
}

impl Staff {
    /// The caller, from validated claims; `None` without a subject.
    pub fn from_claims(claims: &HashMap<String, String>) -> Option<Self> {
        let subject = claims
            .get("sub")
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())?;
        let roles = claims
            .get(GROUPS_CLAIM)
            .map(|g| parse_groups(g))
            .unwrap_or_default();
        Some(Self {
            subject: subject.into(),
            roles,
        })
    }

    /// Has the admin role.
    pub fn is_admin(&self) -> bool {
        self.roles.contains(&Role::Admin)
    }

    /// Has the supervisor role.
    pub fn is_supervisor(&self) -> bool {
        self.roles.contains(&Role::Supervisor)
    }

    /// The agency this member works for, if any (the first, if several).
    pub fn agency(&self) -> Option<&str> {
        self.roles.iter().find_map(|r| match r {
            Role::Agency(id) => Some(id.as_str()),
            _ => None,
        })
    }

    /// Has the operator (112 call-taker) role.
    pub fn is_operator(&self) -> bool {
        self.roles.contains(&Role::Operator)
    }

    /// The responder unit this member belongs to, if any (the first, if several).
    pub fn unit(&self) -> Option<&str> {
        self.roles.iter().find_map(|r| match r {
            Role::Responder(unit) => Some(unit.as_str()),
            _ => None,
        })
    }

    /// Who they are in the audit trail, acting in `role`.
    pub fn actor(&self, role: &Role) -> Actor {
        Actor::Staff {
            role: role.name(),
            subject: self.subject.clone(),
        }
    }
}

/// True when `agency` holds (or held and answered) an assignment on the report: a
/// returned assignment no longer counts.
pub fn agency_on(report: &Report, agency: &str) -> bool {
    report
        .assignments
        .iter()
        .any(|a| a.agency == agency && a.status != AssignmentStatus::Returned)
}

/// Whether `staff` may read this report at all: admins and supervisors every one, an
/// agency only those it is on (another agency's report is "not found").
pub fn may_read(staff: &Staff, report: &Report) -> bool {
    staff.is_admin()
        || staff.is_supervisor()
        || staff.agency().is_some_and(|a| agency_on(report, a))
}

/// Whether `staff` sees who reported (architecture §5): the admin always (the
/// verifying admin); anyone else only when the report is neither *anonim* nor *rahasia*.
pub fn may_see_identity(staff: &Staff, report: &Report) -> bool {
    staff.is_admin() || (!report.anonymous && !report.confidential)
}

/// Whether `staff` sees triage's suggestions (staff who verify or oversee, not agencies).
pub fn sees_triage(staff: &Staff) -> bool {
    staff.is_admin() || staff.is_supervisor()
}

/// Triage as `staff` may see it: all of it for the verifying admin; for supervisors
/// without the "same sender" links, which would lead from an anonymous or
/// confidential report to the same person's named one (finding 3 of issue 18);
/// nothing for anyone else.
pub fn triage_for(staff: &Staff, triage: &TriageResult) -> Option<TriageResult> {
    if staff.is_admin() {
        return Some(triage.clone());
    }
    sees_triage(staff).then(|| TriageResult {
        duplicates: triage
            .duplicates
            .iter()
            .filter(|d| d.reason != SAME_SENDER)
            .cloned()
            .collect(),
        ..triage.clone()
    })
}

/// Whether `staff` may read incidents: the command centre's people.
pub fn may_read_incidents(staff: &Staff) -> bool {
    staff.is_operator() || staff.unit().is_some() || staff.is_admin() || staff.is_supervisor()
}

/// How an incident taken through a page's link is owned: `tautan-t<tier>`. Whoever
/// tapped is not known (the link proves the page was received, not by whom).
pub const LINK_OWNER_PREFIX: &str = "tautan-t";

/// Whether `staff` may resolve an incident owned by `owner`, or add notes to it: an
/// operator always (the command centre); a responder for an incident nobody owns
/// yet, one their own unit owns, or one taken through a link. Another unit's
/// incident is that unit's: an `unfounded` from a stranger would lower the device's
/// trust.
pub fn may_close_incident(staff: &Staff, owner: Option<&str>) -> bool {
    staff.is_operator()
        || staff.unit().is_some_and(|unit| match owner {
            None => true,
            Some(owner) => owner == unit || owner.starts_with(LINK_OWNER_PREFIX),
        })
}

/// Whether `staff` sees a 112 caller's number (to call back): operators and admins.
pub fn sees_caller(staff: &Staff) -> bool {
    staff.is_operator() || staff.is_admin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(groups: &str) -> Staff {
        Staff {
            subject: "u-1".into(),
            roles: parse_groups(groups),
        }
    }

    fn report(
        anonymous: bool,
        confidential: bool,
        agencies: &[(&str, AssignmentStatus)],
    ) -> Report {
        use crate::domain::report::{Assignment, Channel};
        use crate::domain::tracking_id::TrackingId;
        let at: jiff::Timestamp = "2026-11-20T03:00:00Z".parse().unwrap();
        Report {
            anonymous,
            confidential,
            assignments: agencies
                .iter()
                .map(|(agency, status)| Assignment {
                    agency: agency.to_string(),
                    status: *status,
                    dispatched_at: at,
                    due_at: at,
                    provisional: false,
                    follow_ups: Vec::new(),
                    return_reason: None,
                    sla: Default::default(),
                    officer: None,
                })
                .collect(),
            ..Report::received(
                TrackingId::from_random_bytes(&[1, 2, 3, 4, 5, 6]).unwrap(),
                Channel::Web,
                at,
            )
        }
    }

    #[test]
    fn who_reads_a_report_and_who_sees_the_reporter() {
        use AssignmentStatus::{Dispatched, Responded, Returned};
        let held = report(false, false, &[("dlh", Responded), ("dishub", Returned)]);
        // (groups, may read, sees identity, sees triage)
        let cases = [
            ("[admin]", true, true, true),
            ("[supervisor]", true, true, true),
            ("[agency:dlh]", true, true, false),
            ("[agency:dishub]", false, true, false),
            ("[agency:pdam]", false, true, false),
            ("[operator]", false, true, false),
            ("[responder:polsek]", false, true, false),
        ];
        for (groups, read, identity, triage) in cases {
            let who = staff(groups);
            assert_eq!(may_read(&who, &held), read, "{groups} reads");
            assert_eq!(may_see_identity(&who, &held), identity, "{groups} identity");
            assert_eq!(sees_triage(&who), triage, "{groups} triage");
        }
        for (anonymous, confidential) in [(true, false), (false, true), (true, true)] {
            let hidden = report(anonymous, confidential, &[("dlh", Dispatched)]);
            assert!(may_see_identity(&staff("[admin]"), &hidden));
            for groups in ["[supervisor]", "[agency:dlh]", "[operator]"] {
                assert!(
                    !may_see_identity(&staff(groups), &hidden),
                    "{groups} sees an anonim={anonymous} rahasia={confidential} reporter"
                );
            }
        }
    }

    #[test]
    fn only_the_admin_sees_same_sender_links() {
        use crate::domain::triage::DuplicateCandidate;
        let link = |id: &str, reason: &str| DuplicateCandidate {
            report_id: id.into(),
            reason: reason.into(),
            distance_m: None,
        };
        let triage = TriageResult {
            duplicates: vec![link("BDG-1", SAME_SENDER), link("BDG-2", "nearby")],
            ..TriageResult::default()
        };
        assert_eq!(triage_for(&staff("[admin]"), &triage), Some(triage.clone()));
        let overseen = triage_for(&staff("[supervisor]"), &triage).unwrap();
        assert_eq!(overseen.duplicates, vec![link("BDG-2", "nearby")]);
        for groups in ["[agency:dlh]", "[operator]", "[responder:polsek]"] {
            assert_eq!(triage_for(&staff(groups), &triage), None, "{groups}");
        }
    }

    #[test]
    fn a_responder_closes_only_what_their_unit_or_nobody_owns() {
        let polsek = staff("[responder:polsek-coblong]");
        for (owner, may) in [
            (None, true),
            (Some("polsek-coblong"), true),
            (Some("tautan-t1"), true),
            (Some("damkar-kota"), false),
        ] {
            assert_eq!(may_close_incident(&polsek, owner), may, "{owner:?}");
        }
        assert!(may_close_incident(
            &staff("[operator]"),
            Some("damkar-kota")
        ));
        for groups in ["[admin]", "[supervisor]", "[agency:dlh]"] {
            assert!(!may_close_incident(&staff(groups), None), "{groups}");
        }
    }

    #[test]
    fn who_reads_incidents_and_sees_the_caller() {
        for (groups, read, caller) in [
            ("[operator]", true, true),
            ("[admin]", true, true),
            ("[supervisor]", true, false),
            ("[responder:polsek]", true, false),
            ("[agency:dlh]", false, false),
        ] {
            let who = staff(groups);
            assert_eq!(may_read_incidents(&who), read, "{groups}");
            assert_eq!(sees_caller(&who), caller, "{groups}");
        }
        assert_eq!(staff("[responder:polsek]").unit(), Some("polsek"));
    }

    #[test]
    fn groups_in_every_shape_api_gateway_sends() {
        let want = vec![Role::Admin, Role::Agency("dlh".into())];
        assert_eq!(parse_groups("[admin agency:dlh]"), want);
        assert_eq!(parse_groups(r#"["admin","agency:dlh"]"#), want);
        // One group whose name has a comma is one (unknown) group, never two.
        assert_eq!(parse_groups("[agency:x,admin]"), vec![]);
        assert_eq!(parse_groups(r#"["agency:x,admin"]"#), vec![]);
        assert_eq!(
            parse_groups("[agency:dlh,admin supervisor]"),
            vec![Role::Supervisor]
        );
        assert_eq!(parse_groups("[superuser agency: agency:a/b]"), vec![]);
    }

    #[test]
    fn staff_from_claims() {
        let claims: HashMap<String, String> = [
            ("sub".to_string(), "u-7".to_string()),
            (GROUPS_CLAIM.to_string(), "[agency:dsdabm]".to_string()),
        ]
        .into();
        let staff = Staff::from_claims(&claims).unwrap();
        assert_eq!(staff.agency(), Some("dsdabm"));
        assert!(!staff.is_admin() && !staff.is_supervisor());
        assert_eq!(
            staff.actor(&Role::Agency("dsdabm".into())).to_stored(),
            "agency:dsdabm:u-7"
        );
        assert_eq!(Staff::from_claims(&HashMap::new()), None);
    }
}
