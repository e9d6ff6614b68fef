//! The in-memory competition: structure, every mark, and the computed results of each skill.
//! A value is never changed once shared: a decision builds the next value (sharing what did
//! not change through `Arc`s), so readers never wait for the writer.
use super::ix::{AspectIx, DelegationIx, EntryIx, IxVec, JudgeIx, SkillIx};
use super::sorted::SortedVecMap;
use crate::domain::kinds::{AspectKind, EntryStatus, JudgeRole, MedalOrder, SkillState};
use crate::domain::spec::{AspectSpec, SkillSpec};
use crate::domain::{Centi, Text};
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
    pub reason: Option<Text>,
    pub supersedes: Option<Uuid>,
    pub entered_by: Text,
    pub created_at: DateTime<Utc>,
    pub void: Option<Text>,
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

/// A persistent map: cloning a skill to change it shares every node it does not change. A
/// B-tree (dense nodes of 64 keys) rather than a hash trie, whose sparse nodes cost several
/// times the entries they hold.
pub type SharedMap<K, V> = imbl::OrdMap<K, V>;

/// One entry's marks and what they decide of the skill's results, kept so that a write
/// recomputes (and copies) only the entries it touched.
#[derive(Debug, Clone)]
pub struct EntryMarks {
    pub(super) index: Arc<EntryIndex>,
    pub(super) part: Arc<scoring::EntryPart>,
    /// Changed since `part` was computed.
    pub(super) dirty: bool,
}

/// Positions in the skill's `marks` of one entry's marks.
#[derive(Debug, Clone, Default)]
pub struct EntryIndex {
    /// All of them, in storage order.
    pub(super) positions: Vec<u32>,
    /// Each cell's current (latest non-voided) mark, by (aspect, judge of a judgement):
    /// what a new mark on the cell supersedes.
    pub(super) current: CellIndex,
}

/// Positions by cell of one entry: an entry has a few dozen cells, and a sorted vector takes
/// 16 bytes a cell (a hash map's buckets took more than twice that).
pub type CellIndex = SortedVecMap<(AspectIx, Option<JudgeIx>), u32>;

#[derive(Debug, Clone)]
pub struct Skill {
    pub id: Uuid,
    pub position: i32,
    // The scheme and settings are shared (`Arc`): a write clones the skill, never these.
    pub spec: Arc<SkillSpec>,
    pub state: SkillState,
    /// Bumped by every write on the skill; another instance's write shows as a newer version.
    pub version: i64,
    pub criterion_ids: Vec<Uuid>,
    /// The scheme's aspects, flat and in scheme order (the spec groups them by criterion).
    pub aspects: Arc<IxVec<AspectIx, AspectSpec>>,
    pub aspect_ids: IxVec<AspectIx, Uuid>,
    /// Aspect codes in scheme order, shared with the scoring engine's marks.
    pub aspect_keys: Arc<IxVec<AspectIx, Arc<str>>>,
    pub aspect_by_code: Arc<HashMap<String, AspectIx>>,
    /// The skill's entries, in index order.
    pub entries: Vec<EntryIx>,
    /// Beside `entries`: each one's marks and its cached part of the results.
    pub(super) by_entry: Vec<EntryMarks>,
    /// Every mark in storage order; persistent, so a write copies only what it changes.
    pub(super) marks: imbl::Vector<StoredMark>,
    /// Position in `marks` of each mark id.
    pub(super) mark_pos: SharedMap<Uuid, u32>,
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
    pub fn marks(&self) -> &imbl::Vector<StoredMark> {
        &self.marks
    }

    /// Where an entry of this skill sits in `entries` (and `by_entry`).
    pub(super) fn local(&self, entry: EntryIx) -> Option<usize> {
        self.entries.binary_search(&entry).ok()
    }

    /// An entry's marks in storage order.
    pub fn marks_of_entry(&self, entry: EntryIx) -> impl Iterator<Item = &StoredMark> {
        let positions = self.local(entry).map(|l| &self.by_entry[l].index.positions[..]).unwrap_or_default();
        positions.iter().map(|&p| &self.marks[p as usize])
    }

