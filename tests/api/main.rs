//! Black-box tests: the real server on a random port, over HTTP, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod auth;
mod ceremony;
mod durability;
mod fixtures;
mod fleet;
mod hygiene;
mod integrity;
mod judging;
mod live;
mod live_limits;
mod marks;
mod package;
mod registration;
mod scale;
mod spreadsheet;
mod tls;
