//! `judge.used_code_hash`: the hash of the last one-time code a judge logged in with, so that
//! a second log-in with it is answered `code_used` rather than a plain wrong code.
//!
//! Both code hashes are indexed too: a code log-in looks a hash up in every competition.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str); 2] =
    [("ix_judge_login_code_hash", "login_code_hash"), ("ix_judge_used_code_hash", "used_code_hash")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("judge").add_column(string_null("used_code_hash")).to_owned()).await?;
        for (name, col) in INDEXES {
            manager.create_index(Index::create().name(name).table("judge").col(col).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            manager.drop_index(Index::drop().name(name).table("judge").to_owned()).await?;
        }
        manager.alter_table(Table::alter().table("judge").drop_column("used_code_hash").to_owned()).await
    }
}
