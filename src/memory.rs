//! Giving freed memory back to the system after a burst of short-lived allocations.
//!
//! glibc's allocator returns only the top of a heap to the system by itself. After a burst
//! (a competition's cold load; thousands of viewers connecting at a ceremony, each upgrade's
//! request buffers freed between the sockets' long-lived state) the freed pages stay in the
//! process, scattered between live allocations, and count as its memory until reused.

use std::time::{Duration, Instant};

/// Releases every free page of every arena to the system. It walks the allocator's free
/// lists (a few milliseconds for a heap of a hundred megabytes): call it once after a
/// burst, off any thread that serves requests.
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` has no preconditions; it only works on glibc's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Decides when a burst of events (sockets opening and closing) is over and worth a trim:
/// at least `min` events, then `quiet` without one.
#[derive(Debug)]
pub struct Burst {
    min: usize,
    quiet: Duration,
    events: usize,
    last: Option<Instant>,
}

impl Burst {
    pub fn new(min: usize, quiet: Duration) -> Burst {
        Burst { min, quiet, events: 0, last: None }
    }

    pub fn event(&mut self, now: Instant) {
        self.events += 1;
        self.last = Some(now);
    }

    /// Whether a burst just ended (then the count starts again).
    pub fn ended(&mut self, now: Instant) -> bool {
        let over = self.events >= self.min && self.last.is_some_and(|at| now.duration_since(at) >= self.quiet);
        if over {
            self.events = 0;
        }
        over
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_ends_after_enough_events_and_a_quiet_spell() {
        let mut burst = Burst::new(3, Duration::from_secs(1));
        let t0 = Instant::now();
        burst.event(t0);
        burst.event(t0);
        assert!(!burst.ended(t0 + Duration::from_secs(5)), "too few events");
        burst.event(t0 + Duration::from_secs(5));
        assert!(!burst.ended(t0 + Duration::from_millis(5500)), "not quiet yet");
        assert!(burst.ended(t0 + Duration::from_secs(7)));
        assert!(!burst.ended(t0 + Duration::from_secs(9)), "counted again from zero");
    }

    #[test]
    fn trimming_keeps_live_memory_intact() {
        let kept: Vec<Vec<u8>> = (0..1000u32).map(|i| vec![(i % 251) as u8; 4096]).collect();
        drop((0..1000).map(|_| vec![0u8; 4096]).collect::<Vec<_>>());
        trim();
        assert!(kept.iter().enumerate().all(|(i, v)| v.iter().all(|&b| b == (i % 251) as u8)));
    }
}
