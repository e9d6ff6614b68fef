//! Building the model from records (at start-up, after another instance's write, after a
//! registration change) and turning it back into records.
use super::competition::{Competition, Delegation, Entry, Index, Judge, SharedMap, Skill, StoredMark, StoredOverride};
use super::ix::{AspectIx, DelegationIx, EntryIx, IxVec, JudgeIx, SkillIx};
use super::record::{
    CompetitionRecord, DelegationRecord, EntryRecord, JudgeRecord, MarkRecord, OverrideRecord, Records, SkillRecord,
    VoidRecord,
};
use crate::domain::Text;
use crate::scoring::SkillResult;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

fn keyed<I: Copy>(items: impl Iterator<Item = (String, Uuid)>, ix: impl Fn(usize) -> I) -> HashMap<String, I> {
    let mut map = HashMap::new();
    for (i, (code, id)) in items.enumerate() {
        map.insert(code, ix(i));
        map.insert(id.to_string(), ix(i));
    }
    map
}

impl Competition {
    /// Builds the model and computes every skill's results.
    pub fn build(records: Records) -> Competition {
        Competition::rebuild(records, None, &[])
    }

    /// Builds the model; skills of `previous` whose id is not in `dirty` keep their results
    /// (a registration change recomputes only the skills it touched).
    pub fn rebuild(mut records: Records, previous: Option<&Competition>, dirty: &[Uuid]) -> Competition {
        let marks = std::mem::take(&mut records.marks);
        let mut builder = Builder::new(records);
        for m in marks {
            builder.add_mark(m);
        }
        builder.finish(previous, dirty)
    }
}

/// Builds a model from records whose marks come one at a time (streamed from the store, so
/// that they are never all held as rows or records at once). Strings that repeat from mark to
/// mark (who entered it, reasons) are stored once.
pub struct Builder {
    competition: CompetitionRecord,
    delegations: IxVec<DelegationIx, Delegation>,
    entries: IxVec<EntryIx, Entry>,
    judges: IxVec<JudgeIx, Judge>,
    skills: IxVec<SkillIx, Skill>,
    skill_by_id: HashMap<Uuid, SkillIx>,
    entry_by_id: HashMap<Uuid, EntryIx>,
    judge_by_id: HashMap<Uuid, JudgeIx>,
    aspect_pos: Vec<HashMap<Uuid, AspectIx>>,
    voided: FxHashMap<Uuid, Text>,
    overrides: Vec<OverrideRecord>,
    /// Each skill's marks, appended straight into the model's chunked vector (no doubling
    /// buffer to copy and free: the store streams them in storage order already).
    marks: Vec<imbl::Vector<StoredMark>>,
    strings: FxHashSet<Text>,
    ceremony: Option<super::ceremony::Ceremony>,
}

impl Builder {
    /// Starts from every record but the marks still to come (those in `records` count too).
    pub fn new(records: Records) -> Builder {
        let Records { competition, delegations, skills, entries, judges, marks, voids, overrides, ceremony } = records;
        let delegations: IxVec<DelegationIx, Delegation> = delegations
            .into_iter()
            .map(|d| Delegation { id: d.id, code: d.code, name: d.name, names: d.names })
            .collect();
        let delegation_by_id: HashMap<Uuid, DelegationIx> = delegations.enumerate().map(|(i, d)| (d.id, i)).collect();
        let skill_by_id: HashMap<Uuid, SkillIx> =
            skills.iter().enumerate().map(|(i, s)| (s.id, SkillIx::new(i))).collect();
        let entries: IxVec<EntryIx, Entry> = entries
            .into_iter()
            .filter_map(|e| {
                Some(Entry {
                    id: e.id,
                    key: e.code.as_str().into(),
                    code: e.code,
                    skill: *skill_by_id.get(&e.skill_id)?,
                    delegation: *delegation_by_id.get(&e.delegation_id)?,
                    members: e.members,
                    status: e.status,
                })
            })
            .collect();
        let entry_by_id: HashMap<Uuid, EntryIx> = entries.enumerate().map(|(i, e)| (e.id, i)).collect();
        let judges: IxVec<JudgeIx, Judge> = judges
            .into_iter()
            .filter_map(|j| {
                let mut skills: Vec<SkillIx> =
                    j.skill_ids.iter().filter_map(|id| skill_by_id.get(id).copied()).collect();
                skills.sort_unstable();
                skills.dedup();
                Some(Judge {
                    id: j.id,
                    key: j.code.as_str().into(),
                    code: j.code,
                    name: j.name,
                    delegation: *delegation_by_id.get(&j.delegation_id)?,
                    role: j.role,
                    skills,
                    login_code_hash: j.login_code_hash.clone(),
                })
            })
            .collect();
        let judge_by_id: HashMap<Uuid, JudgeIx> = judges.enumerate().map(|(i, j)| (j.id, i)).collect();
        let voided: FxHashMap<Uuid, Text> = voids.into_iter().map(|v| (v.mark_id, Text::from(v.reason))).collect();

        let mut built: IxVec<SkillIx, Skill> = skills
            .into_iter()
            .map(|s| {
                let aspects = s.spec.aspects().cloned().collect::<IxVec<AspectIx, _>>();
                let aspect_keys = Arc::new(aspects.iter().map(|a| Arc::from(a.code.as_str())).collect());
                let aspect_by_code = Arc::new(aspects.enumerate().map(|(i, a)| (a.code.to_string(), i)).collect());
                let aspects = Arc::new(aspects);
                Skill {
                    id: s.id,
                    position: s.position,
                    state: s.state,
                    version: s.version,
                    criterion_ids: s.criterion_ids,
                    aspect_ids: s.aspect_ids.into(),
                    aspects,
                    aspect_keys,
                    aspect_by_code,
                    spec: Arc::new(s.spec),
                    entries: Vec::new(),
                    by_entry: Vec::new(),
                    marks: imbl::Vector::new(),
                    mark_pos: SharedMap::default(),
                    overrides: Vec::new(),
                    accepted_gaps: s.accepted_gaps.map(Arc::new),
                    result: Arc::new(SkillResult::empty("")),
                }
            })
            .collect();
        for (e, entry) in entries.enumerate() {
            built[entry.skill].entries.push(e);
        }
        let aspect_pos = built.iter().map(|s| s.aspect_ids.enumerate().map(|(i, id)| (*id, i)).collect()).collect();
        let mut builder = Builder {
            competition,
            delegations,
            entries,
            judges,
            marks: vec![imbl::Vector::new(); built.len()],
            skills: built,
            skill_by_id,
            entry_by_id,
            judge_by_id,
            aspect_pos,
            voided,
            overrides,
            strings: FxHashSet::default(),
            ceremony,
        };
        for m in marks {
            builder.add_mark(m);
        }
        builder
    }

