//! The working-day calendar: Bandung government working days and deadlines.
//!
//! Rules (architecture §6):
//! - Deadlines are computed on local dates in `Asia/Jakarta` (WIB); instants are UTC.
//! - A working day is Monday–Friday that is neither a national holiday nor cuti bersama.
//! - Holidays are data (`shared/data/holidays.json`, versioned), never code.
//! - A deadline of N working days falls at 23:59:59 WIB of the Nth working day,
//!   counted from the day after the event.
//! - A year with no confirmed holiday data counts weekends only, and every deadline
//!   that touches such a year is marked provisional so it can be shown as such.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use jiff::tz::{self, TimeZone};
use serde::{Deserialize, Serialize};

/// The holiday file shipped with the code; the seed for the editable calendar.
pub const BUNDLED_HOLIDAYS: &str = include_str!("../../data/holidays.json");

/// Western Indonesia Time. `Asia/Jakarta` has been UTC+07:00 without daylight saving
/// since 1964, so a fixed offset is exact for every date Sigap handles and needs no
/// tz database on the Lambda image.
pub fn wib() -> TimeZone {
    TimeZone::fixed(tz::offset(7))
}

/// What kind of day off a calendar entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayOffKind {
    /// A national holiday (libur nasional).
    LiburNasional,
    /// Collective leave for civil servants (cuti bersama).
    CutiBersama,
}

/// One day off in the calendar file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayOff {
    /// The local date.
    pub date: Date,
    /// Holiday or collective leave.
    pub kind: DayOffKind,
    /// Its Indonesian name.
    pub name: String,
}

/// The confirmed days off of one year and the decree they come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearDaysOff {
    /// The decree (SKB) or other source the dates come from.
    pub source: String,
    /// Every day off of the year.
    pub days: Vec<DayOff>,
}

/// The holiday data: the bundled file's format, and what the table stores (one
/// revision per admin edit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolidayData {
    /// Version label, recorded on every deadline computed with it.
    pub version: String,
    /// The confirmed years and their days off.
    pub years: BTreeMap<i16, YearDaysOff>,
}

impl HolidayData {
    /// Parses the file format, checking every date is filed under its own year.
    pub fn from_json(json: &str) -> Result<Self, CalendarError> {
        let data: HolidayData = serde_json::from_str(json)?;
        data.check()?;
        Ok(data)
    }

    /// The file shipped in the repository.
    pub fn bundled() -> Result<Self, CalendarError> {
        Self::from_json(BUNDLED_HOLIDAYS)
    }

    /// Every date must be filed under its own year.
    pub fn check(&self) -> Result<(), CalendarError> {
        for (&year, listed) in &self.years {
            if let Some(day) = listed.days.iter().find(|d| d.date.year() != year) {
                return Err(CalendarError::WrongYear {
                    date: day.date,
                    year,
                });
            }
        }
        Ok(())
    }

    /// The calendar these days off make.
    pub fn calendar(&self) -> WorkingCalendar {
        WorkingCalendar {
            version: self.version.clone(),
            days_off: self
                .years
                .values()
                .flat_map(|y| y.days.iter().map(|d| d.date))
                .collect(),
            confirmed_years: self.years.keys().copied().collect(),
        }
    }
}

/// Why a calendar file was refused.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// Not valid JSON of the expected shape.
    #[error("calendar data is not valid: {0}")]
    Format(#[from] serde_json::Error),
    /// A date filed under the wrong year.
    #[error("{date} is listed under year {year}")]
    WrongYear {
        /// The date.
        date: Date,
        /// The year it was listed under.
        year: i16,
    },
}

/// A working-day deadline: the instant plus whether it rests on unconfirmed data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// 23:59:59 WIB of the last working day, as a UTC instant.
    pub due_at: Timestamp,
    /// The local date of that last working day.
    pub due_date: Date,
    /// True when a counted day lies in a year without confirmed holiday data.
    pub provisional: bool,
}

/// Working days for Bandung's government offices.
#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    version: String,
    days_off: BTreeSet<Date>,
    confirmed_years: BTreeSet<i16>,
}

impl WorkingCalendar {
    /// Parses a calendar file (the bundled one, or an admin's edited version).
    pub fn from_json(json: &str) -> Result<Self, CalendarError> {
        Ok(HolidayData::from_json(json)?.calendar())
    }

    /// The calendar shipped in the repository.
    pub fn bundled() -> Result<Self, CalendarError> {
        Self::from_json(BUNDLED_HOLIDAYS)
    }

    /// The version label of the holiday data, recorded with every deadline.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// True when the year's holidays are loaded; otherwise deadlines are provisional.
    pub fn is_confirmed(&self, year: i16) -> bool {
        self.confirmed_years.contains(&year)
    }

