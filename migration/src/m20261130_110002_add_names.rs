//! Names in every language: translations of the names of competitions, skills, criteria and
//! aspects (`{"zh": .., "ru": ..}`), as delegations have had from the start. Null reads as
//! none, so rows stored before keep working.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 4] = ["competition", "skill", "criterion", "aspect"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One statement per table: SQLite alters one column at a time.
        for table in TABLES {
            manager.alter_table(Table::alter().table(table).add_column(json_null("names")).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager.alter_table(Table::alter().table(table).drop_column("names").to_owned()).await?;
        }
        Ok(())
    }
}
