//! The closing ceremony: a plan of reveal steps over locked skills, the presenter's place in
//! it, and what the hall may see of it. Pure: building the default steps, checking a plan
//! against the results, the generated data of a rehearsal, and the views of the hall and of
//! the presenter, which carry only steps already revealed (the hall) or are for organizers.
use super::competition::Competition;
use super::ix::SkillIx;
use crate::scoring::{Medal, SkillResult};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The order medals are revealed in: medallions for excellence first, gold last.
pub const REVEAL_ORDER: [Medal; 4] = [Medal::Excellence, Medal::Bronze, Medal::Silver, Medal::Gold];

/// One reveal: every entry holding `medal` in this step (a shared medal is one step).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Step {
    #[schema(value_type = String)]
    pub medal: Medal,
    pub entries: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanSkill {
    pub skill: String,
    pub steps: Vec<Step>,
}

/// The stored ceremony: the plan, how many of its steps are revealed, and whether the
/// presenter is rehearsing (then the steps are generated, see [`rehearsal_steps`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ceremony {
    pub skills: Vec<PlanSkill>,
    /// Steps revealed, counted over the whole plan (0: nothing yet).
    pub position: usize,
    pub rehearsal: bool,
    /// Bumped by every stored change; another instance's change shows as a newer version.
    #[serde(default)]
    pub version: i64,
}

/// Where a step stands in the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// Index into `Ceremony::skills`.
    pub skill: usize,
    pub step: usize,
    /// The skill's last step: revealing it publishes the skill (outside a rehearsal).
    pub last: bool,
}

/// Entries a rehearsal reveals per skill: two medallions, then one of each medal.
const REHEARSAL_SHAPE: [(Medal, usize); 4] =
    [(Medal::Excellence, 2), (Medal::Bronze, 1), (Medal::Silver, 1), (Medal::Gold, 1)];

const REHEARSAL_NAMES: [&str; 12] = [
    "Alex Sample",
    "Mira Example",
    "Ivan Probe",
    "Li Demo",
    "Sara Placeholder",
    "Omar Trial",
    "Nadia Mock",
    "Chen Draft",
    "Olga Test",
    "Ravi Preview",
    "Aiko Rehearse",
    "Tomas Dummy",
];

impl Ceremony {
    pub fn new(skills: Vec<PlanSkill>) -> Ceremony {
        Ceremony { skills, position: 0, rehearsal: false, version: 0 }
    }

    /// The steps of a skill as they run now: the plan's, or generated ones in a rehearsal.
    /// A rehearsal has its own fixed shape, so that rehearsing on the public hall screens
    /// says nothing about how many medals of each kind the real results hold.
    pub fn steps_of(&self, i: usize) -> Vec<Step> {
        let skill = &self.skills[i];
        if self.rehearsal { rehearsal_steps(&skill.skill) } else { skill.steps.clone() }
    }

    /// Every step in reveal order.
    pub fn cursors(&self) -> Vec<Cursor> {
        let mut out = Vec::new();
        for i in 0..self.skills.len() {
            let n = self.steps_of(i).len();
            out.extend((0..n).map(|step| Cursor { skill: i, step, last: step + 1 == n }));
        }
        out
    }

    pub fn total(&self) -> usize {
        self.cursors().len()
    }

    /// The step `position` reveals (the `position`-th, 1-based), if any.
    pub fn cursor(&self, position: usize) -> Option<Cursor> {
        position.checked_sub(1).and_then(|p| self.cursors().get(p).copied())
    }

    /// The step revealed by `position`, with its skill's code.
    pub fn step_at(&self, position: usize) -> Option<(String, Step, Cursor)> {
        let cursor = self.cursor(position)?;
        let steps = self.steps_of(cursor.skill);
        Some((self.skills[cursor.skill].skill.clone(), steps[cursor.step].clone(), cursor))
    }
}

/// The generated steps of a skill in a rehearsal: made-up entries, never a real result.
pub fn rehearsal_steps(skill: &str) -> Vec<Step> {
    let mut n = 0;
    REHEARSAL_SHAPE
        .iter()
        .map(|&(medal, count)| Step {
            medal,
            entries: (0..count)
                .map(|_| {
                    n += 1;
                    format!("{REHEARSAL_PREFIX}{skill}-{n}")
                })
                .collect(),
        })
        .collect()
}

/// Entry codes of a rehearsal start with this (a real code cannot hold a `~`).
pub const REHEARSAL_PREFIX: &str = "~R-";

