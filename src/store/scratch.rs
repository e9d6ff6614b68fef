//! A throw-away SQLite database holding the mini fixture, for the store's unit tests.
use super::Db;
use crate::domain::input::Package;
use crate::model::package::records_from_plan;
use crate::model::record::Records;
use uuid::Uuid;

/// A database file in a folder of its own, removed with it.
pub struct Scratch {
    dir: std::path::PathBuf,
    pub url: String,
    pub db: Db,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Scratch {
    pub async fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!("podium-unit-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        let url = format!("sqlite://{}?mode=rwc", dir.join("podium.db").display());
        let db = Db::connect(&url).await.expect("connect");
        Scratch { dir, url, db }
    }

    /// Stores a competition's records in one transaction.
    pub async fn insert(&self, records: Records) {
        let tx = self.db.begin().await.expect("begin");
        super::import::insert_competition(&tx, records).await.expect("insert");
        tx.commit().await.expect("commit");
    }
}

/// The records of `tests/fixtures/mini.json`.
pub fn mini_records() -> Records {
    let package: Package =
        serde_json::from_str(include_str!("../../tests/fixtures/mini.json")).expect("the mini fixture");
    let Ok(plan) = package.validate() else { panic!("the mini fixture is valid") };
    records_from_plan(&plan, "test", chrono::Utc::now(), Uuid::now_v7)
}
