//! Log-in rate limiting: budgets of failed attempts per key (an address, an account from an
//! address, a one-time code) in a sliding minute, checked and charged in one step.
//!
//! An attempt is charged to every key it touches *before* the slow work (argon2, the
//! database), under one lock: two concurrent attempts can never both pass the last free slot.
//! A successful log-in gives its charge back, so only failures use up a budget.
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

pub const WINDOW: Duration = Duration::from_secs(60);

/// Failed password log-ins of one account from one address: a person mistyping a password.
pub const PER_ACCOUNT: usize = 10;
/// Failed password log-ins from one address whatever the user name: rotating user names
/// gets no more than this (organizers are a handful of people, not a NAT of tablets).
pub const PER_ADDRESS_PASSWORDS: usize = 30;
/// Failed log-ins with one same code, from anywhere: a tablet retrying a mistyped code.
/// Keyed on the code, so wrong codes never use up a valid code's budget.
pub const PER_CODE: usize = 10;
/// Failed code log-ins from one address. A venue NAT puts every tablet behind one address,
/// so this is generous (hundreds of judges mistyping at the start of a day), and still
/// hopeless for guessing: a code is ~50 random bits, 120 tries a minute find one of a
/// thousand live codes once in ~10^7 years.
pub const PER_ADDRESS_CODES: usize = 120;

/// One budget an attempt is charged to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limit {
    pub key: String,
    pub budget: usize,
}

/// The budgets of a password log-in: the account from this address, and the address.
pub fn password_limits(address: &str, username: &str) -> Vec<Limit> {
    // Hashed: a user name is whatever the client sent, of any length.
    let account = super::secret::sha256_hex(&username.trim().to_lowercase());
    vec![
        Limit { key: format!("account:{address}|{account}"), budget: PER_ACCOUNT },
        Limit { key: format!("address-passwords:{address}"), budget: PER_ADDRESS_PASSWORDS },
    ]
}

/// The budgets of a code log-in: the code (its hash), and the address.
pub fn code_limits(address: &str, code_hash: &str) -> Vec<Limit> {
    vec![
        Limit { key: format!("code:{code_hash}"), budget: PER_CODE },
        Limit { key: format!("address-codes:{address}"), budget: PER_ADDRESS_CODES },
    ]
}

/// The key of a client's address. An IPv6 client usually holds a whole /64, so that is the
/// unit; an IPv4-mapped address counts as its IPv4 address.
pub fn address_key(ip: Option<IpAddr>) -> String {
    match ip.map(|ip| ip.to_canonical()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "unknown".to_owned(),
    }
}

#[derive(Default)]
struct Failures {
    by_key: HashMap<String, Vec<Instant>>,
    /// Forgets idle keys when the map reaches this size; doubling it after each sweep keeps
    /// the sweeps' cost amortised constant however many keys are live.
    sweep_at: usize,
}

#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<Failures>,
}

/// An attempt charged to its keys; [`Charge::refund`] gives it back (the log-in succeeded).
/// Dropped without a refund, it stays a failure.
#[must_use = "a charge stays a failure unless refunded"]
pub struct Charge<'a> {
    limiter: &'a LoginLimiter,
    keys: Vec<String>,
    at: Instant,
}

impl Charge<'_> {
    pub fn refund(self) {
        let mut failures = self.limiter.lock();
        for key in &self.keys {
            if let Some(times) = failures.by_key.get_mut(key)
                && let Some(i) = times.iter().position(|t| *t == self.at)
            {
                times.swap_remove(i);
            }
        }
    }
}

impl LoginLimiter {
    fn lock(&self) -> std::sync::MutexGuard<'_, Failures> {
        // Nothing panics while holding the lock, and a failure count is worth keeping
        // even then: never fail open.
        self.failures.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Charges one attempt to every limit at once, or to none when a budget is spent: then
    /// answers how long until every one of them has room again.
    pub fn charge(&self, limits: &[Limit], now: Instant) -> Result<Charge<'_>, Duration> {
        let mut failures = self.lock();
        if failures.by_key.len() >= failures.sweep_at.max(1024) {
            failures.by_key.retain(|_, times| times.iter().any(|t| now.saturating_duration_since(*t) < WINDOW));
            failures.sweep_at = failures.by_key.len() * 2;
        }
        let mut wait = Duration::ZERO;
        for limit in limits {
            let Some(times) = failures.by_key.get_mut(&limit.key) else { continue };
            times.retain(|t| now.saturating_duration_since(*t) < WINDOW);
            let budget = limit.budget.max(1);
            if times.len() >= budget {
                // Room again once all but `budget - 1` of the failures have left the window.
                times.sort_unstable();
                let freeing = times[times.len() - budget];
                wait = wait.max(WINDOW.saturating_sub(now.saturating_duration_since(freeing)));
            }
        }
        if !wait.is_zero() {
            return Err(wait);
        }
        for limit in limits {
            failures.by_key.entry(limit.key.clone()).or_default().push(now);
        }
        Ok(Charge { limiter: self, keys: limits.iter().map(|l| l.key.clone()).collect(), at: now })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn limit(key: &str, budget: usize) -> Limit {
        Limit { key: key.to_owned(), budget }
    }

