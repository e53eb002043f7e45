//! Rate limits on sign-in, sign-up and password reset, per client address and
//! per account (email); on replies, reports, photos and invitations per
//! account (new stories and edits of stories are counted by core
//! `stories`, from what was written); and on common-ground votes and statements per participant and
//! address, and new browsers without an account per address and
//! conversation. Each has the plain-language message shown on the form.
//!
//! Every limit is kept in memory, per app server. The ones that guard
//! accounts (sign-in, sign-up, resets, confirmation links) and the one on
//! new anonymous participants are also counted in the database (core's
//! `attempts`), so several app servers behind a load balancer share one
//! budget. The figures are in the README.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use governor::clock::DefaultClock;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use meetinghouse_core::Db;
use meetinghouse_core::attempts::{self, Budget};

type Keyed = RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>;

/// Every this many checks, a limit forgets the keys whose budget has fully
/// refilled, so memory follows the clients of the last period, not of all time.
const FORGET_EVERY: u32 = 4096;

/// One named limit: `burst` attempts, refilled one every `period / burst`.
struct Limit {
    limiter: Keyed,
    message: &'static str,
    checks: AtomicU32,
    /// The same limit as a budget counted in the database.
    budget: Budget,
}

impl Limit {
    fn new(name: &'static str, burst: u32, period: Duration, message: &'static str) -> Limit {
        let burst = NonZeroU32::new(burst).expect("a limit allows at least one attempt");
        let quota = Quota::with_period(period / burst.get()).expect("period is non-zero").allow_burst(burst);
        let budget = Budget { name, limit: burst.get(), period_secs: period.as_secs() as i64 };
        Limit { limiter: RateLimiter::keyed(quota), message, checks: AtomicU32::new(0), budget }
    }

    fn check(&self, key: &str) -> Result<(), &'static str> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == FORGET_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(&key.to_string()).map_err(|_| self.message)
    }
}

/// The key a client address is limited under. An IPv6 client usually holds a
/// whole /64, so its addresses share one budget.
fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Where the limits that hold across app servers are counted: the database
/// and the instance's secret key (which keys the counters' hashes).
struct Shared {
    db: Db,
    secret: String,
}

