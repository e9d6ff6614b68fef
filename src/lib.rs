//! Podium: skills competition management and live scoring.
//!
//! Layers, bottom to top (DESIGN §3): `domain`, `scoring` and `model` are pure; `store` holds
//! every database call; `auth`, `live` and `view` build on those; `service` runs the writes;
//! `api` and `startup` serve HTTP.
pub mod api;
pub mod auth;
pub mod config;
pub mod domain;
pub mod error;
pub mod frontend;
pub mod live;
pub mod memory;
pub mod model;
pub mod scoring;
pub mod service;
pub mod sim;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod view;