    #[test]
    fn a_budget_is_spent_after_that_many_failures_and_says_when_it_has_room() {
        let limiter = LoginLimiter::default();
        let start = Instant::now();
        for i in 0..3 {
            drop(limiter.charge(&[limit("a", 3)], start + Duration::from_secs(i)).unwrap());
        }
        let wait = limiter.charge(&[limit("a", 3)], start + Duration::from_secs(10)).err().unwrap();
        assert_eq!(wait, Duration::from_secs(50), "the oldest failure leaves the window at 60 s");
        // Other keys are untouched.
        assert!(limiter.charge(&[limit("b", 3)], start + Duration::from_secs(10)).is_ok());
        // The window slides: at 60 s the first failure is forgotten.
        assert!(limiter.charge(&[limit("a", 3)], start + Duration::from_secs(60)).is_ok());
        assert!(limiter.charge(&[limit("a", 3)], start + Duration::from_secs(60)).is_err());
    }

    #[test]
    fn a_refunded_attempt_costs_nothing() {
        let limiter = LoginLimiter::default();
        let now = Instant::now();
        for _ in 0..100 {
            limiter.charge(&[limit("a", 2)], now).unwrap().refund();
        }
        assert!(limiter.charge(&[limit("a", 2)], now).is_ok());
    }

    #[test]
    fn an_attempt_is_charged_to_every_key_or_to_none() {
        let limiter = LoginLimiter::default();
        let now = Instant::now();
        drop(limiter.charge(&[limit("address", 1)], now).unwrap());
        // The address is spent: the account key is not charged for the refused attempt.
        assert!(limiter.charge(&[limit("account", 1), limit("address", 1)], now).is_err());
        assert!(limiter.charge(&[limit("account", 1)], now).is_ok());
    }

    #[test]
    fn concurrent_failures_never_pass_the_last_slot_together() {
        let limiter = Arc::new(LoginLimiter::default());
        let passed = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (limiter, passed) = (limiter.clone(), passed.clone());
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        if let Ok(charge) = limiter.charge(&[limit("k", 10), limit("shared", 25)], Instant::now()) {
                            passed.fetch_add(1, Ordering::SeqCst);
                            drop(charge);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(passed.load(Ordering::SeqCst), 10);
    }

    #[test]
    fn rotating_user_names_from_one_address_hits_the_address_budget() {
        let limiter = LoginLimiter::default();
        let now = Instant::now();
        let passed =
            (0..200).filter(|i| limiter.charge(&password_limits("10.0.0.1", &format!("user{i}")), now).is_ok()).count();
        assert_eq!(passed, PER_ADDRESS_PASSWORDS);
        // Another address has its own budget.
        assert!(limiter.charge(&password_limits("10.0.0.2", "user0"), now).is_ok());
    }

    #[test]
    fn wrong_codes_never_spend_a_valid_codes_budget() {
        let limiter = LoginLimiter::default();
        let now = Instant::now();
        for i in 0..PER_ADDRESS_CODES - 1 {
            drop(limiter.charge(&code_limits("10.0.0.1", &format!("wrong{i}")), now).unwrap());
        }
        limiter.charge(&code_limits("10.0.0.1", "valid"), now).unwrap().refund();
        // One same wrong code is limited on its own, from any address.
        let retried = (0..20).filter(|i| limiter.charge(&code_limits(&format!("10.1.0.{i}"), "typo"), now).is_ok());
        assert_eq!(retried.count(), PER_CODE);
    }

    #[test]
    fn many_idle_keys_are_forgotten() {
        let limiter = LoginLimiter::default();
        let start = Instant::now();
        for i in 0..5000 {
            drop(limiter.charge(&[limit(&format!("early{i}"), 1)], start).unwrap());
        }
        for i in 0..5000 {
            drop(limiter.charge(&[limit(&format!("late{i}"), 1)], start + WINDOW).unwrap());
        }
        let failures = limiter.lock();
        assert!(failures.by_key.len() < 10_000, "idle keys were swept");
        assert!((0..5000).all(|i| failures.by_key.contains_key(&format!("late{i}"))), "live keys were kept");
    }

    #[test]
    fn addresses_are_keyed_by_ipv4_or_ipv6_64() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(address_key(ip("192.0.2.7")), "192.0.2.7");
        assert_eq!(address_key(ip("::ffff:192.0.2.7")), "192.0.2.7");
        assert_eq!(address_key(ip("2001:db8:1:2:aaaa::1")), address_key(ip("2001:db8:1:2:bbbb::2")));
        assert_ne!(address_key(ip("2001:db8:1:2::1")), address_key(ip("2001:db8:1:3::1")));
    }
}