/// Every limiter the web layer uses.
pub struct RateLimits {
    shared: Option<Shared>,
    cg_newcomer_ip: Limit,
    login_ip: Limit,
    login_account_address: Limit,
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
    cg_statement_ip: Limit,
    resend_account: Limit,
    photo_account: Limit,
    invite_account: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        const SIGN_IN: &str = "Too many sign-in attempts. Please wait a few minutes and try again — or reset your password.";
        const SIGN_UP: &str = "Too many new accounts from your connection. Please wait an hour and try again.";
        const RESET: &str = "Too many reset requests. Please check your inbox (and spam folder), or wait an hour and try again.";
        RateLimits {
            shared: None,
            // A conversation open to people without an account: every new
            // browser is a new participant, so a script clearing its cookies
            // is many voters. A class or a library sharing one connection
            // stays well within it; past it, people can sign in to take part.
            cg_newcomer_ip: Limit::new("cg_newcomer_ip", 30, Duration::from_secs(3600), "Very many new participants are joining this conversation from your connection. If you share it with others (a school, a library), sign in to take part — or try again in an hour."),
            login_ip: Limit::new("login_ip", 20, Duration::from_secs(5 * 60), SIGN_IN),
            // Guessing one account's password from one connection.
            login_account_address: Limit::new("login_account_address", 10, Duration::from_secs(15 * 60), SIGN_IN),
            // Guessing it from many: a backstop high enough that one
            // connection cannot use it to keep the owner out.
            login_account: Limit::new("login_account", 100, Duration::from_secs(3600), SIGN_IN),
            signup_ip: Limit::new("signup_ip", 10, Duration::from_secs(3600), SIGN_UP),
            signup_account: Limit::new("signup_account", 5, Duration::from_secs(3600), "Too many attempts to join with this email address. Please wait an hour and try again."),
            reset_ip: Limit::new("reset_ip", 10, Duration::from_secs(3600), RESET),
            reset_account: Limit::new("reset_account", 3, Duration::from_secs(3600), RESET),
            reply_account: Limit::new("reply_account", 20, Duration::from_secs(10 * 60), "You are posting replies very quickly. Please take a breather and try again in a minute — what you wrote is kept below."),
            report_account: Limit::new("report_account", 10, Duration::from_secs(3600), "You have sent many reports in the last hour. Thank you — please wait a while before sending more; the moderators are looking at the ones you sent."),
            cg_vote_participant: Limit::new("cg_vote_participant", 120, Duration::from_secs(10 * 60), "You are voting very quickly. Please take a moment with each statement and try again in a minute."),
            // A shared connection (a library, a school) may hold many voters.
            cg_vote_ip: Limit::new("cg_vote_ip", 1200, Duration::from_secs(10 * 60), "Very many votes are coming from your connection. Please try again in a few minutes."),
            cg_statement_participant: Limit::new("cg_statement_participant", 10, Duration::from_secs(10 * 60), "You are adding statements very quickly. Please vote on others' for a while and try again — what you wrote is kept below."),
            // Browsers without an account are participants too, and a script can be many browsers.
            cg_statement_ip: Limit::new("cg_statement_ip", 100, Duration::from_secs(10 * 60), "Very many statements are coming from your connection. Please try again in a few minutes — what you wrote is kept below."),
            resend_account: Limit::new("resend_account", 3, Duration::from_secs(3600), "We have sent you several confirmation links in the last hour. Please check your inbox (and spam folder), or wait an hour and ask again."),
            // Every photo is decoded and re-encoded, the costliest thing a person can ask of the server.
            photo_account: Limit::new("photo_account", 60, Duration::from_secs(3600), "you have added many photos in the last hour. Please wait a while and attach it again."),
            // Invitations to groups and organisations together: each may notify and email someone.
            invite_account: Limit::new("invite_account", 30, Duration::from_secs(3600), "You have sent many invitations in the last hour. Please wait a while before sending more: the people you invited can answer in the meantime."),
        }
    }
}

impl RateLimits {
    /// The limits, with the account-guarding ones also counted in `db` so
    /// that every app server using it shares their budgets. `secret` is the
    /// instance's secret key.
    pub fn shared(db: Db, secret: String) -> RateLimits {
        RateLimits { shared: Some(Shared { db, secret }), ..RateLimits::default() }
    }