/// The default steps of a skill's results: one step per medal kind held, medallions first
/// and gold last; within a step, entries in delegation order (never in rank order: the
/// hall learns who holds a medal, not how they placed against each other).
pub fn default_steps(result: &SkillResult) -> Vec<Step> {
    REVEAL_ORDER
        .iter()
        .filter_map(|&medal| {
            let mut holders: Vec<(&str, &str)> = result
                .entries
                .iter()
                .filter(|r| r.medal == Some(medal))
                .map(|r| (r.delegation.as_str(), r.entry.as_str()))
                .collect();
            holders.sort_unstable();
            let entries: Vec<String> = holders.into_iter().map(|(_, e)| e.to_owned()).collect();
            (!entries.is_empty()).then_some(Step { medal, entries })
        })
        .collect()
}

/// Why a skill's steps do not fit its results: every medal holder must be revealed exactly
/// once, with the medal they hold.
pub fn check_steps(result: &SkillResult, steps: &[Step]) -> Result<(), String> {
    let holders: BTreeMap<&str, Medal> =
        result.entries.iter().filter_map(|r| r.medal.map(|m| (r.entry.as_str(), m))).collect();
    if holders.is_empty() {
        return Err("nobody holds a medal in this skill: there is nothing to reveal".into());
    }
    let mut seen: BTreeMap<&str, Medal> = BTreeMap::new();
    for step in steps {
        if step.entries.is_empty() {
            return Err("a step reveals at least one entry".into());
        }
        for entry in &step.entries {
            match holders.get(entry.as_str()) {
                Some(m) if *m == step.medal => {}
                Some(m) => return Err(format!("'{entry}' holds {}, not {}", medal_name(*m), medal_name(step.medal))),
                None => return Err(format!("'{entry}' holds no medal")),
            }
            if seen.insert(entry, step.medal).is_some() {
                return Err(format!("'{entry}' is revealed twice"));
            }
        }
    }
    if let Some(missing) = holders.keys().find(|e| !seen.contains_key(*e)) {
        return Err(format!("'{missing}' holds a medal but is never revealed"));
    }
    Ok(())
}

pub fn medal_name(m: Medal) -> &'static str {
    match m {
        Medal::Gold => "gold",
        Medal::Silver => "silver",
        Medal::Bronze => "bronze",
        Medal::Excellence => "excellence",
    }
}

/// A revealed medal holder as screens show them.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Winner {
    pub entry: String,
    pub delegation: String,
    pub delegation_name: String,
    /// The delegation's name in other languages, by language code.
    pub delegation_names: BTreeMap<String, String>,
    pub members: Vec<String>,
}

/// A step with its holders.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StepView {
    pub skill: String,
    pub skill_name: String,
    #[schema(value_type = String)]
    pub medal: Medal,
    pub winners: Vec<Winner>,
}

/// A skill on the hall screens: the steps revealed so far.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HallSkill {
    pub skill: String,
    pub name: String,
    /// Its last step is revealed (outside a rehearsal, the skill is published).
    pub complete: bool,
    pub steps: Vec<StepView>,
}

/// What the hall screens show: only what is revealed. No step count, no rank, nothing of a
/// step to come (a count of steps would tell, say, that a skill has no silver).
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HallView {
    pub competition: String,
    pub name: String,
    /// A plan exists.
    pub planned: bool,
    pub rehearsal: bool,
    pub position: usize,
    /// Every step is revealed.
    pub finished: bool,
    /// The step revealed last.
    pub current: Option<StepView>,
    /// Skills with at least one revealed step, in plan order.
    pub skills: Vec<HallSkill>,
}

/// The generated holder of a rehearsal entry: made-up names, delegations of the competition
/// picked in turn (so flags show as on the night).
fn rehearsal_winner(c: &Competition, entry: &str) -> Winner {
    let n: usize = entry.rsplit('-').next().and_then(|n| n.parse().ok()).unwrap_or(0);
    let seed = entry.bytes().map(usize::from).sum::<usize>();
    let delegation = (!c.delegations.is_empty()).then(|| &c.delegations.as_slice()[(seed + n) % c.delegations.len()]);
    Winner {
        entry: entry.to_owned(),
        delegation: delegation.map(|d| d.code.clone()).unwrap_or_else(|| "XXX".into()),
        delegation_name: delegation.map(|d| d.name.clone()).unwrap_or_default(),
        delegation_names: delegation.map(|d| d.names.clone()).unwrap_or_default(),
        members: vec![REHEARSAL_NAMES[(seed + 3 * n) % REHEARSAL_NAMES.len()].to_owned()],
    }
}

