//! What a report's clocks are computed with: the holiday calendar in force (the
//! table's, cached) and the working days of its category (a tier, or the defaults).

use std::sync::Arc;

use crate::adapters::calendar::CalendarCache;
use crate::adapters::catalog::CatalogCache;
use crate::adapters::table::StoreError;
use crate::domain::calendar::WorkingCalendar;
use crate::domain::deadline::Policy;
use crate::domain::deadline::WorkingDays;

/// The calendar and durations for one report's clocks.
#[derive(Debug, Clone)]
pub struct ClockRules {
    /// The calendar in force.
    pub calendar: Arc<WorkingCalendar>,
    /// The category's durations.
    pub days: WorkingDays,
}

impl ClockRules {
    /// The workflow policy these rules make.
    pub fn policy(&self) -> Policy<'_> {
        self.days.policy(&self.calendar)
    }
}

/// The rules for a report of `category`: the calendar in force, and `defaults`
/// with the category's tier applied (an unknown category keeps the defaults).
pub async fn clock_rules(
    calendar: &CalendarCache,
    catalog: &CatalogCache,
    defaults: WorkingDays,
    category: &str,
) -> Result<ClockRules, StoreError> {
    let categories = catalog.categories().await?;
    let tier = categories
        .iter()
        .find(|c| c.code == category)
        .and_then(|c| c.working_days.as_ref());
    Ok(ClockRules {
        calendar: calendar.current().await?,
        days: defaults.for_tier(tier),
    })
}

/// Fills the calendar and category caches at init, both reads at once, so that the
/// first request costs what a warm one does (in AWS it also opens the DynamoDB
/// connection before anyone waits on it). A failed read is logged and left to the
/// first request, which reads again.
pub async fn warm_up(calendar: &CalendarCache, catalog: &CatalogCache) {
    let (calendar, categories) = tokio::join!(calendar.current(), catalog.categories());
    if let Err(error) = calendar {
        tracing::warn!(%error, "calendar not cached at init");
    }
    if let Err(error) = categories {
        tracing::warn!(%error, "categories not cached at init");
    }
}