    /// The entry's part of the results needs computing again.
    pub(super) fn touch(&mut self, entry: EntryIx) {
        if let Some(l) = self.local(entry) {
            self.by_entry[l].dirty = true;
        }
    }

    /// Records an override (the entry's part of the results is recomputed).
    pub(super) fn push_override(&mut self, o: StoredOverride) {
        self.touch(o.entry);
        self.overrides.push(o);
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
        let (_, aspect, judge) = self.cell(entry, aspect, judge);
        let l = self.local(entry)?;
        self.by_entry[l].index.current.get(&(aspect, judge)).map(|&p| &self.marks[p as usize])
    }

    /// Every cell's current mark (a measurement's latest, each judge's latest score).
    pub fn current_marks(&self) -> impl Iterator<Item = &StoredMark> {
        self.by_entry.iter().flat_map(|b| b.index.current.values()).map(|&p| &self.marks[p as usize])
    }

    pub fn max_seq(&self) -> i64 {
        self.marks.iter().map(|m| m.seq).max().unwrap_or(0)
    }

    pub fn has_marks_of_entry(&self, entry: EntryIx) -> bool {
        self.local(entry).is_some_and(|l| !self.by_entry[l].index.positions.is_empty())
    }

    pub fn has_marks_of_judge(&self, judge: JudgeIx) -> bool {
        self.marks.iter().any(|m| m.judge == judge)
    }

    /// Appends a decided mark and makes it its cell's current one.
    pub(super) fn push_mark(&mut self, mark: StoredMark) {
        let position = u32::try_from(self.marks.len()).unwrap_or(u32::MAX);
        let (_, aspect, judge) = self.cell(mark.entry, mark.aspect, mark.judge);
        self.mark_pos.insert(mark.id, position);
        if let Some(l) = self.local(mark.entry) {
            let entry = &mut self.by_entry[l];
            let index = Arc::make_mut(&mut entry.index);
            index.positions.push(position);
            if mark.void.is_none() {
                index.current.insert((aspect, judge), position);
            }
            entry.dirty = true;
        }
        self.marks.push_back(mark);
    }

    /// Voids a mark: its cell's current mark becomes the latest one still standing.
    pub(super) fn void_mark(&mut self, id: Uuid, reason: Text) {
        let Some(&position) = self.mark_pos.get(&id) else { return };
        let Some(mark) = self.marks.get_mut(position as usize) else { return };
        mark.void = Some(reason);
        let (entry, aspect, judge) = (mark.entry, mark.aspect, mark.judge);
        let cell = self.cell(entry, aspect, judge);
        let Some(l) = self.local(entry) else { return };
        let standing = self.by_entry[l].index.positions.iter().rev().copied().find(|&p| {
            let m = &self.marks[p as usize];
            m.void.is_none() && self.cell(m.entry, m.aspect, m.judge) == cell
        });
        let entry = &mut self.by_entry[l];
        entry.dirty = true;
        let current = &mut Arc::make_mut(&mut entry.index).current;
        match standing {
            Some(p) => current.insert((cell.1, cell.2), p),
            None => current.remove(&(cell.1, cell.2)),
        };
    }

    /// Gives marks decided but not yet stored the seq the store assigned them.
    pub(super) fn settle_seqs(&mut self, seqs: &FxHashMap<Uuid, i64>) {
        for p in (0..self.marks.len()).rev() {
            if self.marks[p].seq > 0 {
                break;
            }
            if let Some(seq) = seqs.get(&self.marks[p].id)
                && let Some(mark) = self.marks.get_mut(p)
            {
                mark.seq = *seq;
            }
        }
    }

