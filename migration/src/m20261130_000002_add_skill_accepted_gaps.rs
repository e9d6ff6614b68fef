//! Sign-off with accepted gaps: when a skill is locked although some marks are missing, the
//! acceptance (reason, who, when, which gaps) is kept with the skill and shown on its results.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("skill").add_column(json_null("accepted_gaps")).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("skill").drop_column("accepted_gaps").to_owned()).await
    }
}