fn winner(c: &Competition, entry: &str) -> Winner {
    if entry.starts_with(REHEARSAL_PREFIX) {
        return rehearsal_winner(c, entry);
    }
    let e = c.entry(entry).map(|e| &c.entries[e]);
    let d = e.map(|e| &c.delegations[e.delegation]);
    Winner {
        entry: entry.to_owned(),
        delegation: d.map(|d| d.code.clone()).unwrap_or_default(),
        delegation_name: d.map(|d| d.name.clone()).unwrap_or_default(),
        delegation_names: d.map(|d| d.names.clone()).unwrap_or_default(),
        members: e.map(|e| e.members.clone()).unwrap_or_default(),
    }
}

fn skill_name(c: &Competition, code: &str) -> String {
    c.skill(code).map(|s| c.skills[s].spec.name.clone()).unwrap_or_else(|| code.to_owned())
}

/// A step with its holders' names.
pub fn step_view(c: &Competition, skill: &str, step: &Step) -> StepView {
    StepView {
        skill: skill.to_owned(),
        skill_name: skill_name(c, skill),
        medal: step.medal,
        winners: step.entries.iter().map(|e| winner(c, e)).collect(),
    }
}

/// The hall's view: built from the revealed steps only.
pub fn hall(c: &Competition) -> HallView {
    let mut view = HallView {
        competition: c.code.clone(),
        name: c.name.clone(),
        planned: c.ceremony.is_some(),
        rehearsal: false,
        position: 0,
        finished: false,
        current: None,
        skills: Vec::new(),
    };
    let Some(ceremony) = c.ceremony.as_deref() else { return view };
    view.rehearsal = ceremony.rehearsal;
    view.position = ceremony.position;
    let cursors = ceremony.cursors();
    view.finished = !cursors.is_empty() && ceremony.position >= cursors.len();
    for cursor in cursors.iter().take(ceremony.position) {
        let code = &ceremony.skills[cursor.skill].skill;
        let step = step_view(c, code, &ceremony.steps_of(cursor.skill)[cursor.step]);
        if view.skills.last().is_none_or(|s| s.skill != *code) {
            view.skills.push(HallSkill {
                skill: code.clone(),
                name: skill_name(c, code),
                complete: false,
                steps: vec![],
            });
        }
        if let Some(skill) = view.skills.last_mut() {
            skill.complete = cursor.last;
            skill.steps.push(step.clone());
        }
        view.current = Some(step);
    }
    view
}

/// One step as the presenter sees it.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlannedStep {
    pub position: usize,
    pub revealed: bool,
    /// Revealing it publishes the skill (outside a rehearsal).
    pub last_of_skill: bool,
    #[serde(flatten)]
    pub step: StepView,
}

/// The presenter's view (organizers): the whole plan with cues, and the hall's view.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PresenterView {
    pub position: usize,
    pub total: usize,
    pub rehearsal: bool,
    /// The plan as stored (real steps, also during a rehearsal).
    pub plan: Vec<PlanSkill>,
    /// Every step as it runs now (generated ones in a rehearsal).
    pub steps: Vec<PlannedStep>,
    /// The step the next "next" reveals: the presenter's cue.
    pub next: Option<PlannedStep>,
    pub hall: HallView,
}

pub fn presenter(c: &Competition) -> Option<PresenterView> {
    let ceremony = c.ceremony.as_deref()?;
    let steps: Vec<PlannedStep> = ceremony
        .cursors()
        .iter()
        .enumerate()
        .map(|(i, cursor)| {
            let code = &ceremony.skills[cursor.skill].skill;
            PlannedStep {
                position: i + 1,
                revealed: i < ceremony.position,
                last_of_skill: cursor.last,
                step: step_view(c, code, &ceremony.steps_of(cursor.skill)[cursor.step]),
            }
        })
        .collect();
    Some(PresenterView {
        position: ceremony.position,
        total: steps.len(),
        rehearsal: ceremony.rehearsal,
        plan: ceremony.skills.clone(),
        next: steps.get(ceremony.position).cloned(),
        steps,
        hall: hall(c),
    })
}

