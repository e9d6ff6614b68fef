//! SeaORM entities of Podium, one module per table.
pub mod account;
pub mod aspect;
pub mod audit_event;
pub mod competition;
pub mod criterion;
pub mod delegation;
pub mod discrepancy_override;
pub mod entry;
pub mod entry_member;
pub mod judge;
pub mod judge_skill;
pub mod kinds;
pub mod live_seq;
pub mod mark;
pub mod mark_void;
pub mod session;
pub mod skill;
