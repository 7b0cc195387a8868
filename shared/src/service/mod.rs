//! Each sequence that changes state, written once: read, decide (domain), commit
//! (one conditional write), announce. Channels and screens call these and add only
//! their parsing and presentation.

pub mod changes;
pub mod deadline_rules;
pub mod incidents;
pub mod paging;
pub mod photos;
pub mod reports;
pub mod texting;
pub mod whatsapp;

use std::future::Future;

use crate::adapters::table::StoreError;

/// Attempts at one change while concurrent writers keep winning: each attempt reads
/// again and decides again, so the loser acts on what won (or finds nothing to do).
pub const CONFLICT_ATTEMPTS: usize = 3;

/// An error that can mean "someone else wrote first".
pub trait Conflicting {
    /// True when the attempt lost a conditional write.
    fn is_conflict(&self) -> bool;
}

impl Conflicting for StoreError {
    fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Conflict)
    }
}

impl Conflicting for crate::http::ApiError {
    fn is_conflict(&self) -> bool {
        self.code == "conflict"
    }
}

/// Runs `attempt` again while it loses a race, at most [`CONFLICT_ATTEMPTS`] times;
/// the last loss is returned if every attempt lost.
pub async fn retry_on_conflict<T, E, A, F>(mut attempt: A) -> Result<T, E>
where
    E: Conflicting,
    A: FnMut() -> F,
    F: Future<Output = Result<T, E>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(err) if err.is_conflict() && tries < CONFLICT_ATTEMPTS => tries += 1,
            outcome => return outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_lost_race_is_tried_again_at_most_three_times() {
        for (losses, attempts, won) in [(0, 1, true), (2, 3, true), (5, 3, false)] {
            let mut made = 0;
            let outcome = retry_on_conflict(|| {
                made += 1;
                let lost = made <= losses;
                async move {
                    if lost {
                        Err(StoreError::Conflict)
                    } else {
                        Ok(made)
                    }
                }
            })
            .await;
            assert_eq!((made, outcome.is_ok()), (attempts, won), "{losses} losses");
        }
        // Any other error is not retried.
        let mut made = 0;
        let outcome: Result<(), _> = retry_on_conflict(|| {
            made += 1;
            async { Err(StoreError::Corrupt("x".into())) }
        })
        .await;
        assert!(matches!(outcome, Err(StoreError::Corrupt(_))));
        assert_eq!(made, 1);
    }
}
