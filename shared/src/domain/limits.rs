//! Limits on how often one scope (a phone number, a client address, the whole
//! account) may do a thing in a window: the rule and the answer to give when it is
//! over. Counting happens in `adapters::rates`; every limit is listed in
//! `docs/abuse.md`.

use jiff::Timestamp;

/// WIB is UTC+7: a day window turns at midnight in Bandung, not in London.
const WIB_OFFSET_SECONDS: i64 = 7 * 3600;

/// The window a limit counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// A clock hour.
    Hour,
    /// A calendar day in WIB.
    Day,
}

impl Window {
    /// Its length in seconds.
    pub fn seconds(self) -> i64 {
        match self {
            Window::Hour => 3600,
            Window::Day => 86_400,
        }
    }

    /// The number of the window holding `at` (consecutive windows, consecutive numbers).
    pub fn index(self, at: Timestamp) -> i64 {
        self.shifted(at).div_euclid(self.seconds())
    }

    /// The prefix of its counters' sort keys (`W#` hours, `D#` days).
    pub fn key_prefix(self) -> &'static str {
        match self {
            Window::Hour => "W#",
            Window::Day => "D#",
        }
    }

    /// When window `index` ends, in Unix seconds.
    pub fn end_of(self, index: i64) -> i64 {
        (index + 1) * self.seconds()
            - match self {
                Window::Hour => 0,
                Window::Day => WIB_OFFSET_SECONDS,
            }
    }

    fn shifted(self, at: Timestamp) -> i64 {
        match self {
            Window::Hour => at.as_second(),
            Window::Day => at.as_second() + WIB_OFFSET_SECONDS,
        }
    }
}

/// At most `max` in each `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// How many the window allows.
    pub max: u64,
    /// The window.
    pub window: Window,
}

impl Limit {
    /// At most `max` per clock hour.
    pub fn per_hour(max: u64) -> Self {
        Self {
            max,
            window: Window::Hour,
        }
    }

    /// At most `max` per WIB day.
    pub fn per_day(max: u64) -> Self {
        Self {
            max,
            window: Window::Day,
        }
    }

    /// The refusal for the `count`th in the window of `at` (this one included), or
    /// `None` while it is within the limit.
    pub fn check(&self, count: u64, at: Timestamp) -> Option<Refusal> {
        (count > self.max).then(|| Refusal {
            retry_after_seconds: self.window.end_of(self.window.index(at)) - at.as_second(),
        })
    }
}

/// Over a limit: try again when the window turns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// Seconds until the window turns (at least 1): the `Retry-After` to answer.
    pub retry_after_seconds: i64,
}

impl Refusal {
    /// The wait in words for a citizen: "1 menit", "25 menit", "3 jam".
    pub fn wait_in_words(&self) -> String {
        let minutes = (self.retry_after_seconds + 59) / 60;
        if minutes <= 90 {
            format!("{} menit", minutes.max(1))
        } else {
            format!("{} jam", (minutes + 59) / 60)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn within_the_limit_is_not_refused_and_the_next_one_is() {
        let limit = Limit::per_hour(3);
        let now = at("2026-12-02T08:15:00Z");
        assert_eq!(limit.check(3, now), None);
        assert_eq!(
            limit.check(4, now),
            Some(Refusal {
                retry_after_seconds: 45 * 60
            })
        );
    }

    #[test]
    fn a_day_turns_at_midnight_in_bandung() {
        let limit = Limit::per_day(1);
        // 16:30 UTC is 23:30 WIB: half an hour to go.
        let late = at("2026-12-02T16:30:00Z");
        assert_eq!(limit.check(2, late).unwrap().retry_after_seconds, 1800);
        // 17:00 UTC is midnight WIB: a new day, a new window.
        let midnight = at("2026-12-02T17:00:00Z");
        assert_eq!(
            Window::Day.index(midnight),
            Window::Day.index(late) + 1,
            "midnight WIB starts the next window"
        );
        assert_eq!(
            limit.check(2, midnight).unwrap().retry_after_seconds,
            86_400
        );
    }

    #[test]
    fn the_wait_reads_in_minutes_then_hours() {
        let words = |s| {
            Refusal {
                retry_after_seconds: s,
            }
            .wait_in_words()
        };
        assert_eq!(words(1), "1 menit");
        assert_eq!(words(25 * 60), "25 menit");
        assert_eq!(words(3 * 3600 - 10), "3 jam");
    }
}