/// Whether a real step still fits the results: its skill locked (or published by this very
/// step), every entry still holding the medal.
pub fn step_holds(c: &Competition, s: SkillIx, step: &Step) -> bool {
    let result = &c.skills[s].result;
    step.entries.iter().all(|e| result.entries.iter().any(|r| r.entry == *e && r.medal == Some(step.medal)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn plan() -> Ceremony {
        let step = |medal, entries: &[&str]| Step { medal, entries: entries.iter().map(|e| e.to_string()).collect() };
        Ceremony::new(vec![
            PlanSkill {
                skill: "A".into(),
                steps: vec![step(Medal::Excellence, &["A-1", "A-2"]), step(Medal::Gold, &["A-3", "A-4"])],
            },
            PlanSkill { skill: "B".into(), steps: vec![step(Medal::Bronze, &["B-1"]), step(Medal::Gold, &["B-2"])] },
        ])
    }

    fn result(rows: &[(&str, &str, Option<Medal>)]) -> SkillResult {
        use crate::domain::kinds::EntryStatus;
        use rust_decimal::Decimal;
        let entries = rows
            .iter()
            .map(|(entry, delegation, medal)| crate::scoring::EntryResult {
                entry: (*entry).into(),
                delegation: (*delegation).into(),
                status: EntryStatus::Active,
                raw: Decimal::ZERO,
                scaled: None,
                score: Decimal::ZERO,
                rank: Some(1),
                medal: *medal,
                criteria: vec![],
                aspects: vec![],
                marked: 0,
                expected: 0,
                provisional: false,
                gaps_accepted: false,
            })
            .collect();
        SkillResult {
            skill: "S".into(),
            entries,
            marked: 0,
            expected: 0,
            discrepancies: vec![],
            median: None,
            mad: None,
        }
    }

    #[test]
    fn default_steps_reveal_medallions_first_gold_last_and_shared_medals_together() {
        let r = result(&[
            ("S-B", "BBB", Some(Medal::Gold)),
            ("S-A", "AAA", Some(Medal::Gold)),
            ("S-C", "CCC", Some(Medal::Bronze)),
            ("S-E", "EEE", Some(Medal::Excellence)),
            ("S-D", "DDD", Some(Medal::Excellence)),
            ("S-F", "FFF", None),
        ]);
        let steps = default_steps(&r);
        let shape: Vec<(Medal, Vec<&str>)> =
            steps.iter().map(|s| (s.medal, s.entries.iter().map(String::as_str).collect())).collect();
        assert_eq!(
            shape,
            vec![
                (Medal::Excellence, vec!["S-D", "S-E"]),
                (Medal::Bronze, vec!["S-C"]),
                (Medal::Gold, vec!["S-A", "S-B"]),
            ]
        );
        assert_eq!(check_steps(&r, &steps), Ok(()));
    }

    #[test]
    fn steps_must_reveal_every_holder_once_with_their_medal() {
        let r = result(&[("S-A", "AAA", Some(Medal::Gold)), ("S-B", "BBB", Some(Medal::Silver))]);
        let step = |medal, entries: &[&str]| Step { medal, entries: entries.iter().map(|e| e.to_string()).collect() };
        assert!(check_steps(&r, &[step(Medal::Gold, &["S-A"])]).unwrap_err().contains("never revealed"));
        assert!(check_steps(&r, &[step(Medal::Gold, &["S-A", "S-B"])]).unwrap_err().contains("holds silver"));
        let twice = [step(Medal::Silver, &["S-B"]), step(Medal::Gold, &["S-A"]), step(Medal::Gold, &["S-A"])];
        assert!(check_steps(&r, &twice).unwrap_err().contains("twice"));
        assert!(check_steps(&result(&[("S-A", "AAA", None)]), &[]).is_err(), "nothing to reveal");
        // Splitting a shared medal or reordering steps by hand is allowed.
        let split = [step(Medal::Gold, &["S-A"]), step(Medal::Silver, &["S-B"])];
        assert_eq!(check_steps(&r, &split), Ok(()));
    }

    #[test]
    fn cursors_run_through_every_skill_and_mark_each_last_step() {
        let c = plan();
        let cursors = c.cursors();
        assert_eq!(cursors.len(), 4);
        assert_eq!(cursors.iter().filter(|c| c.last).count(), 2);
        assert_eq!(c.cursor(2), Some(Cursor { skill: 0, step: 1, last: true }));
        assert_eq!(c.cursor(0), None);
        assert_eq!(c.step_at(3).map(|(s, step, _)| (s, step.medal)), Some(("B".into(), Medal::Bronze)));
    }

    #[test]
    fn a_rehearsal_has_its_own_shape_and_made_up_entries() {
        let mut c = plan();
        c.rehearsal = true;
        assert_eq!(c.total(), 8);
        let steps = c.steps_of(1);
        assert_eq!(steps.iter().map(|s| s.medal).collect::<Vec<_>>(), REVEAL_ORDER.to_vec());
        assert!(steps.iter().flat_map(|s| &s.entries).all(|e| e.starts_with(REHEARSAL_PREFIX)));
    }
}