    /// This year and next, where their holidays are not loaded yet: deadlines
    /// reaching into them are provisional, and the admins are told until they are.
    pub fn unconfirmed_ahead(&self, now: Timestamp) -> Vec<i16> {
        let year = now.to_zoned(wib()).year();
        [year, year.saturating_add(1)]
            .into_iter()
            .filter(|y| !self.is_confirmed(*y))
            .collect()
    }

    /// True on Monday–Friday that is not a holiday or cuti bersama.
    pub fn is_working_day(&self, date: Date) -> bool {
        !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
            && !self.days_off.contains(&date)
    }

    /// The Nth working day after `date` (the day itself never counts), and whether
    /// any day walked over lies in an unconfirmed year. `n = 0` returns `date`.
    pub fn add_working_days(&self, date: Date, n: u32) -> (Date, bool) {
        let mut provisional = false;
        let mut day = date;
        let mut counted = 0;
        while counted < n {
            day = match day.tomorrow() {
                Ok(next) => next,
                // Year 9999: nothing Sigap will meet; stop rather than loop.
                Err(_) => return (day, true),
            };
            provisional |= !self.is_confirmed(day.year());
            if self.is_working_day(day) {
                counted += 1;
            }
        }
        (day, provisional)
    }

    /// The last working day before `date`, if one exists in jiff's range.
    pub fn previous_working_day(&self, date: Date) -> Option<Date> {
        let mut day = date.yesterday().ok()?;
        while !self.is_working_day(day) {
            day = day.yesterday().ok()?;
        }
        Some(day)
    }

    /// Working days left until the deadline `due` as seen at `now`: the working days
    /// after today up to and including the due date (0 on the due date itself), or,
    /// once it has passed, minus the working days since. So `deadline(now, n)` has
    /// exactly `n` left at `now`.
    pub fn working_days_left(&self, now: Timestamp, due: Timestamp) -> i32 {
        let today = now.to_zoned(wib()).date();
        let due_date = due.to_zoned(wib()).date();
        let (from, to, sign) = if due_date >= today {
            (today, due_date, 1)
        } else {
            (due_date, today, -1)
        };
        let mut day = from;
        let mut count = 0;
        while day < to {
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
            if self.is_working_day(day) {
                count += 1;
            }
        }
        sign * count
    }

    /// The deadline N working days after an event at `at` (architecture §6).
    pub fn deadline(&self, at: Timestamp, n: u32) -> Deadline {
        let local = at.to_zoned(wib()).date();
        let (due_date, provisional) = self.add_working_days(local, n);
        Deadline {
            due_at: end_of_day(due_date),
            due_date,
            provisional,
        }
    }
}

/// An instant as citizens and staff read it: RFC 3339 in WIB, e.g.
/// `2026-11-24T23:59:59+07:00`.
pub fn wib_rfc3339(at: Timestamp) -> String {
    at.to_zoned(wib())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// When government offices open (07:30–16:00 WIB in Bandung): reminders and repeat
/// escalations go out at 08:00 so someone is there to act on them.
pub const OFFICE_OPENS_HOUR: i8 = 8;

/// 08:00 WIB on `date`, as a UTC instant.
pub fn office_opening(date: Date) -> Timestamp {
    date.at(OFFICE_OPENS_HOUR, 0, 0, 0)
        .to_zoned(wib())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::MAX)
}