    fn intern(&mut self, text: &str) -> Text {
        if let Some(shared) = self.strings.get(text) {
            return shared.clone();
        }
        let shared = Text::from(text);
        self.strings.insert(shared.clone());
        shared
    }

    /// Adds a stored mark (in any order: they are sorted by seq at the end).
    pub fn add_mark(&mut self, m: MarkRecord) {
        let (Some(&s), Some(&entry), Some(&judge)) =
            (self.skill_by_id.get(&m.skill_id), self.entry_by_id.get(&m.entry_id), self.judge_by_id.get(&m.judge_id))
        else {
            return;
        };
        let Some(&aspect) = self.aspect_pos[s.get()].get(&m.aspect_id) else { return };
        let reason = m.reason.as_deref().map(|r| self.intern(r));
        let entered_by = self.intern(&m.entered_by);
        let void = self.voided.get(&m.id).cloned();
        self.marks[s.get()].push_back(StoredMark {
            seq: m.seq,
            id: m.id,
            entry,
            aspect,
            judge,
            value: m.value,
            reason,
            supersedes: m.supersedes,
            entered_by,
            created_at: m.created_at,
            void,
        });
    }

    /// The model, every skill's results computed; see [`Competition::rebuild`].
    pub fn finish(self, previous: Option<&Competition>, dirty: &[Uuid]) -> Competition {
        let Builder {
            competition,
            delegations,
            entries,
            judges,
            skills: mut built,
            skill_by_id,
            entry_by_id,
            judge_by_id,
            aspect_pos,
            overrides,
            marks: skill_marks,
            ceremony,
            ..
        } = self;
        for o in overrides {
            let (Some(&s), Some(&entry)) = (skill_by_id.get(&o.skill_id), entry_by_id.get(&o.entry_id)) else {
                continue;
            };
            let Some(&aspect) = aspect_pos[s.get()].get(&o.aspect_id) else { continue };
            built[s].overrides.push(StoredOverride {
                id: o.id,
                entry,
                aspect,
                judge: o.judge_id.and_then(|j| judge_by_id.get(&j).copied()),
                covers: 0,
                covers_seq: o.covers_seq,
                reason: o.reason,
                actor: o.actor,
                created_at: o.created_at,
            });
        }
        for (skill, mut marks) in built.iter_mut().zip(skill_marks) {
            if !marks.iter().is_sorted_by_key(|m| m.seq) {
                let mut sorted: Vec<StoredMark> = marks.into_iter().collect();
                sorted.sort_by_key(|m| m.seq);
                marks = sorted.into_iter().collect();
            }
            skill.overrides.sort_by_key(|o| o.covers_seq);
            for o in &mut skill.overrides {
                o.covers = marks.iter().take_while(|m| m.seq <= o.covers_seq).count();
            }
            skill.marks = marks;
            skill.index_marks();
        }
        let index = Index {
            delegations: keyed(delegations.iter().map(|d| (d.code.clone(), d.id)), DelegationIx::new),
            skills: keyed(built.iter().map(|s| (s.code().to_owned(), s.id)), SkillIx::new),
            entries: keyed(entries.iter().map(|e| (e.code.clone(), e.id)), EntryIx::new),
            judges: keyed(judges.iter().map(|j| (j.code.clone(), j.id)), JudgeIx::new),
        };
        let CompetitionRecord {
            id,
            code,
            name,
            names,
            timezone,
            starts_on,
            ends_on,
            default_language,
            medal_order,
            created_at,
        } = competition;
        let mut model = Competition {
            id,
            code,
            name,
            names,
            timezone,
            starts_on,
            ends_on,
            default_language,
            medal_order,
            created_at,
            delegations: Arc::new(delegations),
            skills: IxVec::default(),
            entries: Arc::new(entries),
            judges: Arc::new(judges),
            index: Arc::new(index),
            ceremony: ceremony.map(Arc::new),
        };
        let kept = |skill: &Skill| -> Option<Arc<SkillResult>> {
            let previous = previous?;
            if dirty.contains(&skill.id) {
                return None;
            }
            let old = previous.skill(&skill.id.to_string())?;
            Some(previous.skills[old].result.clone())
        };
        model.skills = built.into_iter().map(Arc::new).collect();
        let kept: Vec<Option<Arc<SkillResult>>> = model.skills.iter().map(|s| kept(s)).collect();
        let all: Vec<SkillIx> = (0..model.skills.len()).map(SkillIx::new).collect();
        // Every entry's part is computed (later writes recompute only theirs); a skill that
        // did not change keeps its results as they were.
        model.rescore(&all);
        for (s, kept) in all.into_iter().zip(kept) {
            if let Some(result) = kept {
                Arc::make_mut(&mut model.skills[s]).result = result;
            }
        }
        model
    }
}

