//! What a judge's tablet reports in its heartbeat, and its validated form. Times the tablet
//! sends are its own clock's; [`HeartbeatInput::validate`] moves them onto the server's
//! clock by the difference between the tablet's `sent_at` and the server's `now`, since a
//! venue tablet's clock may be minutes off.
use super::code::Code;
use super::offence::Offences;
use crate::error::ErrorCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// At most this many queued marks are believed (a tablet holds a competition's worth).
const MAX_QUEUED: u32 = 1_000_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BatteryInput {
    /// Charge level, 0 to 1 as `navigator.getBattery()` gives it.
    pub level: f64,
    #[serde(default)]
    pub charging: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HeartbeatInput {
    /// The tablet's own random id (letters, digits, `-`, `_`, `.`; at most 64).
    pub tablet: String,
    /// The judge the tablet is logged in as; when given, it must be the caller.
    #[serde(default)]
    pub judge: Option<String>,
    pub app_version: String,
    /// Marks held on the tablet that the server has not acknowledged.
    pub queued: u32,
    /// When the oldest of those was entered (tablet clock).
    #[serde(default)]
    pub unsent_since: Option<DateTime<Utc>>,
    /// The last time a batch of marks was acknowledged (tablet clock).
    #[serde(default)]
    pub last_sync_at: Option<DateTime<Utc>>,
    /// When the tablet sent this heartbeat (tablet clock), to correct its clock by.
    #[serde(default)]
    pub sent_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub battery: Option<BatteryInput>,
}

/// A heartbeat as the server keeps it: times on the server's clock, none in the future.
#[derive(Clone, Debug, PartialEq)]
pub struct Heartbeat {
    pub tablet: Code,
    pub app_version: String,
    pub queued: u32,
    pub unsent_since: Option<DateTime<Utc>>,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub battery_percent: Option<u8>,
    pub battery_charging: Option<bool>,
}

impl HeartbeatInput {
    pub fn validate(&self, now: DateTime<Utc>, offences: &mut Offences) -> Option<Heartbeat> {
        let tablet = offences.code("/tablet", &self.tablet);
        let app_version = offences.text("/app_version", &self.app_version, 64);
        if self.queued > MAX_QUEUED {
            offences.push("/queued", ErrorCode::OutOfRange, format!("must be at most {MAX_QUEUED}"));
        }
        let battery_percent = match &self.battery {
            Some(b) if (0.0..=1.0).contains(&b.level) => Some((b.level * 100.0).round() as u8),
            Some(b) => {
                offences.push("/battery/level", ErrorCode::OutOfRange, format!("{} is not between 0 and 1", b.level));
                None
            }
            None => None,
        };
        let skew = self.sent_at.map_or(chrono::TimeDelta::zero(), |sent| now - sent);
        let on_server_clock = |t: Option<DateTime<Utc>>| t.map(|t| (t + skew).min(now));
        if !offences.is_empty() {
            return None;
        }
        Some(Heartbeat {
            tablet: tablet?,
            app_version,
            queued: self.queued,
            unsent_since: if self.queued > 0 { on_server_clock(self.unsent_since) } else { None },
            last_sync_at: on_server_clock(self.last_sync_at),
            battery_percent,
            battery_charging: self.battery.as_ref().and_then(|b| b.charging),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn input() -> HeartbeatInput {
        HeartbeatInput {
            tablet: "t-1".into(),
            judge: None,
            app_version: "0.1.0".into(),
            queued: 2,
            unsent_since: None,
            last_sync_at: None,
            sent_at: None,
            battery: None,
        }
    }

    #[test]
    fn tablet_times_move_onto_the_server_clock() {
        let now: DateTime<Utc> = "2026-09-22T10:00:00Z".parse().unwrap();
        // The tablet's clock is 5 minutes behind.
        let mut hb = input();
        hb.sent_at = Some("2026-09-22T09:55:00Z".parse().unwrap());
        hb.unsent_since = Some("2026-09-22T09:54:00Z".parse().unwrap());
        hb.last_sync_at = Some("2026-09-22T09:50:00Z".parse().unwrap());
        let v = hb.validate(now, &mut Offences::default()).unwrap();
        assert_eq!(v.unsent_since, Some("2026-09-22T09:59:00Z".parse().unwrap()));
        assert_eq!(v.last_sync_at, Some("2026-09-22T09:55:00Z".parse().unwrap()));
        // Nothing lies in the future, and nothing is unsent when nothing is queued.
        hb.sent_at = None;
        hb.last_sync_at = Some("2026-09-22T11:00:00Z".parse().unwrap());
        hb.queued = 0;
        let v = hb.validate(now, &mut Offences::default()).unwrap();
        assert_eq!(v.last_sync_at, Some(now));
        assert_eq!(v.unsent_since, None);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut hb = input();
        hb.tablet = "no spaces".into();
        hb.app_version = " ".into();
        hb.battery = Some(BatteryInput { level: 1.5, charging: None });
        let mut offences = Offences::default();
        assert!(hb.validate(DateTime::UNIX_EPOCH, &mut offences).is_none());
        let pointers: Vec<_> = offences.0.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/tablet", "/app_version", "/battery/level"]);
    }
}
