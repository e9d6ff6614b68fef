//! Use cases that write, and the in-memory model they keep current: one transaction
//! (store + audit), then scoring, then a live event.
pub mod engine;
pub mod model;
pub mod package;
pub mod registry;
pub mod setup;

pub use engine::Engine;
