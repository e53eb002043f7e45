//! Rate limits on sign-in, sign-up and password reset, per client address and
//! per account (email); on the forms that take a signed-in person's
//! password (changing it or the email address, closing the account), per
//! person; on replies, photos and invitations per
//! account (new stories and edits of stories are counted by core
//! `stories`, from what was written, and reports by core `moderation`,
//! `REPORTS_PER_HOUR`, in the database); and on common-ground votes and statements per participant and
//! address, and new browsers without an account per address and
//! conversation; and on searches per address. Each has the plain-language
//! message shown on the form. A conversation its hosts set up for an
//! in-person event (core `common_ground::caps::IN_PERSON_SIZES`: a room on
//! one Wi-Fi) has budgets per connection of its own, for that conversation
//! alone, raised in proportion to the people expected ([`InPerson`]).
//!
//! Signing in counts wrong passwords, not sign-ins: a library or a museum
//! whose visitors share one address can have many people sign in, while
//! guessing stays as slow as before. Wrong passwords count per account from
//! one address (one visitor's mistakes hold back only that account there),
//! per account from anywhere, and per address over all accounts (a cap
//! against trying many accounts); every attempt also counts against a much
//! higher budget per address, which only bounds the password checks one
//! connection can ask for. A sign-in holds one wrong password in each of
//! its budgets before its password is checked, in the same step as the
//! look at them ([`RateLimits::login`]), and gives them back when the
//! password was right ([`PasswordCheck::give_back`]): requests sent at
//! once, which all wait for the password check, are held to the budgets as
//! requests sent one after another. A budget refused while most of what it
//! counts is held by sign-ins still being checked says so, not "too many
//! wrong passwords" (nobody may have typed one). The forms that take a
//! signed-in person's password hold one wrong password in that person's
//! own budget the same way ([`RateLimits::password`]), so a burst of them
//! from one session gets no more passwords checked than the budget allows.
//!
//! A browser that signed in to the account before (it carries that
//! account's signed known-device cookie, `routes::account::known_device`,
//! of the account's current device generation) is refused by none of
//! those: it has a small budget of its own ([`Browser::Known`]) and a
//! bound on all its sign-ins ([`LOGIN_DEVICE_ATTEMPTS`]), and only once
//! either is spent does it count as any other browser. Its wrong passwords
//! count against the account's budget from anywhere too, which never
//! refuses it. So nobody can keep an owner out of their account from their
//! usual browser, and a stolen cookie guesses at most as fast as its own
//! small budget allows, until a new password or "sign out everywhere else"
//! makes it worthless. A completed password reset or change of address
//! lifts the account's lock at once ([`RateLimits::lift_account`]).
//!
//! Every limit is kept in memory, per app server. The ones that guard
//! accounts (sign-in, sign-up, resets, confirmation links, wrong passwords)
//! and the one on new anonymous participants are also counted in the
//! database (core's `attempts`), so several app servers behind a load
//! balancer share one budget: a password check's held wrong passwords are
//! counted there too, each in one statement that also says whether it is
//! within the budget, so no app server lets a check past a budget the
//! others spent. The figures are in the README.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use governor::clock::DefaultClock;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use meetinghouse_core::Db;
use meetinghouse_core::attempts::{self, Budget};
use meetinghouse_core::common_ground::caps::IN_PERSON_SIZES;

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

/// A budget of failures (wrong passwords): held before an attempt
/// ([`Failures::reserve`]), in one step with the look at it, and kept when
/// the attempt failed ([`Failures::settle`]) or given back when it did not
/// ([`Failures::give_back`]); looked at without counting by
/// [`Failures::spent`]. In memory, a sliding window over two fixed
/// ones, as core's `attempts` counts in the database.
struct Failures {
    counts: Mutex<HashMap<String, Window>>,
    /// Why a spent budget refuses.
    message: &'static str,
    /// Why it refuses while most of what it counts is sign-ins still
    /// under way (held, not yet known to be wrong): not "too many wrong
    /// passwords", which nobody may have typed.
    busy: &'static str,
    checks: AtomicU32,
    budget: Budget,
}

/// One key's failures: those in the window starting at `start`, and in the
/// one before it; `held` of them are held by sign-ins still under way.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: i64,
    current: f64,
    previous: f64,
    held: u32,
}

impl Window {
    /// The window as it stands at `now`.
    fn at(self, now: i64, period: i64) -> Window {
        let start = now.div_euclid(period) * period;
        match start - self.start {
            0 => self,
            d if d == period => Window { start, current: 0.0, previous: self.current, held: self.held },
            _ => Window { start, current: 0.0, previous: 0.0, held: self.held },
        }
    }

    /// The failures within one period of `now`.
    fn estimate(self, now: i64, period: i64) -> f64 {
        let into = (now - self.start).clamp(0, period);
        self.current + self.previous * (period - into) as f64 / period as f64
    }
}

impl Failures {
    fn new(name: &'static str, limit: u32, period: Duration, message: &'static str, busy: &'static str) -> Failures {
        assert!(limit > 0 && period.as_secs() > 0, "a failure budget allows at least one failure in a period of seconds");
        let budget = Budget { name, limit, period_secs: period.as_secs() as i64 };
        Failures { counts: Mutex::new(HashMap::new()), message, busy, checks: AtomicU32::new(0), budget }
    }

    fn period(&self) -> i64 {
        self.budget.period_secs
    }

