//! The incremental scoring of a write equals a full recompute: random sequences of marks,
//! corrections, voids, entry status changes, overrides, locks and unlocks, under each
//! standardisation, aggregation and tie-break, compared after every step with the results
//! computed from all the marks (and with a model rebuilt from its records).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::domain::input::Package;
use crate::domain::kinds::{EntryStatus, Role};
use crate::model::caller::JudgeRef;
use crate::model::command::MarkIn;
use crate::model::package::records_from_plan;
use proptest::prelude::*;
use serde_json::json;

const ENTRIES: [&str; 5] = ["S1-AAA", "S1-BBB", "S1-CCC", "S1-DDD", "S1-EEE"];
const ASPECTS: [&str; 4] = ["M1", "J1", "M2", "J2"];
const JUDGES: [&str; 4] = ["JA", "JB", "JC", "JD"];

/// Settings of skill S1 that change how results are computed.
#[derive(Debug, Clone)]
struct Settings {
    standardise: &'static str,
    aggregation: (&'static str, u32),
    tie_break: &'static str,
    tie_tolerance: &'static str,
}

fn arb_settings() -> impl Strategy<Value = Settings> {
    (
        prop_oneof![Just("none"), Just("robust700")],
        prop_oneof![Just(("mean", 0)), Just(("median", 0)), Just(("trimmed", 1))],
        prop_oneof![Just("none"), Just("criteria_reverse")],
        prop_oneof![Just("0"), Just("0.5")],
    )
        .prop_map(|(standardise, aggregation, tie_break, tie_tolerance)| Settings {
            standardise,
            aggregation,
            tie_break,
            tie_tolerance,
        })
}

/// Skill S1: criteria A (M1 max 10, J1 max 6 panel 3) and B (M2 max 4.5, J2 max 3 panel 2);
/// skill S2 with one measurement, so that a write on S1 leaves S2 alone. Judges of the jury
/// (JD the chief) mark every entry.
fn competition(s: &Settings) -> Competition {
    let delegations: Vec<_> = ["AAA", "BBB", "CCC", "DDD", "EEE", "JRY"].map(|d| json!({"code": d, "name": d})).into();
    let entries: Vec<_> = ENTRIES
        .iter()
        .map(|e| json!({"code": e, "skill": "S1", "delegation": &e[3..], "members": ["X"]}))
        .chain([json!({"code": "S2-AAA", "skill": "S2", "delegation": "AAA", "members": ["Y"]})])
        .collect();
    let judges: Vec<_> = JUDGES
        .iter()
        .map(|j| {
            let role = if *j == "JD" { "chief" } else { "judge" };
            json!({"code": j, "name": j, "delegation": "JRY", "skills": ["S1", "S2"], "role": role})
        })
        .collect();
    let package: Package = serde_json::from_value(json!({
        "format": "podium.competition/1",
        "competition": {"code": "INC", "name": "Incremental", "timezone": "UTC"},
        "delegations": delegations,
        "skills": [
            {"code": "S1", "name": "One", "standardise": s.standardise, "tie_break": s.tie_break,
             "tie_tolerance": s.tie_tolerance, "max_judgement_spread": 1,
             "judgement_aggregation": {"method": s.aggregation.0, "k": s.aggregation.1},
             "criteria": [
                {"code": "A", "aspects": [
                    {"code": "M1", "kind": "measurement", "max": "10"},
                    {"code": "J1", "kind": "judgement", "max": "6", "panel": 3}]},
                {"code": "B", "aspects": [
                    {"code": "M2", "kind": "measurement", "max": "4.5"},
                    {"code": "J2", "kind": "judgement", "max": "3", "panel": 2}]}]},
            {"code": "S2", "name": "Two", "criteria": [{"code": "A", "aspects": [
                {"code": "M1", "kind": "measurement", "max": "5"}]}]}
        ],
        "entries": entries,
        "judges": judges,
    }))
    .unwrap();
    let plan = package.validate().unwrap();
    let mut n = 0u128;
    Competition::build(records_from_plan(&plan, "test", now(), || {
        n += 1;
        Uuid::from_u128(n)
    }))
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_790_000_000, 0).unwrap()
}

fn judge(c: &Competition, code: &str) -> Caller {
    let j = &c.judges[c.judge(code).unwrap()];
    Caller {
        session_id: Uuid::nil(),
        role: Role::of_judge(j.role),
        username: None,
        judge: Some(JudgeRef { id: j.id, competition_id: c.id, code: code.into() }),
        expires_at: now(),
    }
}

/// One random step.
#[derive(Debug, Clone)]
enum Step {
    /// Requests of one group, each one mark: (judge, entry, aspect, value seed, with reason).
    Marks(Vec<(usize, usize, usize, u8, bool)>),
    /// Voids the n-th mark stored so far (modulo their number).
    Void(usize),
    Status(usize, u8),
    /// The chief accepts the n-th open discrepancy.
    Override(usize),
    Lock,
    Unlock,
}

fn arb_step() -> impl Strategy<Value = Step> {
    let mark = (0usize..4, 0usize..5, 0usize..4, any::<u8>(), prop::bool::weighted(0.7));
    prop_oneof![
        6 => prop::collection::vec(mark, 1..4).prop_map(Step::Marks),
        1 => any::<usize>().prop_map(Step::Void),
        1 => (0usize..5, 0u8..3).prop_map(|(e, s)| Step::Status(e, s)),
        1 => any::<usize>().prop_map(Step::Override),
        1 => Just(Step::Lock),
        1 => Just(Step::Unlock),
    ]
}

