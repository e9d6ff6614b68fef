//! The tablet fleet: what each judge's tablet last reported, and how the console sees it —
//! online or stale (no heartbeat for two minutes), unsent marks, and an alert once a tablet
//! has held unsent marks for more than a minute. Pure: `now` is a parameter.
use super::competition::Competition;
use super::ix::JudgeIx;
use crate::domain::tablet::Heartbeat;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use uuid::Uuid;

/// A tablet without a heartbeat for this long is stale.
pub const STALE_AFTER: TimeDelta = TimeDelta::seconds(120);
/// A tablet holding unsent marks for longer than this raises an alert.
pub const ALERT_AFTER: TimeDelta = TimeDelta::seconds(60);

/// A tablet's last heartbeat as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct TabletRecord {
    pub judge_id: Uuid,
    pub tablet: String,
    pub competition_id: Uuid,
    pub app_version: String,
    pub queued: u32,
    pub unsent_since: Option<DateTime<Utc>>,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub battery_percent: Option<u8>,
    pub battery_charging: Option<bool>,
    pub last_seen_at: DateTime<Utc>,
}

/// The record a heartbeat leaves. A tablet that does not say since when it holds unsent
/// marks keeps the time of the first heartbeat that reported them.
pub fn record(
    (competition_id, judge_id): (Uuid, Uuid),
    previous: Option<&TabletRecord>,
    heartbeat: Heartbeat,
    now: DateTime<Utc>,
) -> TabletRecord {
    let unsent_since = (heartbeat.queued > 0).then(|| {
        heartbeat.unsent_since.or_else(|| previous.filter(|p| p.queued > 0).and_then(|p| p.unsent_since)).unwrap_or(now)
    });
    TabletRecord {
        judge_id,
        tablet: heartbeat.tablet.as_str().to_owned(),
        competition_id,
        app_version: heartbeat.app_version,
        queued: heartbeat.queued,
        unsent_since,
        last_sync_at: heartbeat.last_sync_at,
        battery_percent: heartbeat.battery_percent,
        battery_charging: heartbeat.battery_charging,
        last_seen_at: now,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TabletState {
    Online,
    Stale,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BatteryView {
    pub percent: u8,
    pub charging: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TabletView {
    pub tablet: String,
    pub state: TabletState,
    pub app_version: String,
    /// Marks the tablet last said it holds unsent.
    pub queued: u32,
    pub unsent: bool,
    pub unsent_since: Option<DateTime<Utc>>,
    /// Unsent marks held for more than a minute.
    pub alert: bool,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_seen_at: DateTime<Utc>,
    pub battery: Option<BatteryView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct JudgeTablets {
    pub judge: String,
    pub name: String,
    pub delegation: String,
    pub skills: Vec<String>,
    /// The judge's tablets, the most recently seen first (none if none ever reported).
    pub tablets: Vec<TabletView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FleetView {
    pub now: DateTime<Utc>,
    pub stale_after_seconds: i64,
    pub alert_after_seconds: i64,
    /// The server's version, to compare the tablets' app versions with.
    pub server_version: String,
    pub online: usize,
    pub stale: usize,
    pub unsent: usize,
    /// Tablets holding unsent marks for more than a minute.
    pub alerts: usize,
    pub judges: Vec<JudgeTablets>,
}

pub fn tablet_view(t: &TabletRecord, now: DateTime<Utc>) -> TabletView {
    let state = if now - t.last_seen_at > STALE_AFTER { TabletState::Stale } else { TabletState::Online };
    TabletView {
        tablet: t.tablet.clone(),
        state,
        app_version: t.app_version.clone(),
        queued: t.queued,
        unsent: t.queued > 0,
        unsent_since: t.unsent_since,
        alert: t.queued > 0 && t.unsent_since.is_some_and(|since| now - since > ALERT_AFTER),
        last_sync_at: t.last_sync_at,
        last_seen_at: t.last_seen_at,
        battery: t.battery_percent.map(|percent| BatteryView { percent, charging: t.battery_charging }),
    }
}

/// The fleet of the judges the caller may watch (see `policy::fleet_judges`).
pub fn fleet(
    c: &Competition,
    judges: &[JudgeIx],
    tablets: &[TabletRecord],
    server_version: &str,
    now: DateTime<Utc>,
) -> FleetView {
    let judges: Vec<JudgeTablets> = judges
        .iter()
        .map(|&j| {
            let judge = &c.judges[j];
            let mut mine: Vec<&TabletRecord> = tablets.iter().filter(|t| t.judge_id == judge.id).collect();
            mine.sort_by(|a, b| b.last_seen_at.cmp(&a.last_seen_at).then_with(|| a.tablet.cmp(&b.tablet)));
            JudgeTablets {
                judge: judge.code.clone(),
                name: judge.name.clone(),
                delegation: c.delegations[judge.delegation].code.clone(),
                skills: judge.skills.iter().map(|&s| c.skills[s].code().to_owned()).collect(),
                tablets: mine.into_iter().map(|t| tablet_view(t, now)).collect(),
            }
        })
        .collect();
    let all = || judges.iter().flat_map(|j| j.tablets.iter());
    FleetView {
        now,
        stale_after_seconds: STALE_AFTER.num_seconds(),
        alert_after_seconds: ALERT_AFTER.num_seconds(),
        server_version: server_version.to_owned(),
        online: all().filter(|t| t.state == TabletState::Online).count(),
        stale: all().filter(|t| t.state == TabletState::Stale).count(),
        unsent: all().filter(|t| t.unsent).count(),
        alerts: all().filter(|t| t.alert).count(),
        judges,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn stored(queued: u32, unsent_since: Option<&str>, last_seen_at: &str) -> TabletRecord {
        TabletRecord {
            judge_id: Uuid::nil(),
            tablet: "t".into(),
            competition_id: Uuid::nil(),
            app_version: "0.1.0".into(),
            queued,
            unsent_since: unsent_since.map(at),
            last_sync_at: None,
            battery_percent: Some(40),
            battery_charging: Some(false),
            last_seen_at: at(last_seen_at),
        }
    }

    #[test]
    fn unsent_since_holds_from_the_first_heartbeat_that_reported_marks() {
        let heartbeat = |queued| Heartbeat {
            tablet: crate::domain::Code::trusted("t".into()),
            app_version: "0.1.0".into(),
            queued,
            unsent_since: None,
            last_sync_at: None,
            battery_percent: None,
            battery_charging: None,
        };
        let ids = (Uuid::nil(), Uuid::nil());
        let first = record(ids, None, heartbeat(2), at("2026-09-22T10:00:00Z"));
        assert_eq!(first.unsent_since, Some(at("2026-09-22T10:00:00Z")));
        let second = record(ids, Some(&first), heartbeat(3), at("2026-09-22T10:00:20Z"));
        assert_eq!(second.unsent_since, Some(at("2026-09-22T10:00:00Z")));
        let sent = record(ids, Some(&second), heartbeat(0), at("2026-09-22T10:00:40Z"));
        assert_eq!(sent.unsent_since, None);
        let again = record(ids, Some(&sent), heartbeat(1), at("2026-09-22T10:01:00Z"));
        assert_eq!(again.unsent_since, Some(at("2026-09-22T10:01:00Z")));
    }

    #[test]
    fn a_tablet_goes_stale_after_two_minutes_without_a_heartbeat() {
        let t = stored(0, None, "2026-09-22T10:00:00Z");
        assert_eq!(tablet_view(&t, at("2026-09-22T10:02:00Z")).state, TabletState::Online);
        assert_eq!(tablet_view(&t, at("2026-09-22T10:02:01Z")).state, TabletState::Stale);
    }

    #[test]
    fn unsent_marks_alert_after_more_than_a_minute() {
        let t = stored(3, Some("2026-09-22T10:00:00Z"), "2026-09-22T10:00:30Z");
        let soon = tablet_view(&t, at("2026-09-22T10:01:00Z"));
        assert!(soon.unsent && !soon.alert);
        let later = tablet_view(&t, at("2026-09-22T10:01:01Z"));
        assert!(later.unsent && later.alert);
        // A stale tablet that said it held marks still counts: they are still unsent.
        let stale = tablet_view(&t, at("2026-09-22T11:00:00Z"));
        assert_eq!((stale.state, stale.alert, stale.queued), (TabletState::Stale, true, 3));
        assert!(!tablet_view(&stored(0, None, "2026-09-22T10:00:30Z"), at("2026-09-22T11:00:00Z")).alert);
    }
}
