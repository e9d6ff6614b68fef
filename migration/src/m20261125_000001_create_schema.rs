//! The initial schema: the whole domain of DESIGN §2, sessions, marks and the audit log.
//!
//! Decimals are integer hundredths (`*_centi`): exact on both databases.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    from: &'static str,
    col: &'static str,
    to: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from, col).to(to, "id").on_delete(on_delete).to_owned()
}

fn cascade(from: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    fk(from, col, to, ForeignKeyAction::Cascade)
}

/// `NO ACTION` is checked at the end of the statement, so a cascading delete of a whole
/// competition succeeds while deleting, say, an entry that has marks is refused.
fn guard(from: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    fk(from, col, to, ForeignKeyAction::NoAction)
}

fn unique_index(name: &str, table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table).unique();
    for col in cols {
        index.col(*col);
    }
    index.to_owned()
}

fn index(name: &str, table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(*col);
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table("competition")
                .col(uuid("id").primary_key())
                .col(string_uniq("code"))
                .col(string("name"))
                .col(string("timezone"))
                .col(date_null("starts_on"))
                .col(date_null("ends_on"))
                .col(string("default_language"))
                .col(string("medal_order"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
            Table::create()
                .table("delegation")
                .col(uuid("id").primary_key())
                .col(uuid("competition_id"))
                .col(string("code"))
                .col(string("name"))
                .col(json("names"))
                .foreign_key(&mut cascade("delegation", "competition_id", "competition"))
                .to_owned(),
            Table::create()
                .table("skill")
                .col(uuid("id").primary_key())
                .col(uuid("competition_id"))
                .col(string("code"))
                .col(string("name"))
                .col(integer("position"))
                .col(integer("team_size"))
                .col(string("standardise"))
                .col(big_integer("scale_centre_centi"))
                .col(big_integer("scale_step_centi"))
                .col(big_integer("tie_tolerance_centi"))
                .col(string("tie_break"))
                .col(integer("max_judgement_spread"))
                .col(string("aggregation"))
                .col(integer("aggregation_k"))
                .col(big_integer_null("excellence_threshold_centi"))
                .col(integer("min_entries_for_medals"))
                .col(string("state"))
                .col(big_integer("version"))
                .foreign_key(&mut cascade("skill", "competition_id", "competition"))
                .to_owned(),
            Table::create()
                .table("criterion")
                .col(uuid("id").primary_key())
                .col(uuid("skill_id"))
                .col(string("code"))
                .col(string("name"))
                .col(integer("position"))
                .foreign_key(&mut cascade("criterion", "skill_id", "skill"))
                .to_owned(),
            Table::create()
                .table("aspect")
                .col(uuid("id").primary_key())
                .col(uuid("skill_id"))
                .col(uuid("criterion_id"))
                .col(string("code"))
                .col(text("description"))
                .col(string("kind"))
                .col(big_integer("max_centi"))
                .col(integer_null("panel"))
                .col(boolean("binary"))
                .col(integer("position"))
                .foreign_key(&mut cascade("aspect", "skill_id", "skill"))
                .foreign_key(&mut cascade("aspect", "criterion_id", "criterion"))
                .to_owned(),
            Table::create()
                .table("entry")
                .col(uuid("id").primary_key())
                .col(uuid("competition_id"))
                .col(uuid("skill_id"))
                .col(uuid("delegation_id"))
                .col(string("code"))
                .col(string("status"))
                .foreign_key(&mut cascade("entry", "competition_id", "competition"))
                .foreign_key(&mut guard("entry", "skill_id", "skill"))
                .foreign_key(&mut guard("entry", "delegation_id", "delegation"))
                .to_owned(),
            Table::create()
                .table("entry_member")
                .col(uuid("entry_id"))
                .col(integer("position"))
                .col(string("name"))
                .primary_key(Index::create().col("entry_id").col("position"))
                .foreign_key(&mut cascade("entry_member", "entry_id", "entry"))
                .to_owned(),
            Table::create()
                .table("judge")
                .col(uuid("id").primary_key())
                .col(uuid("competition_id"))
                .col(uuid("delegation_id"))
                .col(string("code"))
                .col(string("name"))
                .col(string("role"))
                .col(string_null("login_code_hash"))
                .col(timestamp_with_time_zone_null("login_code_issued_at"))
                .foreign_key(&mut cascade("judge", "competition_id", "competition"))
                .foreign_key(&mut guard("judge", "delegation_id", "delegation"))
                .to_owned(),
            Table::create()
                .table("judge_skill")
                .col(uuid("judge_id"))
                .col(uuid("skill_id"))
                .primary_key(Index::create().col("judge_id").col("skill_id"))
                .foreign_key(&mut cascade("judge_skill", "judge_id", "judge"))
                .foreign_key(&mut cascade("judge_skill", "skill_id", "skill"))
                .to_owned(),
            Table::create()
                .table("account")
                .col(uuid("id").primary_key())
                .col(string_uniq("username"))
                .col(string("password_hash"))
                .col(string("role"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
            Table::create()
                .table("session")
                .col(uuid("id").primary_key())
                .col(string_uniq("token_hash"))
                .col(string("role"))
                .col(uuid_null("account_id"))
                .col(uuid_null("judge_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(&mut cascade("session", "account_id", "account"))
                .foreign_key(&mut cascade("session", "judge_id", "judge"))
                .to_owned(),
            Table::create()
                .table("mark")
                .col(big_pk_auto("seq"))
                .col(uuid("id"))
                .col(uuid("competition_id"))
                .col(uuid("skill_id"))
                .col(uuid("entry_id"))
                .col(uuid("aspect_id"))
                .col(uuid("judge_id"))
                .col(big_integer("value_centi"))
                .col(text_null("reason"))
                .col(uuid_null("supersedes"))
                .col(string("entered_by"))
                .col(timestamp_with_time_zone("created_at"))
                .col(big_integer("skill_version"))
                .foreign_key(&mut cascade("mark", "competition_id", "competition"))
                .foreign_key(&mut guard("mark", "skill_id", "skill"))
                .foreign_key(&mut guard("mark", "entry_id", "entry"))
                .foreign_key(&mut guard("mark", "aspect_id", "aspect"))
                .foreign_key(&mut guard("mark", "judge_id", "judge"))
                .to_owned(),
            Table::create()
                .table("mark_void")
                .col(uuid("skill_id"))
                .col(uuid("mark_id"))
                .col(text("reason"))
                .col(string("actor"))
                .col(timestamp_with_time_zone("created_at"))
                .col(big_integer("skill_version"))
                .primary_key(Index::create().col("skill_id").col("mark_id"))
                .foreign_key(&mut cascade("mark_void", "skill_id", "skill"))
                .to_owned(),
            Table::create()
                .table("discrepancy_override")
                .col(uuid("id").primary_key())
                .col(uuid("skill_id"))
                .col(uuid("entry_id"))
                .col(uuid("aspect_id"))
                .col(uuid_null("judge_id"))
                .col(text("reason"))
                .col(big_integer("covers_seq"))
                .col(string("actor"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut cascade("discrepancy_override", "skill_id", "skill"))
                .foreign_key(&mut cascade("discrepancy_override", "entry_id", "entry"))
                .foreign_key(&mut cascade("discrepancy_override", "aspect_id", "aspect"))
                .to_owned(),
            // No foreign keys: the audit log outlives what it describes.
            Table::create()
                .table("audit_event")
                .col(big_pk_auto("id"))
                .col(uuid_null("competition_id"))
                .col(uuid_null("skill_id"))
                .col(timestamp_with_time_zone("at"))
                .col(string("actor"))
                .col(string("action"))
                .col(string("subject"))
                .col(json_null("before"))
                .col(json_null("after"))
                .col(text_null("reason"))
                .to_owned(),
            Table::create()
                .table("live_seq")
                .col(uuid("competition_id"))
                .col(string("channel"))
                .col(big_integer("seq"))
                .primary_key(Index::create().col("competition_id").col("channel"))
                .foreign_key(&mut cascade("live_seq", "competition_id", "competition"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let indexes = [
            unique_index("ux_delegation_code", "delegation", &["competition_id", "code"]),
            unique_index("ux_skill_code", "skill", &["competition_id", "code"]),
            unique_index("ux_criterion_code", "criterion", &["skill_id", "code"]),
            unique_index("ux_aspect_code", "aspect", &["skill_id", "code"]),
            unique_index("ux_entry_code", "entry", &["competition_id", "code"]),
            unique_index("ux_judge_code", "judge", &["competition_id", "code"]),
            index("ix_entry_skill", "entry", &["skill_id"]),
            index("ix_judge_skill_skill", "judge_skill", &["skill_id"]),
            // Client ids are unique per competition, so a copy of a competition (its
            // export imported under another code) can live in the same database.
            unique_index("ux_mark_id", "mark", &["competition_id", "id"]),
            index("ix_mark_skill_seq", "mark", &["skill_id", "seq"]),
            index("ix_mark_competition_seq", "mark", &["competition_id", "seq"]),
            index("ix_override_skill", "discrepancy_override", &["skill_id"]),
            index("ix_audit_competition", "audit_event", &["competition_id", "id"]),
            index("ix_session_expires", "session", &["expires_at"]),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "live_seq",
            "audit_event",
            "discrepancy_override",
            "mark_void",
            "mark",
            "session",
            "account",
            "judge_skill",
            "judge",
            "entry_member",
            "entry",
            "aspect",
            "criterion",
            "skill",
            "delegation",
            "competition",
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