    /// Refused (with [`Failures::refusal`]'s words) while the failures
    /// within the period have reached the limit. Counts nothing.
    fn spent(&self, key: &str, now: i64) -> Result<(), &'static str> {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let Some(w) = counts.get(key).map(|w| w.at(now, self.period())) else { return Ok(()) };
        if w.estimate(now, self.period()) >= f64::from(self.budget.limit) { Err(self.refusal(w, now)) } else { Ok(()) }
    }

    /// Why a spent budget refuses: [`Failures::busy`] while more than
    /// half of what it counts is held by sign-ins still under way,
    /// [`Failures::message`] otherwise.
    fn refusal(&self, w: Window, now: i64) -> &'static str {
        if f64::from(w.held) * 2.0 > w.estimate(now, self.period()) { self.busy } else { self.message }
    }

    /// [`Failures::refusal`] for `key` as it stands at `now`.
    fn refusal_for(&self, key: &str, now: i64) -> &'static str {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        match counts.get(key) {
            Some(w) => self.refusal(w.at(now, self.period()), now),
            None => self.message,
        }
    }

    /// Forgets the failures of every key `which` picks.
    fn forget(&self, which: impl Fn(&str) -> bool) {
        self.counts.lock().unwrap_or_else(|e| e.into_inner()).retain(|k, _| !which(k));
    }

    /// Holds one failure before the attempt, in one step with the look at
    /// the budget (so attempts made at once never all see it unspent): the
    /// start of the window it is held in, or why not when the budget is
    /// spent ([`Failures::refusal`]; nothing held). Kept with
    /// [`Failures::settle`] or given back with [`Failures::give_back`].
    fn reserve(&self, key: &str, now: i64) -> Result<i64, &'static str> {
        let (limit, period) = (f64::from(self.budget.limit), self.period());
        self.update(key, now, |w| {
            if w.estimate(now, period) >= limit {
                return Err(self.refusal(*w, now));
            }
            w.current += 1.0;
            w.held += 1;
            Ok(w.start)
        })
    }

    /// Holds one failure whatever the budget says (a known browser's wrong
    /// passwords count against its account, which never refuses it); the
    /// start of the window it is held in.
    fn add(&self, key: &str, now: i64) -> i64 {
        self.update(key, now, |w| {
            w.current += 1.0;
            w.held += 1;
            w.start
        })
    }

    /// A held failure turned out to be one (a wrong password): it stays
    /// counted, no longer as held.
    fn settle(&self, key: &str) {
        if let Some(w) = self.counts.lock().unwrap_or_else(|e| e.into_inner()).get_mut(key) {
            w.held = w.held.saturating_sub(1);
        }
    }

    /// Gives back a failure held in the window starting at `start`: never
    /// below nothing, and not at all when the key was forgotten meanwhile
    /// (a lifted lock) or the window is out of the period.
    fn give_back(&self, key: &str, start: i64, now: i64) {
        let period = self.period();
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let Some(w) = counts.get_mut(key) else { return };
        *w = w.at(now, period);
        w.held = w.held.saturating_sub(1);
        if w.start == start {
            w.current = (w.current - 1.0).max(0.0);
        } else if w.start - start == period {
            w.previous = (w.previous - 1.0).max(0.0);
        }
    }

    /// Marks the budget spent (the database said so): refused until enough
    /// of the period has passed.
    fn mark_spent(&self, key: &str, now: i64) {
        let (limit, period) = (f64::from(self.budget.limit), self.period());
        self.update(key, now, |w| {
            // Enough in this window that the estimate reaches the limit now.
            let from_previous = w.previous * (period - (now - w.start).clamp(0, period)) as f64 / period as f64;
            w.current = w.current.max(limit - from_previous);
        });
    }

    fn update<R>(&self, key: &str, now: i64, change: impl FnOnce(&mut Window) -> R) -> R {
        let period = self.period();
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if self.checks.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == FORGET_EVERY - 1 {
            // Keys with nothing left within a period, and nothing held,
            // are forgotten.
            counts.retain(|_, w| w.held > 0 || w.at(now, period).estimate(now, period) > 0.0);
            counts.shrink_to_fit();
        }
        let w = counts.entry(key.to_string()).or_insert(Window { start: now.div_euclid(period) * period, current: 0.0, previous: 0.0, held: 0 });
        *w = w.at(now, period);
        change(w)
    }
}

/// Wrong passwords per address over all accounts, per 5 minutes: a cap
/// against one connection trying many accounts (credential stuffing), far
/// above what the visitors of a library or a museum mistype, whose mistakes
/// meet the budget per account from the address first.
pub const LOGIN_IP_FAILED: u32 = 300;
/// Sign-ins per address, right or wrong, per 5 minutes, from browsers the
/// account does not know: a bound on the password checks one connection
/// can ask for.
pub const LOGIN_IP_ATTEMPTS: u32 = 600;
/// Searches per address per [`SEARCH_PERIOD`] (one more a second after a
/// burst of them): far more than a library's visitors type, and a bound
/// on the work one connection can ask of the index.
pub const SEARCHES_PER_ADDRESS: u32 = 120;
/// The period [`SEARCHES_PER_ADDRESS`] is counted over.
pub const SEARCH_PERIOD: Duration = Duration::from_secs(120);

/// Sign-ins, right or wrong, from one browser the account knows (by its
/// known-device cookie's nonce), per 5 minutes: a bound on the password
/// checks one cookie can ask for. Past it, the browser counts as one the
/// account does not know, so a stolen cookie never escapes the limits per
/// address for long.
pub const LOGIN_DEVICE_ATTEMPTS: u32 = 30;