/// 23:59:59 WIB on `date`, as a UTC instant.
pub fn end_of_day(date: Date) -> Timestamp {
    // A fixed offset has no gaps or folds, so this conversion cannot fail for
    // any date in jiff's range except the very last second of year 9999.
    date.at(23, 59, 59, 0)
        .to_zoned(wib())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn calendar() -> WorkingCalendar {
        WorkingCalendar::bundled().unwrap()
    }

    fn wib_instant(y: i16, m: i8, d: i8, h: i8) -> Timestamp {
        date(y, m, d)
            .at(h, 0, 0, 0)
            .to_zoned(wib())
            .unwrap()
            .timestamp()
    }

    #[test]
    fn friday_morning_with_two_days_is_due_tuesday_night() {
        // 2026-11-20 is a Friday; Monday 23 and Tuesday 24 November are working days.
        let due = calendar().deadline(wib_instant(2026, 11, 20, 10), 2);
        assert_eq!(due.due_date, date(2026, 11, 24));
        assert_eq!(due.due_at.to_string(), "2026-11-24T16:59:59Z");
        assert!(!due.provisional);
    }

    #[test]
    fn counting_starts_the_day_after_even_late_at_night() {
        // 23:30 WIB Monday is 16:30 UTC Monday: still Monday locally.
        let due = calendar().deadline(wib_instant(2026, 11, 23, 23), 1);
        assert_eq!(due.due_date, date(2026, 11, 24));
        // 06:00 WIB Tuesday is 23:00 UTC Monday: Tuesday locally, so due Wednesday.
        let early = calendar().deadline(wib_instant(2026, 11, 24, 6), 1);
        assert_eq!(early.due_date, date(2026, 11, 25));
    }

    #[test]
    fn idulfitri_2026_is_skipped() {
        // Thursday 19 March (Nyepi) → 20 cuti, 21–22 Idulfitri (weekend), 23–24 cuti.
        let due = calendar().deadline(wib_instant(2026, 3, 17, 9), 2);
        // 18 cuti, 19 Nyepi, 20 cuti, 21/22 weekend+holiday, 23/24 cuti → 25, 26.
        assert_eq!(due.due_date, date(2026, 3, 26));
    }

    #[test]
    fn christmas_2026_cuti_bersama_counts_as_a_day_off() {
        // Wednesday 23 Dec + 1 → Thursday 24 (cuti), Friday 25 (Natal) → Monday 28.
        let due = calendar().deadline(wib_instant(2026, 12, 23, 9), 1);
        assert_eq!(due.due_date, date(2026, 12, 28));
        assert!(!due.provisional);
    }

    #[test]
    fn a_year_without_data_is_provisional_and_weekends_only() {
        let cal = calendar();
        assert!(!cal.is_confirmed(2027));
        // 1 Jan 2027 is a Friday and a real holiday, but 2027 has no data yet.
        let due = cal.deadline(wib_instant(2026, 12, 31, 9), 1);
        assert_eq!(due.due_date, date(2027, 1, 1));
        assert!(due.provisional);
    }

    #[test]
    fn data_filed_under_the_wrong_year_is_refused() {
        let bad = r#"{"version":"x","years":{"2026":{"source":"s","days":[{"date":"2025-01-01","kind":"libur_nasional","name":"n"}]}}}"#;
        assert!(matches!(
            WorkingCalendar::from_json(bad),
            Err(CalendarError::WrongYear { .. })
        ));
        assert!(WorkingCalendar::from_json("{").is_err());
    }

    #[test]
    fn bundled_data_has_the_decreed_counts() {
        let file = HolidayData::from_json(BUNDLED_HOLIDAYS).unwrap();
        let count =
            |y: i16, k: DayOffKind| file.years[&y].days.iter().filter(|d| d.kind == k).count();
        assert_eq!(count(2025, DayOffKind::LiburNasional), 17);
        assert_eq!(count(2025, DayOffKind::CutiBersama), 10);
        assert_eq!(count(2026, DayOffKind::LiburNasional), 17);
        assert_eq!(count(2026, DayOffKind::CutiBersama), 8);
    }

    fn any_instant() -> impl Strategy<Value = Timestamp> {
        // 2025-01-01 .. 2027-06-30, any second.
        (1_735_664_400i64..1_814_400_000).prop_map(|s| Timestamp::from_second(s).unwrap())
    }

    proptest! {
        #[test]
        fn deadlines_land_on_working_days_at_end_of_day(at in any_instant(), n in 1u32..30) {
            let cal = calendar();
            let due = cal.deadline(at, n);
            prop_assert!(cal.is_working_day(due.due_date));
            let local = due.due_at.to_zoned(wib());
            prop_assert_eq!((local.hour(), local.minute(), local.second()), (23, 59, 59));
            prop_assert!(due.due_at > at);
        }

        #[test]
        fn exactly_n_working_days_are_counted(at in any_instant(), n in 1u32..30) {
            let cal = calendar();
            let due = cal.deadline(at, n);
            let mut day = at.to_zoned(wib()).date();
            let mut counted = 0;
            while day < due.due_date {
                day = day.tomorrow().unwrap();
                if cal.is_working_day(day) { counted += 1; }
            }
            prop_assert_eq!(counted, n);
        }

        #[test]
        fn more_days_never_means_an_earlier_deadline(at in any_instant(), n in 1u32..30) {
            let cal = calendar();
            prop_assert!(cal.deadline(at, n + 1).due_at > cal.deadline(at, n).due_at);
        }

        #[test]
        fn provisional_exactly_when_an_unconfirmed_year_is_touched(at in any_instant(), n in 1u32..30) {
            let cal = calendar();
            let due = cal.deadline(at, n);
            let start = at.to_zoned(wib()).date();
            let touched = (start.year() + 1..=due.due_date.year()).any(|y| !cal.is_confirmed(y))
                || (due.due_date.year() == start.year() && !cal.is_confirmed(start.year()) && due.due_date > start);
            prop_assert_eq!(due.provisional, touched);
        }
    }
}
