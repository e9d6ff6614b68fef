//! Whether a skill's marks are complete before sign-off: the gaps of its active entries,
//! and the gaps an organizer accepted when locking it anyway.
use super::competition::Competition;
use super::ix::SkillIx;
use crate::domain::kinds::EntryStatus;
pub use crate::domain::signoff::{AcceptedGaps, Gap};

/// Every missing mark of the skill's active entries, by entry code then scheme order.
pub fn gaps(c: &Competition, s: SkillIx) -> Vec<Gap> {
    let skill = &c.skills[s];
    let mut gaps = Vec::new();
    let mut rows: Vec<_> = skill.result.entries.iter().filter(|r| r.status == EntryStatus::Active).collect();
    rows.sort_by(|a, b| a.entry.cmp(&b.entry));
    for row in rows {
        for (mark, aspect) in row.aspects.iter().zip(skill.aspects.iter()) {
            let needed = aspect.expected();
            let have = mark.scores.min(needed);
            if have < needed {
                gaps.push(Gap { entry: row.entry.clone(), aspect: mark.aspect.to_string(), have, needed });
            }
        }
    }
    gaps
}

/// Active entries without a single mark: they cannot be signed off as they are.
pub fn unmarked(c: &Competition, s: SkillIx) -> Vec<String> {
    let result = &c.skills[s].result;
    result
        .entries
        .iter()
        .filter(|r| r.status == EntryStatus::Active && r.marked == 0)
        .map(|r| r.entry.clone())
        .collect()
}
