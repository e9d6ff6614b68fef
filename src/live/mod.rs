//! Live updates: the websocket hub, its channels and sequence numbers.
use crate::service::model::Competition;

/// Receives every change of the in-memory model, to tell live viewers.
#[derive(Clone, Default)]
pub struct Hub {}

impl Hub {
    pub fn competition_changed(&self, _competition: &Competition) {}

    pub fn skills_changed(&self, _before: &Competition, _after: &Competition) {}
}
