//! The in-memory competition: structure, every mark, and the computed results of each skill.
//! A value is never changed once shared: a decision builds the next value (sharing what did
//! not change through `Arc`s), so readers never wait for the writer.
use super::ix::{AspectIx, DelegationIx, EntryIx, IxVec, JudgeIx, SkillIx};
use crate::domain::Centi;
use crate::domain::kinds::{AspectKind, EntryStatus, JudgeRole, MedalOrder, SkillState};
use crate::domain::spec::{AspectSpec, SkillSpec};
use crate::scoring;
use chrono::{DateTime, NaiveDate, Utc};
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct Delegation {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub names: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: Uuid,
    pub code: String,
    /// The code again, shared with the scoring engine's marks without allocating.
    pub key: Arc<str>,
    pub skill: SkillIx,
    pub delegation: DelegationIx,
    pub members: Vec<String>,
    pub status: EntryStatus,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Judge {
    pub id: Uuid,
    pub code: String,
    pub key: Arc<str>,
    pub name: String,
    pub delegation: DelegationIx,
    pub role: JudgeRole,
    pub skills: Vec<SkillIx>,
    /// SHA-256 (hex) of the judge's unused one-time code; never shown.
    pub login_code_hash: Option<String>,
}

/// A stored mark, as scoring, the policy and the views need it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMark {
    /// Storage order; 0 while the mark is decided but not yet stored.
    pub seq: i64,
    pub id: Uuid,
    pub entry: EntryIx,
    pub aspect: AspectIx,
    pub judge: JudgeIx,
    pub value: Centi,
    pub reason: Option<Arc<str>>,
    pub supersedes: Option<Uuid>,
    pub entered_by: Arc<str>,
    pub created_at: DateTime<Utc>,
    pub void: Option<Arc<str>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredOverride {
    pub id: Uuid,
    pub entry: EntryIx,
    pub aspect: AspectIx,
    pub judge: Option<JudgeIx>,
    /// How many of the skill's marks (in storage order) it covers: any later score lapses it.
    pub covers: usize,
    pub covers_seq: i64,
    pub reason: String,
    pub actor: String,
    pub created_at: DateTime<Utc>,
}

/// What a new mark on a cell supersedes: measurements have one current mark per (entry,
/// aspect), whoever entered it; judgements one per judge.
pub type Cell = (EntryIx, AspectIx, Option<JudgeIx>);

#[derive(Debug, Clone)]
pub struct Skill {
    pub id: Uuid,
    pub position: i32,
    pub spec: SkillSpec,
    pub state: SkillState,
    /// Bumped by every write on the skill; another instance's write shows as a newer version.
    pub version: i64,
    pub criterion_ids: Vec<Uuid>,
    /// The scheme's aspects, flat and in scheme order (the spec groups them by criterion).
    pub aspects: IxVec<AspectIx, AspectSpec>,
    pub aspect_ids: IxVec<AspectIx, Uuid>,
    /// Aspect codes in scheme order, shared with the scoring engine's marks.
    pub aspect_keys: IxVec<AspectIx, Arc<str>>,
    pub aspect_by_code: HashMap<String, AspectIx>,
    pub entries: Vec<EntryIx>,
    pub(super) marks: Vec<StoredMark>,
    /// Position in `marks` of each mark id.
    pub(super) mark_pos: FxHashMap<Uuid, u32>,
    /// Position in `marks` of each cell's current (latest non-voided) mark.
    pub(super) current: FxHashMap<Cell, u32>,
    pub overrides: Vec<StoredOverride>,
    /// Gaps accepted when the skill was locked with marks missing.
    pub accepted_gaps: Option<Arc<super::completeness::AcceptedGaps>>,
    pub result: Arc<scoring::SkillResult>,
}

impl Skill {
    pub fn code(&self) -> &str {
        self.spec.code.as_str()
    }

    pub fn aspect(&self, ix: AspectIx) -> &AspectSpec {
        &self.aspects[ix]
    }

    pub fn aspect_ix(&self, code: &str) -> Option<AspectIx> {
        self.aspect_by_code.get(code).copied()
    }

    pub fn aspect_code(&self, ix: AspectIx) -> &str {
        &self.aspect_keys[ix]
    }

    /// Every stored mark, superseded and voided ones too, in storage order.
    pub fn marks(&self) -> &[StoredMark] {
        &self.marks
    }

    pub fn mark(&self, id: Uuid) -> Option<&StoredMark> {
        self.mark_pos.get(&id).map(|&p| &self.marks[p as usize])
    }

    /// The cell a mark by `judge` on (entry, aspect) belongs to.
    pub fn cell(&self, entry: EntryIx, aspect: AspectIx, judge: JudgeIx) -> Cell {
        match self.aspect(aspect).kind {
            AspectKind::Measurement => (entry, aspect, None),
            AspectKind::Judgement => (entry, aspect, Some(judge)),
        }
    }

    /// The latest non-voided mark that a new mark by `judge` on (entry, aspect) supersedes.
    pub fn current_mark(&self, entry: EntryIx, aspect: AspectIx, judge: JudgeIx) -> Option<&StoredMark> {
        self.current.get(&self.cell(entry, aspect, judge)).map(|&p| &self.marks[p as usize])
    }

    /// Every cell's current mark (a measurement's latest, each judge's latest score).
    pub fn current_marks(&self) -> impl Iterator<Item = &StoredMark> {
        self.current.values().map(|&p| &self.marks[p as usize])
    }

    pub fn max_seq(&self) -> i64 {
        self.marks.iter().map(|m| m.seq).max().unwrap_or(0)
    }

    pub fn has_marks_of_entry(&self, entry: EntryIx) -> bool {
        self.marks.iter().any(|m| m.entry == entry)
    }

    pub fn has_marks_of_judge(&self, judge: JudgeIx) -> bool {
        self.marks.iter().any(|m| m.judge == judge)
    }

    /// Appends a decided mark and makes it its cell's current one.
    pub(super) fn push_mark(&mut self, mark: StoredMark) {
        let position = u32::try_from(self.marks.len()).unwrap_or(u32::MAX);
        let cell = self.cell(mark.entry, mark.aspect, mark.judge);
        self.mark_pos.insert(mark.id, position);
        if mark.void.is_none() {
            self.current.insert(cell, position);
        }
        self.marks.push(mark);
    }

    /// Voids a mark: its cell's current mark becomes the latest one still standing.
    pub(super) fn void_mark(&mut self, id: Uuid, reason: Arc<str>) {
        let Some(&position) = self.mark_pos.get(&id) else { return };
        let mark = &mut self.marks[position as usize];
        mark.void = Some(reason);
        let cell = (mark.entry, mark.aspect, mark.judge);
        let cell = self.cell(cell.0, cell.1, cell.2);
        match self.marks.iter().rposition(|m| m.void.is_none() && self.cell(m.entry, m.aspect, m.judge) == cell) {
            Some(p) => self.current.insert(cell, u32::try_from(p).unwrap_or(u32::MAX)),
            None => self.current.remove(&cell),
        };
    }

    /// Gives marks decided but not yet stored the seq the store assigned them.
    pub(super) fn settle_seqs(&mut self, seqs: &FxHashMap<Uuid, i64>) {
        for mark in self.marks.iter_mut().rev() {
            if mark.seq > 0 {
                break;
            }
            if let Some(seq) = seqs.get(&mark.id) {
                mark.seq = *seq;
            }
        }
    }

    pub(super) fn index_marks(&mut self) {
        self.mark_pos.clear();
        self.current.clear();
        for (p, mark) in self.marks.iter().enumerate() {
            let position = u32::try_from(p).unwrap_or(u32::MAX);
            self.mark_pos.insert(mark.id, position);
            if mark.void.is_none() {
                let cell = self.cell(mark.entry, mark.aspect, mark.judge);
                self.current.insert(cell, position);
            }
        }
    }
}

/// Once a skill is signed off (locked or published) no row is provisional: a row that was
/// incomplete had its gaps accepted, and says so.
pub fn signed_off(state: SkillState, result: &mut scoring::SkillResult) {
    if state.accepts_marks() {
        return;
    }
    for row in result.entries.iter_mut().filter(|r| r.provisional) {
        row.provisional = false;
        row.gaps_accepted = true;
    }
}

/// Lookups by code and by id (both address things in URLs and packages).
#[derive(Debug, Default)]
pub struct Index {
    pub delegations: HashMap<String, DelegationIx>,
    pub skills: HashMap<String, SkillIx>,
    pub entries: HashMap<String, EntryIx>,
    pub judges: HashMap<String, JudgeIx>,
}

#[derive(Debug, Clone)]
pub struct Competition {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub timezone: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub default_language: String,
    pub medal_order: MedalOrder,
    pub created_at: DateTime<Utc>,
    // Shared, so that replacing one skill after a write copies no registration data.
    pub delegations: Arc<IxVec<DelegationIx, Delegation>>,
    pub skills: IxVec<SkillIx, Arc<Skill>>,
    pub entries: Arc<IxVec<EntryIx, Entry>>,
    pub judges: Arc<IxVec<JudgeIx, Judge>>,
    pub(super) index: Arc<Index>,
    /// The closing ceremony, once planned.
    pub ceremony: Option<Arc<super::ceremony::Ceremony>>,
}

impl Competition {
    pub fn delegation(&self, key: &str) -> Option<DelegationIx> {
        self.index.delegations.get(key).copied()
    }

    pub fn skill(&self, key: &str) -> Option<SkillIx> {
        self.index.skills.get(key).copied()
    }

    pub fn entry(&self, key: &str) -> Option<EntryIx> {
        self.index.entries.get(key).copied()
    }

    pub fn judge(&self, key: &str) -> Option<JudgeIx> {
        self.index.judges.get(key).copied()
    }

    pub fn judge_by_id(&self, id: Uuid) -> Option<JudgeIx> {
        self.index.judges.get(&id.to_string()).copied()
    }

    pub fn skill_of(&self, entry: EntryIx) -> &Skill {
        &self.skills[self.entries[entry].skill]
    }

    /// The skill holding a mark, and the mark.
    pub fn find_mark(&self, id: Uuid) -> Option<(SkillIx, &StoredMark)> {
        self.skills.enumerate().find_map(|(s, skill)| skill.mark(id).map(|m| (s, m)))
    }

    /// Every delegation's code, in code order (the medal table lists them with `?all=true`).
    pub fn delegation_codes(&self) -> Vec<String> {
        self.delegations.iter().map(|d| d.code.clone()).collect()
    }

    /// Awards of the published skills, for the medal table.
    pub fn awards(&self) -> Vec<scoring::Award> {
        self.skills
            .iter()
            .filter(|s| s.state == SkillState::Published)
            .flat_map(|s| {
                s.result
                    .entries
                    .iter()
                    .filter_map(|r| r.medal.map(|medal| scoring::Award { delegation: r.delegation.clone(), medal }))
            })
            .collect()
    }

    /// The entries a judge may mark: of their skills, not of their delegation.
    pub fn entries_of_judge(&self, judge: JudgeIx) -> impl Iterator<Item = EntryIx> + '_ {
        let j = &self.judges[judge];
        self.entries
            .enumerate()
            .filter(|(_, e)| j.skills.contains(&e.skill) && e.delegation != j.delegation)
            .map(|(i, _)| i)
    }

    /// Computes a skill's results with the pure scoring engine.
    pub fn score(&self, skill: &Skill) -> scoring::SkillResult {
        let entries: Vec<scoring::Entry> = skill
            .entries
            .iter()
            .map(|&e| {
                let entry = &self.entries[e];
                scoring::Entry {
                    code: entry.code.clone(),
                    delegation: self.delegations[entry.delegation].code.clone(),
                    status: entry.status,
                }
            })
            .collect();
        let marks: Vec<scoring::Mark> = skill
            .marks
            .iter()
            .map(|m| scoring::Mark {
                entry: self.entries[m.entry].key.clone(),
                aspect: skill.aspect_keys[m.aspect].clone(),
                judge: self.judges[m.judge].key.clone(),
                value: m.value.to_decimal(),
                voided: m.void.is_some(),
            })
            .collect();
        let overrides: Vec<scoring::Override> = skill
            .overrides
            .iter()
            .map(|o| scoring::Override {
                entry: self.entries[o.entry].code.clone(),
                aspect: skill.aspect_code(o.aspect).to_owned(),
                position: o.covers,
            })
            .collect();
        let mut result = scoring::compute_skill(&skill.spec, &entries, &marks, &overrides);
        signed_off(skill.state, &mut result);
        result
    }

    /// Recomputes the results of the given skills.
    pub fn rescore(&mut self, skills: &[SkillIx]) {
        for &s in skills {
            let result = Arc::new(self.score(&self.skills[s]));
            Arc::make_mut(&mut self.skills[s]).result = result;
        }
    }

    /// Gives marks decided but not yet stored the seq the store assigned them.
    pub fn settle_seqs(&mut self, skills: &[SkillIx], seqs: &FxHashMap<Uuid, i64>) {
        for &s in skills {
            Arc::make_mut(&mut self.skills[s]).settle_seqs(seqs);
        }
    }
}
