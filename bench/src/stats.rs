//! Percentiles by sorting the samples (nearest rank), and small report helpers.
use serde_json::{Value, json};
use std::time::Duration;

/// p50, p99 and max of a set of durations, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

/// Nearest-rank percentile of sorted samples (`q` in 0..=1).
fn nearest_rank(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl Summary {
    /// Sorts `samples` in place.
    pub fn of(samples: &mut [Duration]) -> Summary {
        samples.sort_unstable();
        Summary {
            count: samples.len(),
            p50: ms(nearest_rank(samples, 0.50)),
            p99: ms(nearest_rank(samples, 0.99)),
            max: ms(samples.last().copied().unwrap_or_default()),
        }
    }

    pub fn json(&self) -> Value {
        json!({"count": self.count, "p50": round(self.p50), "p99": round(self.p99), "max": round(self.max)})
    }

    pub fn text(&self) -> String {
        if self.count == 0 {
            return "no samples".into();
        }
        format!("p50 {:.1}  p99 {:.1}  max {:.1}", self.p50, self.p99, self.max)
    }
}

/// Rounds to 2 decimals for JSON output.
pub fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `count / seconds`, 0 when no time passed.
pub fn per_second(count: f64, elapsed: Duration) -> f64 {
    let seconds = elapsed.as_secs_f64();
    if seconds > 0.0 { count / seconds } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut samples: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        let s = Summary::of(&mut samples);
        assert_eq!(s.count, 100);
        assert!((s.p50 - 50.0).abs() < 1e-9);
        assert!((s.p99 - 99.0).abs() < 1e-9);
        assert!((s.max - 100.0).abs() < 1e-9);
        assert_eq!(Summary::of(&mut []), Summary::default());
        let mut one = [Duration::from_millis(7)];
        assert!((Summary::of(&mut one).p99 - 7.0).abs() < 1e-9);
    }
}