impl Competition {
    /// The records this model was built from (with what decisions added since).
    pub fn to_records(&self) -> Records {
        let skill_id = |s: SkillIx| self.skills[s].id;
        let mut marks = Vec::new();
        let mut voids = Vec::new();
        let mut overrides = Vec::new();
        for skill in self.skills.iter() {
            for m in skill.marks() {
                marks.push(MarkRecord {
                    seq: m.seq,
                    id: m.id,
                    skill_id: skill.id,
                    entry_id: self.entries[m.entry].id,
                    aspect_id: skill.aspect_ids[m.aspect],
                    judge_id: self.judges[m.judge].id,
                    value: m.value,
                    reason: m.reason.as_deref().map(str::to_owned),
                    supersedes: m.supersedes,
                    entered_by: m.entered_by.to_string(),
                    created_at: m.created_at,
                    skill_version: skill.version,
                });
                if let Some(reason) = &m.void {
                    voids.push(VoidRecord {
                        mark_id: m.id,
                        skill_id: skill.id,
                        reason: reason.to_string(),
                        actor: String::new(),
                        created_at: m.created_at,
                        skill_version: skill.version,
                    });
                }
            }
            for o in &skill.overrides {
                overrides.push(OverrideRecord {
                    id: o.id,
                    skill_id: skill.id,
                    entry_id: self.entries[o.entry].id,
                    aspect_id: skill.aspect_ids[o.aspect],
                    judge_id: o.judge.map(|j| self.judges[j].id),
                    reason: o.reason.clone(),
                    covers_seq: o.covers_seq,
                    actor: o.actor.clone(),
                    created_at: o.created_at,
                });
            }
        }
        marks.sort_by_key(|m| m.seq);
        Records {
            competition: self.record(),
            delegations: self
                .delegations
                .iter()
                .map(|d| DelegationRecord {
                    id: d.id,
                    code: d.code.clone(),
                    name: d.name.clone(),
                    names: d.names.clone(),
                })
                .collect(),
            skills: self.skills.iter().map(|s| skill_record(s)).collect(),
            entries: self
                .entries
                .iter()
                .map(|e| EntryRecord {
                    id: e.id,
                    skill_id: skill_id(e.skill),
                    delegation_id: self.delegations[e.delegation].id,
                    code: e.code.clone(),
                    members: e.members.clone(),
                    status: e.status,
                })
                .collect(),
            judges: self.judges.iter().map(|j| self.judge_record(j)).collect(),
            marks,
            voids,
            overrides,
            ceremony: self.ceremony.as_deref().cloned(),
        }
    }

    pub fn record(&self) -> CompetitionRecord {
        CompetitionRecord {
            id: self.id,
            code: self.code.clone(),
            name: self.name.clone(),
            names: self.names.clone(),
            timezone: self.timezone.clone(),
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            default_language: self.default_language.clone(),
            medal_order: self.medal_order,
            created_at: self.created_at,
        }
    }

    pub fn judge_record(&self, j: &Judge) -> JudgeRecord {
        JudgeRecord {
            id: j.id,
            delegation_id: self.delegations[j.delegation].id,
            code: j.code.clone(),
            name: j.name.clone(),
            role: j.role,
            skill_ids: j.skills.iter().map(|s| self.skills[*s].id).collect(),
            login_code_hash: j.login_code_hash.clone(),
        }
    }
}

pub fn skill_record(s: &Skill) -> SkillRecord {
    SkillRecord {
        id: s.id,
        position: s.position,
        spec: (*s.spec).clone(),
        state: s.state,
        version: s.version,
        criterion_ids: s.criterion_ids.clone(),
        aspect_ids: s.aspect_ids.iter().copied().collect(),
        accepted_gaps: s.accepted_gaps.as_deref().cloned(),
    }
}