/// Who is signing in, as far as the sign-in limits care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Browser<'a> {
    /// A browser with no known-device cookie for the account it names.
    Unknown,
    /// A browser that signed in to this account before: its valid
    /// known-device cookie for it, by a key of its own (the cookie's nonce).
    Known(&'a str),
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

/// New participants without an account one connection brings into one
/// common-ground conversation in an hour, and the votes and statements it
/// sends in 10 minutes: the usual budgets. For an in-person event of `n`
/// people they are `n`, and the others times `n / 30`, for that
/// conversation alone ([`InPerson`]).
const CG_NEWCOMERS: u32 = 30;
const CG_VOTES_PER_ADDRESS: u32 = 1200;
const CG_STATEMENTS_PER_ADDRESS: u32 = 100;

/// A conversation set up for an in-person event: its id, and how many new
/// people without an account one connection may bring in an hour (one of
/// core's `IN_PERSON_SIZES`; any other number gets the usual budgets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InPerson {
    pub conversation: i64,
    pub people: u32,
}

/// The budgets per connection of an in-person conversation of one size.
struct InPersonLimits {
    people: u32,
    newcomers: Limit,
    votes: Limit,
    statements: Limit,
}

impl InPersonLimits {
    fn new(people: u32) -> InPersonLimits {
        let scaled = |usual: u32| usual * people / CG_NEWCOMERS;
        InPersonLimits {
            people,
            // One name for every size: the count goes on when a host changes it.
            newcomers: Limit::new("cg_in_person_newcomers", people, Duration::from_secs(3600), "Very many new participants are joining this conversation from your connection, more than its hosts expected at their event. Sign in to take part — or try again in an hour."),
            votes: Limit::new("cg_in_person_votes", scaled(CG_VOTES_PER_ADDRESS), Duration::from_secs(10 * 60), "Very many votes are coming from your connection. Please try again in a few minutes."),
            statements: Limit::new("cg_in_person_statements", scaled(CG_STATEMENTS_PER_ADDRESS), Duration::from_secs(10 * 60), "Very many statements are coming from your connection. Please try again in a few minutes — what you wrote is kept below."),
        }
    }
}

/// Every limiter the web layer uses.
pub struct RateLimits {
    shared: Option<Shared>,
    cg_newcomer_ip: Limit,
    /// One set for each of core's `IN_PERSON_SIZES`.
    cg_in_person: Vec<InPersonLimits>,
    login_ip_attempts: Limit,
    login_ip: Failures,
    login_account_address: Failures,
    login_account: Failures,
    login_device: Failures,
    login_device_attempts: Limit,
    password_person: Failures,
    signup_ip: Limit,
    signup_account: Limit,
    reset_ip: Limit,
    reset_account: Limit,
    reply_account: Limit,
    cg_vote_participant: Limit,
    cg_vote_ip: Limit,
    cg_statement_participant: Limit,
    cg_statement_ip: Limit,
    resend_account: Limit,
    photo_account: Limit,
    invite_account: Limit,
    search_ip: Limit,
}

/// How a password check holds a failure in a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hold {
    /// Only while the budget lasts: a spent one refuses the check.
    Checked,
    /// Whatever the budget says (it refuses nobody here).
    Always,
}

/// One failure a password check holds: in memory, in the window starting
/// at `window`, and in the database when it could count it there.
struct Held<'a> {
    failures: &'a Failures,
    key: String,
    how: Hold,
    window: i64,
    in_db: Option<attempts::Held>,
}

/// The wrong password a password check holds in each of its budgets while
/// the password is checked: a sign-in's ([`RateLimits::login`]) or a
/// signed-in person's on a form that asks for it ([`RateLimits::password`]).
/// [`PasswordCheck::keep`] when the password was wrong,
/// [`PasswordCheck::give_back`] when it was right. Dropped without either
/// (the request failed or was cancelled before an answer), what it holds is
/// given back: nobody learned whether the password was right.
#[must_use = "a password check's held failures are kept (a wrong password) or given back (a right one)"]
pub struct PasswordCheck<'a> {
    limits: &'a RateLimits,
    held: Vec<Held<'a>>,
}

impl std::fmt::Debug for PasswordCheck<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The budgets only: the keys name addresses and accounts.
        f.debug_struct("PasswordCheck").field("held", &self.held.iter().map(|h| h.failures.budget.name).collect::<Vec<_>>()).finish()
    }
}

impl PasswordCheck<'_> {
    /// The password was wrong (or, signing in, the address has no
    /// account): what was held stays counted.
    pub fn keep(mut self) {
        for h in self.held.drain(..) {
            h.failures.settle(&h.key);
        }
    }

    /// The password was right (or the account is suspended, which the
    /// right password alone learns): what was held is given back, in
    /// memory at once and in the database by a task of its own, which
    /// this waits for: cancelled meanwhile (the browser went away), the
    /// task still gives back all of it.
    pub async fn give_back(mut self) {
        let held = std::mem::take(&mut self.held);
        if let Some(task) = self.limits.give_back(held) {
            // The task logs its own failures; a runtime shutting down is no news.
            let _ = task.await;
        }
    }
}

