//! The closing ceremony: one row per competition that has planned one.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("ceremony")
                    .col(uuid("competition_id").primary_key())
                    .col(json("plan"))
                    .col(integer("position"))
                    .col(boolean("rehearsal"))
                    .col(big_integer("version"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("ceremony", "competition_id")
                            .to("competition", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("ceremony").to_owned()).await
    }
}
