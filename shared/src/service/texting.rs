//! SMS to citizens and one-time codes, within the SMS limits.
//!
//! Anyone can make Sigap text a number (a report's contact, a device registration),
//! so every such SMS is counted first: per destination (keyed hash of the number) per
//! hour and per day, then against the account's daily budget. The budget stops these
//! SMS well before the account's SNS spend limit, where SNS would stop *every* SMS,
//! responders' pages included. Pages never come here: they go out on the panic
//! topic and are counted by nothing. Emergency contacts' SMS (a press's own path) do
//! not come here either.
//!
//! A withheld SMS counts against its number (so a bombed number stays quiet) but
//! never against the budget, so bombing one number cannot spend everyone's budget.

use jiff::Timestamp;
use tracing::warn;

use crate::adapters::rates::RateCounter;
use crate::adapters::sms::SmsSender;
use crate::adapters::table::StoreError;
use crate::domain::contact::{PhoneNumber, SenderKey};
use crate::domain::limits::{Limit, Refusal, Window};
use crate::runtime::config::{ConfigError, Settings};

/// The counter scope of the account's budget.
const BUDGET_SCOPE: &str = "sms-budget";

/// The SMS limits (template parameters, shared by `notify` and `panic`, which count
/// on the same items).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsLimits {
    /// SMS one number may be sent in a clock hour.
    pub per_number_hour: Limit,
    /// SMS one number may be sent in a WIB day.
    pub per_number_day: Limit,
    /// Citizen and code SMS the whole account may send in a WIB day.
    pub daily_budget: Limit,
}

impl SmsLimits {
    /// Reads `SMS_PER_NUMBER_PER_HOUR` (10), `SMS_PER_NUMBER_PER_DAY` (30) and
    /// `SMS_DAILY_BUDGET` (2000).
    pub fn load(settings: &Settings) -> Result<Self, ConfigError> {
        Ok(Self {
            per_number_hour: Limit::per_hour(settings.parsed_or("SMS_PER_NUMBER_PER_HOUR", 10)?),
            per_number_day: Limit::per_day(settings.parsed_or("SMS_PER_NUMBER_PER_DAY", 30)?),
            daily_budget: Limit::per_day(settings.parsed_or("SMS_DAILY_BUDGET", 2000)?),
        })
    }
}

/// Why an SMS was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withheld {
    /// Its number has had its share for this hour or day.
    Number(Refusal),
    /// The account's budget for today is spent.
    Budget(Refusal),
}

impl Withheld {
    /// A stable word for logs and delivery records.
    pub fn reason(&self) -> &'static str {
        match self {
            Withheld::Number(_) => "number_limit",
            Withheld::Budget(_) => "daily_budget",
        }
    }

    /// When asking again could succeed.
    pub fn refusal(&self) -> Refusal {
        match self {
            Withheld::Number(r) | Withheld::Budget(r) => *r,
        }
    }
}

/// What became of one SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Texted {
    /// Sent, with the gateway's message id.
    Sent(String),
    /// Not sent: over a limit.
    Withheld(Withheld),
}

/// Sends limited SMS.
#[derive(Debug, Clone)]
pub struct Texting {
    sms: SmsSender,
    rates: RateCounter,
    key: SenderKey,
    limits: SmsLimits,
}

impl Texting {
    /// Over the sender, the counters, the number-hashing key and the limits.
    pub fn new(sms: SmsSender, rates: RateCounter, key: SenderKey, limits: SmsLimits) -> Self {
        Self {
            sms,
            rates,
            key,
            limits,
        }
    }

    /// Counts one SMS to `to` at `now`: `None` when it may go, else why not.
    pub async fn admit(
        &self,
        to: &PhoneNumber,
        now: Timestamp,
    ) -> Result<Option<Withheld>, StoreError> {
        let scope = format!("sms-to:{}", self.key.phone(to));
        // All three counts at once (one round trip on the way to every SMS); the
        // budget's is given back when the number's limit withholds the SMS.
        let (hour, day, spent) = futures::join!(
            self.rates.count(&scope, Window::Hour, now),
            self.rates.count(&scope, Window::Day, now),
            self.rates.count(BUDGET_SCOPE, Window::Day, now)
        );
        let (hour, day, spent) = (hour?, day?, spent?);
        let number = self
            .limits
            .per_number_hour
            .check(hour, now)
            .or(self.limits.per_number_day.check(day, now));
        if let Some(refusal) = number {
            warn!(to = %to.masked(), "sms withheld: the number's limit is reached");
            self.rates.uncount(BUDGET_SCOPE, Window::Day, now).await?;
            return Ok(Some(Withheld::Number(refusal)));
        }
        let budget = self.limits.daily_budget.check(spent, now);
        if budget.is_some() {
            warn!(spent, "sms withheld: the daily SMS budget is spent");
        }
        Ok(budget.map(Withheld::Budget))
    }

    /// Sends `text` to `to` if the limits admit it.
    pub async fn send(
        &self,
        to: &PhoneNumber,
        text: &str,
        now: Timestamp,
    ) -> Result<Texted, StoreError> {
        match self.admit(to, now).await? {
            Some(withheld) => Ok(Texted::Withheld(withheld)),
            None => Ok(Texted::Sent(self.send_admitted(to, text).await?)),
        }
    }

    /// Sends `text` to `to`, which [`Texting::admit`] has counted and admitted.
    pub async fn send_admitted(&self, to: &PhoneNumber, text: &str) -> Result<String, StoreError> {
        self.sms.send(to, text).await
    }
}
