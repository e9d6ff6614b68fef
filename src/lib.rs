//! Podium: skills competition management and live scoring.
pub mod api;
pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod frontend;
pub mod live;
pub mod scoring;
pub mod service;
pub mod startup;
pub mod store;
pub mod view;