    /// Checks each limit under its key in memory, then (all passed) in the
    /// database; the first refusal's message. A database that cannot count
    /// is logged and leaves the in-memory limits in charge.
    async fn checked(&self, checks: &[(&Limit, &str)]) -> Result<(), &'static str> {
        for (limit, key) in checks {
            limit.check(key)?;
        }
        let Some(shared) = &self.shared else { return Ok(()) };
        let now = meetinghouse_store::now();
        for (limit, key) in checks {
            match attempts::attempt(&shared.db, &shared.secret, &limit.budget, key, now).await {
                Ok(true) => {}
                Ok(false) => return Err(limit.message),
                Err(e) => {
                    tracing::warn!(error = %e, limit = limit.budget.name, "could not count an attempt in the database; the in-memory limit applies");
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// A sign-in attempt: per address, per account from that address, and
    /// per account from anywhere (a higher backstop). Someone who spends an
    /// account's budget from their own connection does not keep its owner,
    /// elsewhere, from signing in.
    pub async fn login(&self, ip: IpAddr, email: &str) -> Result<(), &'static str> {
        let (address, account) = (address_key(ip), email.trim().to_lowercase());
        let from = format!("{account} from {address}");
        self.checked(&[(&self.login_ip, &address), (&self.login_account_address, &from), (&self.login_account, &account)]).await
    }
    pub async fn signup(&self, ip: IpAddr, email: &str) -> Result<(), &'static str> {
        let account = email.trim().to_lowercase();
        self.checked(&[(&self.signup_ip, &address_key(ip)), (&self.signup_account, &account)]).await
    }
    /// Another email confirmation link, per account (person id).
    pub async fn resend(&self, account: &str) -> Result<(), &'static str> {
        self.checked(&[(&self.resend_account, account)]).await
    }
    /// A browser without an account taking part in a conversation for the
    /// first time, per conversation and address.
    pub async fn cg_newcomer(&self, conversation: i64, ip: IpAddr) -> Result<(), &'static str> {
        let key = format!("{conversation} from {}", address_key(ip));
        self.checked(&[(&self.cg_newcomer_ip, &key)]).await
    }
    /// Replies, per account (person id).
    pub fn reply(&self, account: &str) -> Result<(), &'static str> {
        self.reply_account.check(account)
    }
    /// A common-ground vote, by participant (account id or browser token) and address.
    pub fn cg_vote(&self, participant: &str, ip: IpAddr) -> Result<(), &'static str> {
        self.cg_vote_participant.check(participant)?;
        self.cg_vote_ip.check(&address_key(ip))
    }
    /// A common-ground statement, by participant and address.
    pub fn cg_statement(&self, participant: &str, ip: IpAddr) -> Result<(), &'static str> {
        self.cg_statement_participant.check(participant)?;
        self.cg_statement_ip.check(&address_key(ip))
    }
    /// Reports, per account (person id).
    pub fn report(&self, account: &str) -> Result<(), &'static str> {
        self.report_account.check(account)
    }
    /// One uploaded photo, per account (person id); the message continues
    /// "“name” was not added: ".
    pub fn photo(&self, account: &str) -> Result<(), &'static str> {
        self.photo_account.check(account)
    }
    /// An invitation to a group or an organisation, per account (person id).
    pub fn invite(&self, account: &str) -> Result<(), &'static str> {
        self.invite_account.check(account)
    }
    pub async fn reset(&self, ip: IpAddr, email: &str) -> Result<(), &'static str> {
        let account = email.trim().to_lowercase();
        self.checked(&[(&self.reset_ip, &address_key(ip)), (&self.reset_account, &account)]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_is_limited_as_its_slash_64() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(address_key(ip("2001:db8:1:2:aaaa::1")), address_key(ip("2001:db8:1:2:bbbb::9")));
        assert_ne!(address_key(ip("2001:db8:1:2::1")), address_key(ip("2001:db8:1:3::1")));
        assert_eq!(address_key(ip("::ffff:192.0.2.7")), "192.0.2.7");
        assert_eq!(address_key(ip("192.0.2.7")), "192.0.2.7");
    }

    #[tokio::test]
    async fn guessing_an_account_from_one_connection_does_not_lock_its_owner_out() {
        let limits = RateLimits::default();
        let (guesser, owner) = ("192.0.2.66".parse::<IpAddr>().unwrap(), "198.51.100.7".parse::<IpAddr>().unwrap());
        let mut refused = 0;
        for _ in 0..15 {
            refused += usize::from(limits.login(guesser, "sam@example.org").await.is_err());
        }
        assert_eq!(refused, 5, "ten attempts per account from one connection");
        assert!(limits.login(owner, "Sam@example.org ").await.is_ok(), "the owner elsewhere still signs in");
        assert!(limits.login(guesser, "bea@example.org").await.is_ok(), "other accounts from that connection are not refused yet");
        // Many connections together meet the account's backstop.
        let mut refused_at = None;
        for i in 0..200u8 {
            let ip = IpAddr::from([203, 0, 113, i]);
            if limits.login(ip, "sam@example.org").await.is_err() {
                refused_at = Some(i);
                break;
            }
        }
        assert!(refused_at.is_some_and(|i| i >= 80), "a backstop per account: {refused_at:?}");
    }

    #[test]
    fn keys_whose_budget_refilled_are_forgotten() {
        let limit = Limit::new("test", 1, Duration::from_nanos(1), "slow down");
        for i in 0..FORGET_EVERY - 1 {
            limit.check(&format!("client {i}")).unwrap();
        }
        assert_eq!(limit.limiter.len(), (FORGET_EVERY - 1) as usize);
        std::thread::sleep(Duration::from_millis(2));
        limit.check("one more").unwrap();
        assert_eq!(limit.limiter.len(), 1, "only the newest key is kept");
    }
}
