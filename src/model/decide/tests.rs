//! `decide` without a database: idempotency by mark id, supersession order, the life cycle,
//! the policy, groups of requests, and properties over random sequences of marks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::domain::input::Package;
use crate::domain::kinds::{EntryStatus, Role, SkillState};
use crate::model::caller::JudgeRef;
use crate::model::command::MarkIn;
use crate::model::package::records_from_plan;
use proptest::prelude::*;
use serde_json::{Value, json};

/// Delegations AAA, BBB, CCC; skill S1 (measurement M1 max 10, judgement J1 max 6 panel 3,
/// binary B1 max 2) and S2 (measurement M1 max 5); an entry of each delegation in S1, two in
/// S2; judges JA (AAA), JB (BBB), JC (CCC, chief) on S1, JD (AAA) on S2.
fn small() -> Competition {
    let package: Package = serde_json::from_value(json!({
        "format": "podium.competition/1",
        "competition": {"code": "SMALL", "name": "Small", "timezone": "UTC"},
        "delegations": [{"code": "AAA", "name": "A"}, {"code": "BBB", "name": "B"}, {"code": "CCC", "name": "C"}],
        "skills": [
            {"code": "S1", "name": "One", "criteria": [{"code": "A", "aspects": [
                {"code": "M1", "kind": "measurement", "max": "10"},
                {"code": "J1", "kind": "judgement", "max": "6", "panel": 3},
                {"code": "B1", "kind": "measurement", "max": "2", "mode": "binary"}]}]},
            {"code": "S2", "name": "Two", "criteria": [{"code": "A", "aspects": [
                {"code": "M1", "kind": "measurement", "max": "5"}]}]}
        ],
        "entries": [
            {"code": "S1-AAA", "skill": "S1", "delegation": "AAA", "members": ["Ann"]},
            {"code": "S1-BBB", "skill": "S1", "delegation": "BBB", "members": ["Bob"]},
            {"code": "S1-CCC", "skill": "S1", "delegation": "CCC", "members": ["Cem"]},
            {"code": "S2-BBB", "skill": "S2", "delegation": "BBB", "members": ["Ben"]},
            {"code": "S2-CCC", "skill": "S2", "delegation": "CCC", "members": ["Cyd"]}
        ],
        "judges": [
            {"code": "JA", "name": "A", "delegation": "AAA", "skills": ["S1"]},
            {"code": "JB", "name": "B", "delegation": "BBB", "skills": ["S1"]},
            {"code": "JC", "name": "C", "delegation": "CCC", "skills": ["S1"], "role": "chief"},
            {"code": "JD", "name": "D", "delegation": "AAA", "skills": ["S2"]}
        ]
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

fn admin() -> Caller {
    Caller::organizer("admin")
}

fn judge(c: &Competition, code: &str) -> Caller {
    let j = &c.judges[c.judge(code).unwrap()];
    let role = Role::of_judge(j.role);
    Caller {
        session_id: Uuid::nil(),
        role,
        username: None,
        judge: Some(JudgeRef { id: j.id, competition_id: c.id, code: code.into() }),
        expires_at: now(),
    }
}

fn mark(id: u128, entry: &str, aspect: &str, value: Value) -> MarkIn {
    MarkIn {
        id: Uuid::from_u128(1_000_000 + id),
        entry: entry.into(),
        aspect: aspect.into(),
        value,
        judge: None,
        reason: None,
    }
}

fn with_reason(mut m: MarkIn) -> MarkIn {
    m.reason = Some("correction".into());
    m
}

fn marks(c: &Competition, caller: &Caller, marks: Vec<MarkIn>) -> Result<Decision, Rejection> {
    decide(c, caller, Command::RecordMarks { marks }, now())
}

/// Decides and returns the new model, panicking on a refusal.
fn apply(c: &Competition, caller: &Caller, command: Command) -> Competition {
    decide(c, caller, command, now()).unwrap().model.unwrap()
}

fn error_codes(rejection: &Rejection) -> Vec<(usize, ErrorCode)> {
    match rejection {
        Rejection::Invalid { errors, .. } => errors.iter().map(|e| (e.index.unwrap_or(usize::MAX), e.code)).collect(),
        other => vec![(usize::MAX, other.code())],
    }
}

fn raw(c: &Competition, entry: &str) -> String {
    let e = c.entry(entry).unwrap();
    c.skill_of(e).result.entry(entry).unwrap().raw.to_string()
}

#[test]
fn a_resent_mark_is_a_duplicate_and_the_same_id_with_another_body_is_a_conflict() {
    let c = small();
    let ja = judge(&c, "JA");
    let first = marks(&c, &ja, vec![mark(1, "S1-BBB", "M1", json!("7.5"))]).unwrap();
    assert_eq!(first.outcome, Outcome::Marks { accepted: 1, duplicates: 0 });
    assert_eq!(first.writes.len(), 2, "the mark, and the skill moving from setup to marking");
    let c = first.model.unwrap();
    let again = marks(&c, &ja, vec![mark(1, "S1-BBB", "M1", json!(7.50))]).unwrap();
    assert_eq!(again.outcome, Outcome::Marks { accepted: 0, duplicates: 1 });
    assert!(again.is_empty() && again.guards.is_empty(), "a duplicate stores nothing");
    let other = marks(&c, &ja, vec![mark(1, "S1-BBB", "M1", json!("8"))]).unwrap_err();
    assert_eq!(other.code(), ErrorCode::MarkIdConflict);
}

#[test]
fn a_duplicate_is_recognised_even_on_a_skill_locked_since() {
    let c = small();
    let ja = judge(&c, "JA");
    let c = marks(&c, &ja, vec![mark(1, "S2-BBB", "M1", json!("1"))]).unwrap_err();
    assert_eq!(error_codes(&c), vec![(0, ErrorCode::JudgeNotAssigned)]);
    let c = small();
    let jd = judge(&c, "JD");
    let c = marks(&c, &jd, vec![mark(1, "S2-BBB", "M1", json!("1")), mark(2, "S2-CCC", "M1", json!("2"))])
        .unwrap()
        .model
        .unwrap();
    let c = apply(&c, &admin(), Command::LockSkill { skill: "S2".into(), accept_missing: None });
    let resend = marks(&c, &jd, vec![mark(2, "S2-CCC", "M1", json!("2.00"))]).unwrap();
    assert_eq!(resend.outcome, Outcome::Marks { accepted: 0, duplicates: 1 });
    let fresh = marks(&c, &jd, vec![mark(3, "S2-CCC", "M1", json!("3"))]).unwrap_err();
    assert_eq!(error_codes(&fresh), vec![(0, ErrorCode::SkillLocked)]);
}

#[test]
fn a_correction_needs_a_reason_and_supersedes_in_storage_order() {
    let c = small();
    let (ja, jb) = (judge(&c, "JA"), judge(&c, "JB"));
    let c = marks(&c, &ja, vec![mark(1, "S1-CCC", "M1", json!("5"))]).unwrap().model.unwrap();
    // A measurement has one current mark, whoever entered it: B's value corrects A's.
    let refused = marks(&c, &jb, vec![mark(2, "S1-CCC", "M1", json!("6"))]).unwrap_err();
    assert_eq!(error_codes(&refused), vec![(0, ErrorCode::ReasonRequired)]);
    let d = marks(&c, &jb, vec![with_reason(mark(2, "S1-CCC", "M1", json!("6")))]).unwrap();
    assert_eq!(d.audit[0].action, "mark.corrected");
    let c = d.model.unwrap();
    assert_eq!(raw(&c, "S1-CCC"), "6.00");
    let s = c.skill("S1").unwrap();
    let e = c.entry("S1-CCC").unwrap();
    let current = c.skills[s].current_mark(e, c.skills[s].aspect_ix("M1").unwrap(), c.judge("JA").unwrap()).unwrap();
    assert_eq!(current.id, Uuid::from_u128(1_000_002));
    assert_eq!(current.supersedes, Some(Uuid::from_u128(1_000_001)));
    // Judgements: each judge has their own current score; a first score needs no reason.
    let c = marks(&c, &ja, vec![mark(3, "S1-CCC", "J1", json!(2))]).unwrap().model.unwrap();
    let d = marks(&c, &jb, vec![mark(4, "S1-CCC", "J1", json!(3))]).unwrap();
    assert_eq!(d.audit[0].action, "mark.recorded");
}

#[test]
fn a_batch_may_correct_itself_and_is_all_or_nothing() {
    let c = small();
    let ja = judge(&c, "JA");
    let batch = vec![mark(1, "S1-BBB", "M1", json!("4")), with_reason(mark(2, "S1-BBB", "M1", json!("4.5")))];
    let c2 = marks(&c, &ja, batch).unwrap().model.unwrap();
    assert_eq!(raw(&c2, "S1-BBB"), "4.50");
    let bad = vec![
        mark(3, "S1-BBB", "J1", json!(2)),
        mark(4, "S1-AAA", "M1", json!("1")),
        mark(5, "S1-CCC", "M1", json!("11")),
        mark(6, "S1-CCC", "J1", json!(2.5)),
        mark(7, "S1-CCC", "B1", json!("1")),
        mark(8, "NOPE", "M1", json!("1")),
        mark(9, "S1-CCC", "XX", json!("1")),
        mark(3, "S1-CCC", "M1", json!("1")),
        mark(10, "S1-CCC", "M1", json!("1.005")),
    ];
    let refused = marks(&c, &ja, bad).unwrap_err();
    assert_eq!(
        error_codes(&refused),
        vec![
            (1, ErrorCode::OwnDelegation),
            (2, ErrorCode::OutOfRange),
            (3, ErrorCode::InvalidScore),
            (4, ErrorCode::OutOfRange),
            (5, ErrorCode::UnknownEntry),
            (6, ErrorCode::UnknownAspect),
            (7, ErrorCode::DuplicateId),
            (8, ErrorCode::InvalidValue),
        ]
    );
}

#[test]
fn organizers_name_the_judge_and_judges_mark_as_themselves() {
    let c = small();
    let unnamed = marks(&c, &admin(), vec![mark(1, "S1-BBB", "M1", json!("1"))]).unwrap_err();
    assert_eq!(error_codes(&unnamed), vec![(0, ErrorCode::JudgeRequired)]);
    let mut named = mark(1, "S1-BBB", "M1", json!("1"));
    named.judge = Some("JA".into());
    let d = marks(&c, &admin(), vec![named.clone()]).unwrap();
    assert_eq!(d.audit[0].actor, "account:admin");
    named.judge = Some("JB".into());
    let own = marks(&c, &admin(), vec![named.clone()]).unwrap_err();
    assert_eq!(error_codes(&own), vec![(0, ErrorCode::OwnDelegation)]);
    let mismatch = marks(&c, &judge(&c, "JC"), vec![named]).unwrap_err();
    assert_eq!(error_codes(&mismatch), vec![(0, ErrorCode::JudgeMismatch)]);
}

#[test]
fn locking_needs_a_chief_and_no_open_discrepancy_and_publishing_a_lock() {
    let c = small();
    let (ja, jb, jc) = (judge(&c, "JA"), judge(&c, "JB"), judge(&c, "JC"));
    let c = marks(&c, &ja, vec![mark(1, "S1-BBB", "J1", json!(0))]).unwrap().model.unwrap();
    let c = marks(&c, &jc, vec![mark(2, "S1-BBB", "J1", json!(3))]).unwrap().model.unwrap();
    let lock = Command::LockSkill { skill: "S1".into(), accept_missing: None };
    assert_eq!(decide(&c, &jb, lock.clone(), now()).unwrap_err().code(), ErrorCode::ChiefOnly);
    assert_eq!(decide(&c, &jc, lock.clone(), now()).unwrap_err().code(), ErrorCode::OpenDiscrepancies);
    let publish = Command::PublishSkill { skill: "S1".into() };
    assert_eq!(decide(&c, &admin(), publish.clone(), now()).unwrap_err().code(), ErrorCode::InvalidState);
    let accept = |reason: &str| Command::OverrideDiscrepancy {
        skill: "S1".into(),
        entry: "S1-BBB".into(),
        aspect: "J1".into(),
        reason: reason.into(),
        fresh: Uuid::from_u128(77),
    };
    assert_eq!(decide(&c, &jc, accept(" "), now()).unwrap_err().code(), ErrorCode::ValidationFailed);
    let c = apply(&c, &jc, accept("the panel agreed"));
    // Every entry has a mark now; the panels of three cannot be filled (two eligible
    // judges each), so the gaps are accepted.
    let c = marks(&c, &jb, vec![mark(3, "S1-AAA", "M1", json!("1")), mark(4, "S1-CCC", "M1", json!("2"))])
        .unwrap()
        .model
        .unwrap();
    let lock = Command::LockSkill { skill: "S1".into(), accept_missing: Some("panels of two".into()) };
    let d = decide(&c, &jc, lock.clone(), now()).unwrap();
    assert_eq!(
        d.guards,
        vec![Guard { skill: c.skills[c.skill("S1").unwrap()].id, version: c.skills[c.skill("S1").unwrap()].version }]
    );
    let c = d.model.unwrap();
    assert_eq!(decide(&c, &jc, lock, now()).unwrap_err().code(), ErrorCode::InvalidState);
    assert_eq!(decide(&c, &jc, publish.clone(), now()).unwrap_err().code(), ErrorCode::AdminOnly);
    let c = apply(&c, &admin(), publish);
    assert_eq!(c.skills[c.skill("S1").unwrap()].state, SkillState::Published);
    let unlock = |reason: &str| Command::UnlockSkill { skill: "S1".into(), reason: reason.into() };
    assert_eq!(decide(&c, &jc, unlock("appeal"), now()).unwrap_err().code(), ErrorCode::AdminOnly);
    assert_eq!(decide(&c, &admin(), unlock(""), now()).unwrap_err().code(), ErrorCode::ValidationFailed);
    let c = apply(&c, &admin(), unlock("appeal"));
    // Published results that are unlocked are under review, not back to marking.
    assert_eq!(c.skills[c.skill("S1").unwrap()].state, SkillState::UnderReview);
    assert!(c.skills[c.skill("S1").unwrap()].accepted_gaps.is_none(), "a new sign-off needs a new acceptance");
}

#[test]
fn an_incomplete_skill_is_locked_only_with_its_gaps_accepted_and_no_unmarked_entry() {
    let c = small();
    let (ja, jb, jc) = (judge(&c, "JA"), judge(&c, "JB"), judge(&c, "JC"));
    let c = marks(&c, &jb, vec![mark(1, "S1-AAA", "M1", json!("5")), mark(2, "S1-CCC", "M1", json!("6"))])
        .unwrap()
        .model
        .unwrap();
    let lock = |accept: Option<&str>| Command::LockSkill { skill: "S1".into(), accept_missing: accept.map(Into::into) };
    let refused = decide(&c, &jc, lock(None), now()).unwrap_err();
    let Rejection::Conflict { code, extra: Some(extra), .. } = &refused else { panic!("{refused:?}") };
    assert_eq!(*code, ErrorCode::MarksMissing);
    let missing = extra["missing"].as_array().unwrap();
    // S1-AAA: J1 (1 of 3) and B1; S1-BBB: everything; S1-CCC: J1 and B1.
    assert!(missing.contains(&json!({"entry": "S1-AAA", "aspect": "J1", "have": 0, "needed": 3})), "{missing:?}");
    assert!(missing.contains(&json!({"entry": "S1-BBB", "aspect": "M1", "have": 0, "needed": 1})), "{missing:?}");
    assert_eq!(missing.len(), 2 + 3 + 2);
    // S1-BBB has no mark at all: it cannot be accepted, it must be withdrawn first.
    let unmarked = decide(&c, &jc, lock(Some("panel too small")), now()).unwrap_err();
    assert_eq!(unmarked.code(), ErrorCode::EntryUnmarked);
    assert_eq!(decide(&c, &jc, lock(Some("  ")), now()).unwrap_err().code(), ErrorCode::ValidationFailed);
    let c = marks(&c, &ja, vec![mark(3, "S1-BBB", "J1", json!(2))]).unwrap().model.unwrap();
    let d = decide(&c, &jc, lock(Some("panel too small")), now()).unwrap();
    assert_eq!(d.audit[0].reason.as_deref(), Some("panel too small"));
    let c = d.model.unwrap();
    let skill = &c.skills[c.skill("S1").unwrap()];
    assert_eq!(skill.accepted_gaps.as_ref().unwrap().missing.len(), 2 + 3 + 2);
    assert!(
        skill.result.entries.iter().all(|r| !r.provisional && r.gaps_accepted),
        "no row is provisional once signed off"
    );
    // Nothing that alters a signed-off skill is taken until it is unlocked.
    let entry = crate::domain::input::EntryInput {
        code: "S1-NEW".into(),
        skill: "S1".into(),
        delegation: "AAA".into(),
        members: vec!["Nia".into()],
        status: None,
    };
    let add = Command::SaveEntry { existing: None, input: entry, fresh: Uuid::from_u128(99) };
    assert_eq!(decide(&c, &admin(), add, now()).unwrap_err().code(), ErrorCode::SkillLocked);
    let reassign = Command::SaveJudge {
        existing: Some("JD".into()),
        input: crate::domain::input::JudgeInput {
            code: "JD".into(),
            name: "D".into(),
            delegation: "AAA".into(),
            skills: vec!["S1".into(), "S2".into()],
            role: "judge".into(),
        },
        fresh: Uuid::from_u128(98),
    };
    assert_eq!(decide(&c, &admin(), reassign, now()).unwrap_err().code(), ErrorCode::SkillLocked);
}

#[test]
fn voiding_a_correction_restores_the_mark_it_superseded() {
    let c = small();
    let ja = judge(&c, "JA");
    let c = marks(&c, &ja, vec![mark(1, "S1-BBB", "M1", json!("3")), with_reason(mark(2, "S1-BBB", "M1", json!("9")))])
        .unwrap()
        .model
        .unwrap();
    assert_eq!(raw(&c, "S1-BBB"), "9.00");
    let void = |reason: &str| Command::VoidMark { mark: Uuid::from_u128(1_000_002), reason: reason.into() };
    assert_eq!(decide(&c, &ja, void("wrong entry"), now()).unwrap_err().code(), ErrorCode::ChiefOnly);
    let c = apply(&c, &admin(), void("wrong entry"));
    assert_eq!(raw(&c, "S1-BBB"), "3.00");
    assert_eq!(decide(&c, &admin(), void("again"), now()).unwrap_err().code(), ErrorCode::AlreadyVoid);
    // A new mark now corrects the restored one.
    let d = marks(&c, &ja, vec![with_reason(mark(3, "S1-BBB", "M1", json!("4")))]).unwrap();
    assert_eq!(d.audit[0].before.as_ref().unwrap()["id"], json!(Uuid::from_u128(1_000_001)));
}

#[test]
fn each_request_of_a_group_has_its_own_outcome_and_the_group_stores_once() {
    let c = small();
    let (ja, jb) = (judge(&c, "JA"), judge(&c, "JB"));
    let mut group = MarkGroup::new(&c);
    assert!(group.decide(&ja, vec![mark(1, "S1-BBB", "M1", json!("5"))], now()).is_ok());
    assert!(group.decide(&jb, vec![mark(2, "S1-BBB", "J1", json!(9))], now()).is_err());
    // A later request sees what the group accepted before it.
    let correction =
        group.decide(&jb, vec![mark(3, "S1-CCC", "M1", json!("2")), mark(4, "S1-AAA", "M1", json!("1"))], now());
    assert_eq!(correction.unwrap(), Outcome::Marks { accepted: 2, duplicates: 0 });
    let resend = group.decide(&ja, vec![mark(1, "S1-BBB", "M1", json!("5"))], now()).unwrap();
    assert_eq!(resend, Outcome::Marks { accepted: 0, duplicates: 1 });
    let decision = group.finish(Outcome::Done);
    let stored: Vec<Uuid> = decision
        .writes
        .iter()
        .flat_map(|w| match w {
            Write::Marks(marks) => marks.iter().map(|m| m.id).collect(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(stored, vec![Uuid::from_u128(1_000_001), Uuid::from_u128(1_000_003), Uuid::from_u128(1_000_004)]);
    assert_eq!(decision.guards.len(), 1, "one skill, guarded once");
    assert_eq!(raw(decision.model.as_ref().unwrap(), "S1-BBB"), "5.00");
}

#[test]
fn registration_is_for_organizers_and_entries_with_marks_stay_put() {
    let c = small();
    let ja = judge(&c, "JA");
    let entry = |skill: &str| crate::domain::input::EntryInput {
        code: "S1-BBB".into(),
        skill: skill.into(),
        delegation: "BBB".into(),
        members: vec!["Bob".into()],
        status: None,
    };
    let save = |skill: &str| Command::SaveEntry {
        existing: Some("S1-BBB".into()),
        input: entry(skill),
        fresh: Uuid::from_u128(9),
    };
    assert_eq!(decide(&c, &ja, save("S2"), now()).unwrap_err().code(), ErrorCode::AdminOnly);
    let moved = apply(&c, &admin(), save("S2"));
    assert_eq!(moved.skill_of(moved.entry("S1-BBB").unwrap()).code(), "S2");
    let c = marks(&c, &ja, vec![mark(1, "S1-BBB", "M1", json!("5"))]).unwrap().model.unwrap();
    assert_eq!(decide(&c, &admin(), save("S2"), now()).unwrap_err().code(), ErrorCode::InUse);
    let delete = Command::DeleteEntry { entry: "S1-BBB".into() };
    assert_eq!(decide(&c, &admin(), delete, now()).unwrap_err().code(), ErrorCode::InUse);
    let status =
        Command::SetEntryStatus { entry: "S1-BBB".into(), status: EntryStatus::Withdrawn, reason: "ill".into() };
    let c = apply(&c, &admin(), status);
    let result = c.skills[c.skill("S1").unwrap()].result.entry("S1-BBB").unwrap().clone();
    assert_eq!((result.status, result.rank), (EntryStatus::Withdrawn, None));
}

#[test]
fn a_code_logs_in_once() {
    let c = small();
    let issue = Command::IssueLoginCode { judge: "JA".into(), code_hash: "h1".into() };
    let c = apply(&c, &admin(), issue);
    let session = crate::model::record::SessionRecord {
        id: Uuid::from_u128(5),
        token_hash: "t".into(),
        role: Role::Admin,
        account_id: None,
        judge_id: None,
        created_at: now(),
        expires_at: now(),
    };
    assert!(redeem_login_code(&c, "wrong", session.clone()).is_err());
    let d = redeem_login_code(&c, "h1", session.clone()).unwrap();
    assert_eq!(d.outcome, Outcome::Session { judge: "JA".into(), role: Role::Judge });
    let c = d.model.unwrap();
    assert_eq!(redeem_login_code(&c, "h1", session).unwrap_err().code(), ErrorCode::InvalidCredentials);
}

/// One random mark command: who, which cell, which value, with a reason or not.
fn arb_command() -> impl Strategy<Value = (usize, usize, usize, u8, bool, u8)> {
    (0usize..3, 0usize..3, 0usize..3, 0u8..12, any::<bool>(), 0u8..10)
}

fn to_mark(
    c: &Competition,
    n: usize,
    (judge_pick, entry_pick, aspect_pick, value, reason, id_pick): (usize, usize, usize, u8, bool, u8),
) -> (Caller, MarkIn) {
    let judges = ["JA", "JB", "JC"];
    let entries = ["S1-AAA", "S1-BBB", "S1-CCC"];
    let aspects = ["M1", "J1", "B1"];
    let value = match aspects[aspect_pick] {
        "J1" => json!(value % 4),
        "B1" => json!(if value % 2 == 0 { "0" } else { "2" }),
        _ => json!(format!("{}.{}", value % 11, value % 10)),
    };
    // A few ids repeat on purpose: resends, and conflicting reuse.
    let id = if id_pick == 0 { 1 } else { n as u128 + 10 };
    let mut m = mark(id, entries[entry_pick], aspects[aspect_pick], value);
    if reason {
        m.reason = Some("fix".into());
    }
    (judge(c, judges[judge_pick]), m)
}

proptest! {
    #[test]
    fn a_group_decides_what_single_requests_decide_and_resending_changes_nothing(
        commands in prop::collection::vec(arb_command(), 1..30)
    ) {
        let base = small();
        let requests: Vec<(Caller, MarkIn)> =
            commands.into_iter().enumerate().map(|(n, cmd)| to_mark(&base, n, cmd)).collect();
        // One request at a time, each stored before the next.
        let mut one_by_one = base.clone();
        let mut outcomes = Vec::new();
        for (caller, m) in &requests {
            match marks(&one_by_one, caller, vec![m.clone()]) {
                Ok(d) => {
                    outcomes.push(Ok(d.outcome.clone()));
                    one_by_one = d.model.unwrap();
                }
                Err(r) => outcomes.push(Err(r.code())),
            }
        }
        // All in one group.
        let mut group = MarkGroup::new(&base);
        let grouped: Vec<_> =
            requests.iter().map(|(caller, m)| group.decide(caller, vec![m.clone()], now()).map_err(|r| r.code())).collect();
        prop_assert_eq!(&grouped, &outcomes);
        let together = group.finish(Outcome::Done).model.unwrap();
        for (a, b) in one_by_one.skills.iter().zip(together.skills.iter()) {
            prop_assert_eq!(a.marks(), b.marks());
            prop_assert_eq!(&a.result, &b.result);
        }
        // The incrementally kept model equals one rebuilt from its records.
        let rebuilt = Competition::build(together.to_records());
        for (a, b) in together.skills.iter().zip(rebuilt.skills.iter()) {
            prop_assert_eq!(&a.result, &b.result);
            prop_assert_eq!(a.marks(), b.marks());
        }
        // Resending every accepted request stores nothing more.
        for ((caller, m), outcome) in requests.iter().zip(&outcomes) {
            if let Ok(Outcome::Marks { accepted, .. }) = outcome && *accepted > 0 {
                let again = marks(&together, caller, vec![m.clone()]).unwrap();
                prop_assert!(again.is_empty(), "a resend stored something");
            }
        }
    }
}
