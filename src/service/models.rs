//! The models this instance holds, by id and by code. Readers take an `Arc` and never wait
//! for the writer; only the engine's worker puts and forgets.
use crate::model::Competition;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use uuid::Uuid;

#[derive(Default)]
struct Cache {
    by_id: HashMap<Uuid, Arc<Competition>>,
    by_code: HashMap<String, Uuid>,
}

#[derive(Clone, Default)]
pub struct Models(Arc<RwLock<Cache>>);

impl Models {
    /// A loaded competition by code or id.
    pub fn get(&self, key: &str) -> Option<Arc<Competition>> {
        let cache = self.0.read().ok()?;
        let id = cache.by_code.get(key).copied().or_else(|| Uuid::parse_str(key).ok())?;
        cache.by_id.get(&id).cloned()
    }

    pub fn put(&self, competition: Arc<Competition>) {
        if let Ok(mut cache) = self.0.write() {
            cache.by_code.retain(|_, id| *id != competition.id);
            cache.by_code.insert(competition.code.clone(), competition.id);
            cache.by_id.insert(competition.id, competition);
        }
    }

    pub fn forget(&self, id: Uuid) {
        if let Ok(mut cache) = self.0.write() {
            cache.by_code.retain(|_, v| *v != id);
            cache.by_id.remove(&id);
        }
    }
}
