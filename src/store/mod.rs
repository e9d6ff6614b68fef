//! Storage: every sea-orm call of Podium, one module per aggregate. Rows become model
//! records at this border and decisions' writes become rows. Functions take `&impl
//! ConnectionTrait`, so they run on a connection or inside a transaction alike; the rest of
//! the server holds a [`Db`] and a [`Tx`] and never names sea-orm.
pub mod account;
pub mod audit;
pub mod backup;
pub mod competition;
mod convert;
pub mod db;
mod error;
pub mod import;
pub mod live_seq;
pub mod notify;
#[cfg(test)]
#[allow(clippy::expect_used)]
mod scratch;
mod sqlite_marks;
pub mod sqlite_writer;
pub mod tablet;
pub mod write;

pub use db::{Db, Tx};
pub use error::StoreError;
