//! `tablet`: the last heartbeat of each judge's tablet (its app version, unsent marks, last
//! sync, battery), for the console's fleet view. A table rather than memory, so that every
//! instance sharing a PostgreSQL database shows the same fleet whichever one a tablet reached.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("tablet")
                    .col(uuid("judge_id"))
                    .col(string_len("tablet_id", 64))
                    .col(uuid("competition_id"))
                    .col(string_len("app_version", 64))
                    .col(integer("queued"))
                    .col(timestamp_with_time_zone_null("unsent_since"))
                    .col(timestamp_with_time_zone_null("last_sync_at"))
                    .col(integer_null("battery_percent"))
                    .col(boolean_null("battery_charging"))
                    .col(timestamp_with_time_zone("last_seen_at"))
                    .primary_key(Index::create().col("judge_id").col("tablet_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("tablet", "judge_id")
                            .to("judge", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("tablet", "competition_id")
                            .to("competition", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_tablet_competition").table("tablet").col("competition_id").to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("tablet").to_owned()).await
    }
}
