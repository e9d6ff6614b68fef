//! Use cases that write, around the pure decision core: the engine (decide, store, reply,
//! publish), package import and export, the relay between instances, first-start set-up.
pub mod backup;
pub mod engine;
mod models;
pub mod package;
pub mod relay;
pub mod setup;

pub use engine::{Done, Engine};
