//! SeaORM queries, one module per aggregate. Functions take `&impl ConnectionTrait` so
//! they run on a connection or inside a transaction alike.
pub mod account;
pub mod audit;
pub mod competition;
pub mod live_seq;
pub mod mark;
pub mod structure;

pub use structure::skill_spec_from_row;
