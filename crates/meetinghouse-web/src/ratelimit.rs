//! Rate limits on sign-in, sign-up and password reset, per client address and
//! per account (email), and on replies and reports per account, with the plain-language message shown on the form.
//! Limits are per app server (in memory); the figures are in the README.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::DefaultClock;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

type Keyed = RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>;

/// One named limit: `burst` attempts, refilled one every `period / burst`.
struct Limit {
    limiter: Keyed,
    message: &'static str,
}

impl Limit {
    fn new(burst: u32, period: Duration, message: &'static str) -> Limit {
        let burst = NonZeroU32::new(burst).expect("a limit allows at least one attempt");
        let quota = Quota::with_period(period / burst.get()).expect("period is non-zero").allow_burst(burst);
        Limit { limiter: RateLimiter::keyed(quota), message }
    }

    fn check(&self, key: &str) -> Result<(), &'static str> {
        self.limiter.check_key(&key.to_string()).map_err(|_| self.message)
    }
}

/// Every limiter the web layer uses.
pub struct RateLimits {
    login_ip: Limit,
    login_account: Limit,
    signup_ip: Limit,
    signup_account: Limit,
    reset_ip: Limit,
    reset_account: Limit,
    reply_account: Limit,
    report_account: Limit,
    cg_vote_participant: Limit,
    cg_vote_ip: Limit,
    cg_statement_participant: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        const SIGN_IN: &str = "Too many sign-in attempts. Please wait a few minutes and try again — or reset your password.";
        const SIGN_UP: &str = "Too many new accounts from your connection. Please wait an hour and try again.";
        const RESET: &str = "Too many reset requests. Please check your inbox (and spam folder), or wait an hour and try again.";
        RateLimits {
            login_ip: Limit::new(20, Duration::from_secs(5 * 60), SIGN_IN),
            login_account: Limit::new(10, Duration::from_secs(15 * 60), SIGN_IN),
            signup_ip: Limit::new(10, Duration::from_secs(3600), SIGN_UP),
            signup_account: Limit::new(5, Duration::from_secs(3600), "Too many attempts to join with this email address. Please wait an hour and try again."),
            reset_ip: Limit::new(10, Duration::from_secs(3600), RESET),
            reset_account: Limit::new(3, Duration::from_secs(3600), RESET),
            reply_account: Limit::new(20, Duration::from_secs(10 * 60), "You are posting replies very quickly. Please take a breather and try again in a minute — what you wrote is kept below."),
            report_account: Limit::new(10, Duration::from_secs(3600), "You have sent many reports in the last hour. Thank you — please wait a while before sending more; the moderators are looking at the ones you sent."),
            cg_vote_participant: Limit::new(120, Duration::from_secs(10 * 60), "You are voting very quickly. Please take a moment with each statement and try again in a minute."),
            // A shared connection (a library, a school) may hold many voters.
            cg_vote_ip: Limit::new(1200, Duration::from_secs(10 * 60), "Very many votes are coming from your connection. Please try again in a few minutes."),
            cg_statement_participant: Limit::new(10, Duration::from_secs(10 * 60), "You are adding statements very quickly. Please vote on others' for a while and try again — what you wrote is kept below."),
        }
    }
}

impl RateLimits {
    pub fn login(&self, ip: &str, email: &str) -> Result<(), &'static str> {
        self.login_ip.check(ip)?;
        self.login_account.check(&email.trim().to_lowercase())
    }
    pub fn signup(&self, ip: &str, email: &str) -> Result<(), &'static str> {
        self.signup_ip.check(ip)?;
        self.signup_account.check(&email.trim().to_lowercase())
    }
    /// Replies, per account (person id).
    pub fn reply(&self, account: &str) -> Result<(), &'static str> {
        self.reply_account.check(account)
    }
    /// Reports, per account (person id).
    /// A common-ground vote, by participant (account id or browser token) and address.
    pub fn cg_vote(&self, participant: &str, ip: &str) -> Result<(), &'static str> {
        self.cg_vote_participant.check(participant)?;
        self.cg_vote_ip.check(ip)
    }
    pub fn cg_statement(&self, participant: &str) -> Result<(), &'static str> {
        self.cg_statement_participant.check(participant)
    }
    pub fn report(&self, account: &str) -> Result<(), &'static str> {
        self.report_account.check(account)
    }
    pub fn reset(&self, ip: &str, email: &str) -> Result<(), &'static str> {
        self.reset_ip.check(ip)?;
        self.reset_account.check(&email.trim().to_lowercase())
    }
}
