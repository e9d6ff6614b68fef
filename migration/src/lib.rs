//! Database migrations, run at start-up on SQLite and PostgreSQL alike.
pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_schema;
mod m20261130_000001_add_used_code_hash;
mod m20261130_000002_add_skill_accepted_gaps;
mod m20261130_110001_create_ceremony;
mod m20261130_120002_create_tablet;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_schema::Migration),
            Box::new(m20261130_000001_add_used_code_hash::Migration),
            Box::new(m20261130_000002_add_skill_accepted_gaps::Migration),
            Box::new(m20261130_110001_create_ceremony::Migration),
            Box::new(m20261130_120002_create_tablet::Migration),
        ]
    }
}
