//! The enumerations of the domain. They are defined once, in the `entity` crate, because
//! the database columns store them too; the domain, the model and scoring use them as they are.
pub use entity::kinds::{
    AggregationMethod, AspectKind, EntryStatus, JudgeRole, MedalOrder, Role, SkillState, Standardise, TieBreak,
};