impl Drop for PasswordCheck<'_> {
    fn drop(&mut self) {
        if !self.held.is_empty() {
            // Given back as [`PasswordCheck::give_back`] does, without waiting.
            drop(self.limits.give_back(std::mem::take(&mut self.held)));
        }
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        const SIGN_IN: &str = "This account is locked for a while after many sign-in attempts with a wrong password. You can still sign in from the browser you usually sign in from, or reset your password with “Forgot your password?” — a reset lifts the lock at once. Otherwise, please try again in an hour.";
        const SIGN_IN_HERE: &str = "Too many wrong passwords for this account from your connection. Please check your password and try again in 15 minutes, sign in from the browser you usually use, or reset your password with “Forgot your password?” — a reset lifts the lock at once.";
        const SIGN_IN_STUFFING: &str = "Very many wrong passwords have come from your connection, for many accounts. If you share it (a library, a museum), someone there may be trying to guess passwords. You can still sign in from the browser you usually sign in from; otherwise, please try again in a few minutes.";
        const SIGN_IN_BUSY: &str = "Very many people are signing in from your connection. You can still sign in from the browser you usually sign in from; otherwise, please wait a few minutes and try again.";
        // While most of what a budget counts is sign-ins still being
        // checked (held, not yet known to be wrong): nobody may have typed
        // a wrong password, so the words do not say so.
        const UNDER_WAY_HERE: &str = "Several sign-ins to this account from your connection are being checked at this moment, so yours was not. Please wait a moment and try again.";
        const UNDER_WAY: &str = "Many sign-ins to this account are being checked at this moment, so yours was not. You can still sign in from the browser you usually sign in from; otherwise, please wait a moment and try again.";
        const UNDER_WAY_STUFFING: &str = "Very many sign-ins from your connection are being checked at this moment, so yours was not. You can still sign in from the browser you usually sign in from; otherwise, please wait a moment and try again.";
        const WRONG_PASSWORD: &str = "Your password was entered wrongly several times. For your account's safety, please wait an hour and try again. If you have forgotten it, sign out and choose a new one with “Forgot your password?” on the sign-in page.";
        const SIGN_UP: &str = "Too many new accounts from your connection. Please wait an hour and try again.";
        const RESET: &str = "Too many reset requests. Please check your inbox (and spam folder), or wait an hour and try again.";
        RateLimits {
            shared: None,
            // A conversation open to people without an account: every new
            // browser is a new participant, so a script clearing its cookies
            // is many voters. A class or a library sharing one connection
            // stays well within it; past it, people can sign in to take part.
            cg_newcomer_ip: Limit::new("cg_newcomer_ip", CG_NEWCOMERS, Duration::from_secs(3600), "Very many new participants are joining this conversation from your connection. If you share it with others (a school, a library), sign in to take part — or try again in an hour."),
            // Every sign-in from one connection, right or wrong, from a
            // browser not known to the account: only a bound on the
            // password checks it can ask for, far above what a library's
            // or a museum's visitors signing in ever reach.
            login_ip_attempts: Limit::new("login_ip_attempts", LOGIN_IP_ATTEMPTS, Duration::from_secs(5 * 60), SIGN_IN_BUSY),
            // Wrong passwords from one connection over all accounts: only
            // a cap on trying many accounts (credential stuffing), far
            // above one visitor's mistakes, which meet the budget below.
            login_ip: Failures::new("login_ip_failed", LOGIN_IP_FAILED, Duration::from_secs(5 * 60), SIGN_IN_STUFFING, UNDER_WAY_STUFFING),
            // Guessing one account's password from one connection (or one
            // visitor forgetting theirs): holds back that account there,
            // no other.
            login_account_address: Failures::new("login_account_address_failed", 10, Duration::from_secs(15 * 60), SIGN_IN_HERE, UNDER_WAY_HERE),
            // Guessing it from many connections: it refuses only browsers
            // the account does not know, and a reset lifts it.
            login_account: Failures::new("login_account_failed", 100, Duration::from_secs(3600), SIGN_IN, UNDER_WAY),
            // A browser the account knows: its own budget, so a stolen
            // known-device cookie is no faster a way to guess. Past it,
            // the browser counts as an unknown one (so its words are never
            // shown).
            login_device: Failures::new("login_device_failed", 10, Duration::from_secs(15 * 60), SIGN_IN, UNDER_WAY),
            // Every sign-in from one known browser, right or wrong: only a
            // bound on the password checks one cookie can ask for; past
            // it, the browser counts as an unknown one (and meets the
            // limits per address).
            login_device_attempts: Limit::new("login_device_attempts", LOGIN_DEVICE_ATTEMPTS, Duration::from_secs(5 * 60), SIGN_IN_BUSY),
            // A browser left signed in must not become a way to guess the
            // password: the forms that ask for it (a new password, a new
            // email address, closing the account) hold wrong ones per
            // person, apart from signing in. The refusal says only that the
            // password was entered wrongly: a burst from one session is
            // that person's (or whoever holds the session's) own doing.
            password_person: Failures::new("password_person_failed", 10, Duration::from_secs(3600), WRONG_PASSWORD, WRONG_PASSWORD),
            signup_ip: Limit::new("signup_ip", 10, Duration::from_secs(3600), SIGN_UP),
            signup_account: Limit::new("signup_account", 5, Duration::from_secs(3600), "Too many attempts to join with this email address. Please wait an hour and try again."),
            reset_ip: Limit::new("reset_ip", 10, Duration::from_secs(3600), RESET),
            reset_account: Limit::new("reset_account", 3, Duration::from_secs(3600), RESET),
            reply_account: Limit::new("reply_account", 20, Duration::from_secs(10 * 60), "You are posting replies very quickly. Please take a breather and try again in a minute — what you wrote is kept below."),
            cg_vote_participant: Limit::new("cg_vote_participant", 120, Duration::from_secs(10 * 60), "You are voting very quickly. Please take a moment with each statement and try again in a minute."),
            // A shared connection (a library, a school) may hold many voters.
            cg_in_person: IN_PERSON_SIZES.iter().filter_map(|n| u32::try_from(*n).ok()).map(InPersonLimits::new).collect(),
            cg_vote_ip: Limit::new("cg_vote_ip", CG_VOTES_PER_ADDRESS, Duration::from_secs(10 * 60), "Very many votes are coming from your connection. Please try again in a few minutes."),
            cg_statement_participant: Limit::new("cg_statement_participant", 10, Duration::from_secs(10 * 60), "You are adding statements very quickly. Please vote on others' for a while and try again — what you wrote is kept below."),
            // Browsers without an account are participants too, and a script can be many browsers.
            cg_statement_ip: Limit::new("cg_statement_ip", CG_STATEMENTS_PER_ADDRESS, Duration::from_secs(10 * 60), "Very many statements are coming from your connection. Please try again in a few minutes — what you wrote is kept below."),
            resend_account: Limit::new("resend_account", 3, Duration::from_secs(3600), "We have sent you several confirmation links in the last hour. Please check your inbox (and spam folder), or wait an hour and ask again."),
            // Every photo is decoded and re-encoded, the costliest thing a person can ask of the server.
            photo_account: Limit::new("photo_account", 60, Duration::from_secs(3600), "you have added many photos in the last hour. Please wait a while and attach it again."),
            // Invitations to groups and organisations together: each may notify and email someone.
            invite_account: Limit::new("invite_account", 30, Duration::from_secs(3600), "You have sent many invitations in the last hour. Please wait a while before sending more: the people you invited can answer in the meantime."),
            // Every search reads the index; a shared connection (a library) searches a lot, a script more.
            search_ip: Limit::new("search_ip", SEARCHES_PER_ADDRESS, SEARCH_PERIOD, "Very many searches are coming from your connection. Please wait a minute and search again."),
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

    /// Before a sign-in's password is checked: one wrong password is held
    /// (reserved) in every budget the sign-in counts against, in the same
    /// step as the look at it, in memory and in the database; the answer,
    /// [`PasswordCheck`], keeps them when the password was wrong
    /// ([`PasswordCheck::keep`]) and gives them back when it was right
    /// ([`PasswordCheck::give_back`]). So requests sent at once are held to
    /// the budgets as requests sent one after another are: while checks are
    /// under way, each counts as a wrong password.
    ///
    /// A browser the account knows ([`Browser::Known`]) is refused by no
    /// budget of the account's or the address's while its own budget of
    /// wrong passwords lasts and it has asked for fewer than
    /// [`LOGIN_DEVICE_ATTEMPTS`] sign-ins; its wrong passwords count
    /// against the account's budget from anywhere too, which never refuses
    /// it. Any other is refused while the wrong passwords per account from
    /// this address, per account from anywhere, or per address over all
    /// accounts (a cap against trying many accounts) reached their budgets,
    /// or when the address has asked for very many sign-ins (counted here,
    /// right or wrong).
    pub async fn login(&self, ip: IpAddr, email: &str, browser: Browser<'_>) -> Result<PasswordCheck<'_>, &'static str> {
        let (address, account) = (address_key(ip), email.trim().to_lowercase());
        if let Browser::Known(device) = browser
            && self.checked(&[(&self.login_device_attempts, device)]).await.is_ok()
            && let Ok(held) = self.reserve(vec![(&self.login_device, device.to_string(), Hold::Checked), (&self.login_account, account.clone(), Hold::Always)]).await
        {
            return Ok(held);
        }
        // Past a known browser's own budget, it counts as any other.
        let from = format!("{account} from {address}");
        let held = self
            .reserve(vec![(&self.login_account_address, from, Hold::Checked), (&self.login_account, account, Hold::Checked), (&self.login_ip, address.clone(), Hold::Checked)])
            .await?;
        if let Err(message) = self.checked(&[(&self.login_ip_attempts, &address)]).await {
            held.give_back().await;
            return Err(message);
        }
        Ok(held)
    }

    /// Holds one failure in each budget under its key: in memory, then (all
    /// held) in the database, where one statement counts it and says
    /// whether it is within the budget, so no more attempts than the budget
    /// allows are ever held at once across app servers. A budget spent in
    /// memory is asked of the database, where another app server may have
    /// lifted it ([`RateLimits::lift_account`]) or given back what it held:
    /// then it is forgotten here. The first refusal gives back what was
    /// held and is answered with its message; a budget the database says is
    /// spent is marked spent in memory too. A database that cannot count
    /// is logged and leaves the in-memory budgets in charge.
    async fn reserve<'a>(&'a self, budgets: Vec<(&'a Failures, String, Hold)>) -> Result<PasswordCheck<'a>, &'static str> {
        let now = meetinghouse_store::now();
        let mut held = PasswordCheck { limits: self, held: Vec::with_capacity(budgets.len()) };
        for (failures, key, how) in budgets {
            let window = match how {
                Hold::Always => failures.add(&key, now),
                Hold::Checked => match failures.reserve(&key, now) {
                    Ok(window) => window,
                    Err(_) => {
                        // Spent here: unless the database says otherwise.
                        self.still_spent(failures, &key, now).await?;
                        failures.add(&key, now)
                    }
                },
            };
            held.held.push(Held { failures, key, how, window, in_db: None });
        }
        let Some(shared) = &self.shared else { return Ok(held) };
        for i in 0..held.held.len() {
            let h = &held.held[i];
            let (failures, how) = (h.failures, h.how);
            match attempts::hold(&shared.db, &shared.secret, &failures.budget, &h.key, now).await {
                Ok((within, in_db)) => {
                    held.held[i].in_db = Some(in_db);
                    if how == Hold::Checked && !within {
                        let key = held.held[i].key.clone();
                        held.give_back().await;
                        failures.mark_spent(&key, now);
                        return Err(failures.refusal_for(&key, now));
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, limit = failures.budget.name, "could not hold a failure in the database; the in-memory limit applies");
                    break;
                }
            }
        }
        Ok(held)
    }

    /// Gives back failures held by a password check: in memory at once, and
    /// in the database by a task of its own (when there is a runtime to run it:
    /// there always is in a request), so that cancelling the caller
    /// (a request whose browser went away) cannot leave some of them
    /// counted. The task, to wait for it; dropping it leaves it running.
    fn give_back(&self, held: Vec<Held<'_>>) -> Option<tokio::task::JoinHandle<()>> {
        let now = meetinghouse_store::now();
        let mut in_db = Vec::new();
        for h in held {
            h.failures.give_back(&h.key, h.window, now);
            in_db.extend(h.in_db.map(|d| (h.failures.budget.name, d)));
        }
        let shared = self.shared.as_ref()?;
        if in_db.is_empty() {
            return None;
        }
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let db = shared.db.clone();
        Some(runtime.spawn(async move {
            for (limit, held) in in_db {
                if let Err(e) = attempts::give_back(&db, &held).await {
                    tracing::warn!(error = %e, limit, "could not give back a held failure in the database");
                }
            }
        }))
    }

    /// An account's budget of wrong passwords, spent in memory, is asked
    /// of the database too, where another app server may have lifted it
    /// ([`RateLimits::lift_account`]): then it is forgotten here as well.
    async fn still_spent(&self, failures: &Failures, key: &str, now: i64) -> Result<(), &'static str> {
        let Err(message) = failures.spent(key, now) else { return Ok(()) };
        let Some(shared) = &self.shared else { return Err(message) };
        match attempts::spent(&shared.db, &shared.secret, &failures.budget, key, now).await {
            Ok(false) => {
                failures.forget(|k| k == key);
                Ok(())
            }
            Ok(true) => Err(message),
            Err(e) => {
                tracing::warn!(error = %e, limit = failures.budget.name, "could not read a failure count in the database; the in-memory limit applies");
                Err(message)
            }
        }
    }

    /// After a completed password reset or change of address: the wrong
    /// passwords counted against the account `email` are forgotten — from
    /// anywhere, and from each address in memory (in the database, from
    /// `ip`, where the person is: the others are stored only as HMACs) —
    /// so its owner signs in again at once. A database that cannot forget
    /// is logged.
    pub async fn lift_account(&self, email: &str, ip: IpAddr) {
        let account = email.trim().to_lowercase();
        let from_any = format!("{account} from ");
        self.login_account.forget(|k| k == account);
        self.login_account_address.forget(|k| k.starts_with(&from_any));
        let Some(shared) = &self.shared else { return };
        let here = format!("{from_any}{}", address_key(ip));
        for (failures, key) in [(&self.login_account, account.as_str()), (&self.login_account_address, here.as_str())] {
            if let Err(e) = attempts::forget(&shared.db, &shared.secret, &failures.budget, key).await {
                tracing::warn!(error = %e, limit = failures.budget.name, "could not lift an account's sign-in lock in the database");
            }
        }
    }

    /// Before a signed-in person's password is checked on a form that asks
    /// for it (a new password, a new email address, closing the account):
    /// one wrong password is held in that person's budget, as a sign-in
    /// holds its own ([`RateLimits::login`]: in the same step as the look
    /// at the budget, in memory and in the database), or the plain words
    /// why not while the budget is spent. [`PasswordCheck::keep`] when the
    /// password was wrong, [`PasswordCheck::give_back`] when it was right
    /// (dropped, the request cancelled, it is given back too). So requests
    /// sent at once from one session get no more passwords checked than
    /// requests sent one after another. The budget is the person's own,
    /// apart from signing in, and one for the three forms together.
    pub async fn password(&self, person: i64) -> Result<PasswordCheck<'_>, &'static str> {
        self.reserve(vec![(&self.password_person, person.to_string(), Hold::Checked)]).await
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
    /// first time, per conversation and address; an in-person event's
    /// budget instead of the usual one when `in_person` is its size.
    pub async fn cg_newcomer(&self, conversation: i64, ip: IpAddr, in_person: Option<u32>) -> Result<(), &'static str> {
        let key = format!("{conversation} from {}", address_key(ip));
        match self.in_person(in_person) {
            Some(l) => self.checked(&[(&l.newcomers, &key)]).await,
            None => self.checked(&[(&self.cg_newcomer_ip, &key)]).await,
        }
    }
    /// The budgets of an in-person event of `people`, if they are one of
    /// the sizes offered.
    fn in_person(&self, people: Option<u32>) -> Option<&InPersonLimits> {
        let people = people?;
        self.cg_in_person.iter().find(|l| l.people == people)
    }
    /// Replies, per account (person id).
    pub fn reply(&self, account: &str) -> Result<(), &'static str> {
        self.reply_account.check(account)
    }
    /// A common-ground vote, by participant (account id or browser token)
    /// and address; at an in-person event ([`InPerson`]), by address in that
    /// conversation, against its raised budget, in place of the usual one.
    pub fn cg_vote(&self, participant: &str, ip: IpAddr, event: Option<InPerson>) -> Result<(), &'static str> {
        self.cg_vote_participant.check(participant)?;
        match event.and_then(|e| self.in_person(Some(e.people)).map(|l| (l, e.conversation))) {
            Some((l, conversation)) => l.votes.check(&format!("{conversation} from {}", address_key(ip))),
            None => self.cg_vote_ip.check(&address_key(ip)),
        }
    }
    /// A common-ground statement, by participant and address (as [`RateLimits::cg_vote`]).
    pub fn cg_statement(&self, participant: &str, ip: IpAddr, event: Option<InPerson>) -> Result<(), &'static str> {
        self.cg_statement_participant.check(participant)?;
        match event.and_then(|e| self.in_person(Some(e.people)).map(|l| (l, e.conversation))) {
            Some((l, conversation)) => l.statements.check(&format!("{conversation} from {}", address_key(ip))),
            None => self.cg_statement_ip.check(&address_key(ip)),
        }
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
    /// A search (one with words: the empty search page is not counted),
    /// per address, in memory.
    pub fn search(&self, ip: IpAddr) -> Result<(), &'static str> {
        self.search_ip.check(&address_key(ip))
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

    /// Signs in with a wrong password as the form does: held first, kept after.
    async fn guess(limits: &RateLimits, ip: IpAddr, email: &str) -> bool {
        limits.login(ip, email, Browser::Unknown).await.map(PasswordCheck::keep).is_ok()
    }

    #[tokio::test]
    async fn guessing_an_account_from_one_connection_does_not_lock_its_owner_out() {
        let limits = RateLimits::default();
        let (guesser, owner) = ("192.0.2.66".parse::<IpAddr>().unwrap(), "198.51.100.7".parse::<IpAddr>().unwrap());
        let mut refused = 0;
        for _ in 0..15 {
            refused += usize::from(!guess(&limits, guesser, "sam@example.org").await);
        }
        assert_eq!(refused, 5, "ten wrong passwords per account from one connection");
        assert!(limits.login(owner, "Sam@example.org ", Browser::Unknown).await.is_ok(), "the owner elsewhere still signs in");
        assert!(limits.login(guesser, "bea@example.org", Browser::Unknown).await.is_ok(), "other accounts from that connection are not refused yet");
        // Many connections together meet the account's backstop.
        let mut refused_at = None;
        for i in 0..200u8 {
            let ip = IpAddr::from([203, 0, 113, i]);
            if !guess(&limits, ip, "sam@example.org").await {
                refused_at = Some(i);
                break;
            }
        }
        assert!(refused_at.is_some_and(|i| i >= 80), "a backstop per account: {refused_at:?}");
    }

    #[tokio::test]
    async fn only_wrong_passwords_count_so_a_shared_connection_signs_many_people_in() {
        let limits = RateLimits::default();
        let library = "192.0.2.10".parse::<IpAddr>().unwrap();
        // Two hundred visitors sign in rightly from one address.
        for i in 0..200 {
            assert!(limits.login(library, &format!("visitor{i}@example.org"), Browser::Unknown).await.is_ok(), "visitor {i}");
        }
        // Wrong passwords for many accounts from it still meet the
        // address's cap against credential stuffing.
        let mut wrong = 0;
        while guess(&limits, library, &format!("typo{wrong}@example.org")).await {
            wrong += 1;
            assert!(wrong <= LOGIN_IP_FAILED, "a cap per address");
        }
        assert_eq!(wrong, LOGIN_IP_FAILED);
        let refused = limits.login(library, "visitor1@example.org", Browser::Unknown).await.unwrap_err();
        assert!(refused.contains("for many accounts") && refused.contains("browser you usually sign in from"), "{refused}");
        assert!(limits.login(library, "visitor1@example.org", Browser::Known("visitor1's browser")).await.is_ok(), "known browsers still sign in");
        // And every attempt meets a far higher one.
        let busy = "192.0.2.11".parse::<IpAddr>().unwrap();
        let allowed = {
            let mut n = 0;
            while limits.login(busy, &format!("v{n}@example.org"), Browser::Unknown).await.is_ok() {
                n += 1;
            }
            n
        };
        assert_eq!(allowed, LOGIN_IP_ATTEMPTS);
    }

    #[tokio::test]
    async fn one_visitors_mistakes_on_a_shared_connection_hold_back_only_their_account() {
        let limits = RateLimits::default();
        let museum = "192.0.2.20".parse::<IpAddr>().unwrap();
        let mut wrong = 0;
        while guess(&limits, museum, "bea@example.org").await {
            wrong += 1;
        }
        assert_eq!(wrong, 10, "ten per account from one connection");
        let refused = limits.login(museum, "bea@example.org", Browser::Unknown).await.unwrap_err();
        assert!(refused.contains("from your connection") && refused.contains("a reset lifts the lock at once"), "{refused}");
        // Twenty more visitors mistype theirs: everyone else there still signs in.
        for i in 0..20 {
            for _ in 0..5 {
                assert!(guess(&limits, museum, &format!("visitor{i}@example.org")).await, "visitor {i}");
            }
        }
        assert!(limits.login(museum, "sam@example.org", Browser::Unknown).await.is_ok());
    }

    #[tokio::test]
    async fn a_locked_account_still_signs_in_from_a_known_browser_and_a_reset_lifts_the_lock() {
        let limits = RateLimits::default();
        for i in 0..20u8 {
            for _ in 0..5 {
                guess(&limits, IpAddr::from([203, 0, 113, i]), "sam@example.org").await;
            }
        }
        let owner = "198.51.100.7".parse::<IpAddr>().unwrap();
        let refused = limits.login(owner, "sam@example.org", Browser::Unknown).await.unwrap_err();
        assert!(refused.contains("browser you usually sign in from") && refused.contains("a reset lifts the lock at once"), "{refused}");
        // The owner's usual browser is not refused, from anywhere.
        for ip in [owner, IpAddr::from([203, 0, 113, 1])] {
            assert!(limits.login(ip, "sam@example.org", Browser::Known("sam's laptop")).await.is_ok());
        }
        // A known browser's own budget: ten wrong passwords, then it is
        // treated as any other browser (refused here, the account locked).
        let thief = Browser::Known("a stolen cookie");
        for _ in 0..10 {
            limits.login(owner, "sam@example.org", thief).await.expect("its own budget").keep();
        }
        assert!(limits.login(owner, "sam@example.org", thief).await.is_err(), "no guessing oracle");
        assert!(limits.login(owner, "sam@example.org", Browser::Known("sam's laptop")).await.is_ok(), "each cookie its own budget");
        // A reset lifts the account's lock, from every address.
        limits.lift_account("Sam@Example.org", owner).await;
        assert!(limits.login(owner, "sam@example.org", Browser::Unknown).await.is_ok());
        assert!(limits.login(IpAddr::from([203, 0, 113, 1]), "sam@example.org", Browser::Unknown).await.is_ok());
        assert!(limits.login(owner, "sam@example.org", thief).await.is_ok(), "and the stolen cookie counts as an unknown browser");
    }

    #[tokio::test]
    async fn sign_ins_under_way_at_once_hold_the_budget_and_right_ones_give_it_back() {
        let limits = RateLimits::default();
        let guesser = "192.0.2.66".parse::<IpAddr>().unwrap();
        // Forty sign-ins whose passwords are all being checked at once:
        // only ten are let through to the check.
        let mut under_way = Vec::new();
        for _ in 0..40 {
            if let Ok(held) = limits.login(guesser, "sam@example.org", Browser::Unknown).await {
                under_way.push(held);
            }
        }
        assert_eq!(under_way.len(), 10, "ten wrong passwords per account from one connection");
        // Nobody knows yet whether a password was wrong: the refusal
        // says the sign-ins are being checked, not that there were too
        // many wrong passwords.
        let refused = limits.login(guesser, "sam@example.org", Browser::Unknown).await.unwrap_err();
        assert!(refused.contains("being checked at this moment") && !refused.contains("wrong password"), "{refused}");
        // Their passwords were right: nothing stays counted.
        for held in under_way {
            held.give_back().await;
        }
        for _ in 0..10 {
            assert!(guess(&limits, guesser, "sam@example.org").await);
        }
        // Those were wrong, and kept: now it says so.
        let refused = limits.login(guesser, "sam@example.org", Browser::Unknown).await.unwrap_err();
        assert!(refused.contains("Too many wrong passwords for this account from your connection"), "{refused}");
        // A sign-in dropped before its answer gives back what it held.
        let other = "192.0.2.67".parse::<IpAddr>().unwrap();
        for _ in 0..20 {
            drop(limits.login(other, "bea@example.org", Browser::Unknown).await.expect("given back each time"));
        }
    }

    #[tokio::test]
    async fn a_known_browsers_wrong_passwords_count_against_the_account_which_never_refuses_it() {
        let limits = RateLimits::default();
        let owner = "198.51.100.7".parse::<IpAddr>().unwrap();
        for _ in 0..10 {
            limits.login(owner, "sam@example.org", Browser::Known("a stolen cookie")).await.expect("its own budget").keep();
        }
        // Ninety more from many connections: a hundred for the account.
        for i in 0..18u8 {
            for _ in 0..5 {
                assert!(guess(&limits, IpAddr::from([203, 0, 113, i]), "sam@example.org").await);
            }
        }
        let refused = limits.login(IpAddr::from([203, 0, 113, 99]), "sam@example.org", Browser::Unknown).await.expect_err("the account’s budget is spent");
        assert!(refused.contains("browser you usually sign in from"), "{refused}");
        // The owner's usual browser still signs in, and a burst from it is
        // held to its own budget (the account's refuses it nothing).
        let mut under_way = Vec::new();
        for _ in 0..15 {
            if let Ok(held) = limits.login(owner, "sam@example.org", Browser::Known("sam's laptop")).await {
                under_way.push(held);
            }
        }
        assert_eq!(under_way.len(), 10);
        for held in under_way {
            held.give_back().await;
        }
        // Every sign-in from one known browser, right ones too, meets a
        // bound: past it, the browser is as any other (refused here).
        let mut signed_in = 0;
        while limits.login(owner, "sam@example.org", Browser::Known("sam's laptop")).await.is_ok() {
            signed_in += 1;
            assert!(signed_in <= LOGIN_DEVICE_ATTEMPTS, "a bound per known browser");
        }
        // 15 above, then the rest of the thirty.
        assert_eq!(signed_in, LOGIN_DEVICE_ATTEMPTS - 15);
    }

    #[tokio::test]
    async fn a_signed_in_persons_wrong_passwords_are_their_own_budget() {
        let limits = RateLimits::default();
        // A right password first: given back, it counts nothing.
        limits.password(7).await.expect("within the budget").give_back().await;
        // Fifteen checks under way at once from one session: ten are held.
        let mut under_way = Vec::new();
        for _ in 0..15 {
            if let Ok(held) = limits.password(7).await {
                under_way.push(held);
            }
        }
        assert_eq!(under_way.len(), 10, "ten wrong passwords per person");
        for held in under_way {
            held.keep();
        }
        let refused = limits.password(7).await.unwrap_err();
        assert!(refused.contains("entered wrongly several times"), "{refused}");
        limits.password(8).await.expect("another person's budget is their own").keep();
        // A form cancelled before its answer gives back what it held.
        for _ in 0..20 {
            drop(limits.password(9).await.expect("given back each time"));
        }
        // Signing in from anywhere is not refused by it.
        assert!(limits.login("192.0.2.1".parse().unwrap(), "seven@example.org", Browser::Unknown).await.is_ok());
    }

    #[test]
    fn a_failure_window_slides() {
        let f = Failures::new("test", 4, Duration::from_secs(100), "slow down", "under way");
        // A failure held and kept, as a wrong password is.
        let fail = |key: &str, now: i64| {
            f.reserve(key, now).expect("within the budget");
            f.settle(key);
        };
        for _ in 0..4 {
            fail("k", 1_000);
        }
        assert!(f.spent("k", 1_050).is_err(), "four within the window");
        // Half a period into the next window, half the previous one counts.
        assert!(f.spent("k", 1_150).is_ok());
        fail("k", 1_150);
        fail("k", 1_150);
        assert!(f.spent("k", 1_150).is_err(), "2 + 4 × 0.5");
        assert!(f.spent("k", 1_400).is_ok(), "forgotten after two periods");
        // Marked spent by the database: refused now, and later allowed.
        f.mark_spent("m", 1_050);
        assert!(f.spent("m", 1_050).is_err());
        assert!(f.spent("m", 1_300).is_ok());
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
