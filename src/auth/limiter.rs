//! Log-in rate limiting: at most `MAX_FAILURES` failed attempts per key (address and
//! user name) in a sliding minute.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MAX_FAILURES: usize = 10;
const WINDOW: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    pub fn allow(&self, key: &str) -> bool {
        let Ok(mut failures) = self.failures.lock() else {
            return true;
        };
        if failures.len() > 10_000 {
            failures.retain(|_, times| times.iter().any(|t| t.elapsed() < WINDOW));
        }
        failures.get_mut(key).is_none_or(|times| {
            times.retain(|t| t.elapsed() < WINDOW);
            times.len() < MAX_FAILURES
        })
    }

    pub fn fail(&self, key: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.entry(key.to_owned()).or_default().push(Instant::now());
        }
    }
}