fn value(aspect: &str, seed: u8) -> serde_json::Value {
    match aspect {
        "M1" => json!(format!("{}.{:02}", seed % 10, seed % 100)),
        "M2" => json!(["0", "1.25", "2.5", "3.33", "4.5", "4.49"][usize::from(seed) % 6]),
        _ => json!(seed % 4),
    }
}

/// Applies a step; a refused step leaves the model as it was.
fn apply(c: &Competition, step: &Step, n: &mut u128, seq: &mut i64) -> Competition {
    let admin = Caller::organizer("admin");
    let decision = match step {
        Step::Marks(requests) => {
            let mut group = MarkGroup::new(c);
            for &(j, e, a, seed, reason) in requests {
                *n += 1;
                let m = MarkIn {
                    id: Uuid::from_u128(1_000_000 + *n),
                    entry: ENTRIES[e].into(),
                    aspect: ASPECTS[a].into(),
                    value: value(ASPECTS[a], seed),
                    judge: None,
                    reason: reason.then(|| "fix".into()),
                };
                let _ = group.decide(&judge(c, JUDGES[j]), vec![m], now());
            }
            Ok(group.finish(Outcome::Done))
        }
        Step::Void(pick) => {
            let skill = &c.skills[c.skill("S1").unwrap()];
            let Some(m) = skill.marks().iter().cycle().nth(*pick % skill.marks().len().max(1)) else {
                return c.clone();
            };
            decide(c, &judge(c, "JD"), Command::VoidMark { mark: m.id, reason: "wrong".into() }, now())
        }
        Step::Status(e, s) => {
            let status = [EntryStatus::Active, EntryStatus::Withdrawn, EntryStatus::Disqualified][usize::from(*s)];
            let command = Command::SetEntryStatus { entry: ENTRIES[*e].into(), status, reason: "why".into() };
            decide(c, &admin, command, now())
        }
        Step::Override(pick) => {
            let result = &c.skills[c.skill("S1").unwrap()].result;
            let open: Vec<_> = result.discrepancies.iter().filter(|d| !d.overridden).collect();
            let Some(d) = open.get(*pick % open.len().max(1)) else { return c.clone() };
            *n += 1;
            let command = Command::OverrideDiscrepancy {
                skill: "S1".into(),
                entry: d.entry.clone(),
                aspect: d.aspect.clone(),
                reason: "accepted".into(),
                fresh: Uuid::from_u128(9_000_000 + *n),
            };
            decide(c, &judge(c, "JD"), command, now())
        }
        Step::Lock => {
            decide(c, &admin, Command::LockSkill { skill: "S1".into(), accept_missing: Some("ok".into()) }, now())
        }
        Step::Unlock => decide(c, &admin, Command::UnlockSkill { skill: "S1".into(), reason: "again".into() }, now()),
    };
    let Ok(d) = decision else { return c.clone() };
    let Some(mut model) = d.model else { return c.clone() };
    // As the store does: number the new marks in storage order.
    let mut seqs = rustc_hash::FxHashMap::default();
    for write in &d.writes {
        if let Write::Marks(records) = write {
            for r in records {
                *seq += 1;
                seqs.insert(r.id, *seq);
            }
        }
    }
    model.settle_seqs(&d.changed, &seqs);
    model
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn incremental_results_equal_a_full_recompute_after_every_step(
        settings in arb_settings(), steps in prop::collection::vec(arb_step(), 1..40)
    ) {
        let mut c = competition(&settings);
        let (mut n, mut seq) = (0u128, 0i64);
        for (i, step) in steps.iter().enumerate() {
            c = apply(&c, step, &mut n, &mut seq);
            for skill in c.skills.iter() {
                prop_assert_eq!(&*skill.result, &c.score(skill), "step {} {:?}", i, step);
            }
        }
        // And a model rebuilt from its records (as after a restart) computes the same.
        let rebuilt = Competition::build(c.to_records());
        for (a, b) in c.skills.iter().zip(rebuilt.skills.iter()) {
            prop_assert_eq!(&a.result, &b.result);
        }
    }
}

#[test]
fn marks_accumulate_and_results_follow_them() {
    // A sanity check that the property above sees real work: marks are stored and counted.
    let settings =
        Settings { standardise: "robust700", aggregation: ("mean", 0), tie_break: "none", tie_tolerance: "0" };
    let mut c = competition(&settings);
    let (mut n, mut seq) = (0, 0);
    for e in 0..5 {
        let step = Step::Marks(vec![(0, e, 0, 7 * e as u8 + 1, false), (1, e, 1, e as u8, false)]);
        c = apply(&c, &step, &mut n, &mut seq);
    }
    let s = c.skill("S1").unwrap();
    assert_eq!(c.skills[s].marks().len(), 10);
    assert_eq!(c.skills[s].result.marked, 10);
    assert_eq!(*c.skills[s].result, c.score(&c.skills[s]));
    assert!(c.skills[s].result.entries.iter().all(|r| r.scaled.is_some()));
}