    /// Indexes `marks` (in storage order) by id, cell and entry; every entry's part is dirty.
    pub(super) fn index_marks(&mut self) {
        let mut mark_pos = SharedMap::default();
        let mut indexes: Vec<EntryIndex> = vec![EntryIndex::default(); self.entries.len()];
        for (p, mark) in self.marks.iter().enumerate() {
            let position = u32::try_from(p).unwrap_or(u32::MAX);
            mark_pos.insert(mark.id, position);
            if let Some(l) = self.local(mark.entry) {
                let index = &mut indexes[l];
                index.positions.push(position);
                if mark.void.is_none() {
                    let (_, aspect, judge) = self.cell(mark.entry, mark.aspect, mark.judge);
                    index.current.insert((aspect, judge), position);
                }
            }
        }
        self.mark_pos = mark_pos;
        let empty = Arc::new(scoring::EntryPart { result: scoring::EntryResult::empty(), discrepancies: Vec::new() });
        self.by_entry = indexes
            .into_iter()
            .map(|mut index| {
                index.positions.shrink_to_fit();
                index.current.shrink_to_fit();
                EntryMarks { index: Arc::new(index), part: empty.clone(), dirty: true }
            })
            .collect();
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
    pub names: BTreeMap<String, String>,
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

    fn scoring_entry(&self, e: EntryIx) -> scoring::Entry {
        let entry = &self.entries[e];
        scoring::Entry {
            code: entry.code.clone(),
            delegation: self.delegations[entry.delegation].code.clone(),
            status: entry.status,
        }
    }

    fn scoring_mark(&self, skill: &Skill, m: &StoredMark) -> scoring::Mark {
        scoring::Mark {
            entry: self.entries[m.entry].key.clone(),
            aspect: skill.aspect_keys[m.aspect].clone(),
            judge: self.judges[m.judge].key.clone(),
            value: m.value.to_decimal(),
            voided: m.void.is_some(),
        }
    }

    /// Computes a skill's results from all its marks with the pure scoring engine (the
    /// reference that the incremental [`Competition::rescore`] always equals).
    pub fn score(&self, skill: &Skill) -> scoring::SkillResult {
        let entries: Vec<scoring::Entry> = skill.entries.iter().map(|&e| self.scoring_entry(e)).collect();
        let marks: Vec<scoring::Mark> = skill.marks.iter().map(|m| self.scoring_mark(skill, m)).collect();
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

    /// One entry's part of its skill's results, from that entry's marks and overrides only.
    fn entry_part(&self, skill: &Skill, local: usize) -> scoring::EntryPart {
        let e = skill.entries[local];
        let positions = &skill.by_entry[local].index.positions;
        let marks: Vec<scoring::Mark> =
            positions.iter().map(|&p| self.scoring_mark(skill, &skill.marks[p as usize])).collect();
        // An override covers the skill's first `covers` marks: of this entry's, those before.
        let overrides: Vec<scoring::Override> = skill
            .overrides
            .iter()
            .filter(|o| o.entry == e)
            .map(|o| scoring::Override {
                entry: self.entries[e].code.clone(),
                aspect: skill.aspect_code(o.aspect).to_owned(),
                position: positions.partition_point(|&p| (p as usize) < o.covers),
            })
            .collect();
        scoring::entry_part(&skill.spec, &self.scoring_entry(e), &marks, &overrides)
    }

    /// Recomputes the results of the given skills: the parts of the entries changed since the
    /// last time, then the scale, ranks and medals over all the skill's entries.
    pub fn rescore(&mut self, skills: &[SkillIx]) {
        for &s in skills {
            let skill = &self.skills[s];
            let fresh: Vec<(usize, Arc<scoring::EntryPart>)> = (0..skill.entries.len())
                .filter(|&l| skill.by_entry[l].dirty)
                .map(|l| (l, Arc::new(self.entry_part(skill, l))))
                .collect();
            let skill = Arc::make_mut(&mut self.skills[s]);
            for (l, part) in fresh {
                skill.by_entry[l].part = part;
                skill.by_entry[l].dirty = false;
            }
            let parts: Vec<&scoring::EntryPart> = skill.by_entry.iter().map(|b| &*b.part).collect();
            let mut result = scoring::assemble(&skill.spec, &parts);
            signed_off(skill.state, &mut result);
            skill.result = Arc::new(result);
        }
    }

    /// Gives marks decided but not yet stored the seq the store assigned them.
    pub fn settle_seqs(&mut self, skills: &[SkillIx], seqs: &FxHashMap<Uuid, i64>) {
        for &s in skills {
            Arc::make_mut(&mut self.skills[s]).settle_seqs(seqs);
        }
    }
}
