//! Marks, voids and overrides: the append-only judging record.
use entity::{discrepancy_override, mark, mark_void, skill};
use sea_orm::ExprTrait;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// The stored marks of a competition among the given client ids.
pub async fn find_by_ids(
    db: &impl ConnectionTrait,
    competition_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<mark::Model>, DbErr> {
    let mut found = Vec::new();
    for chunk in ids.chunks(500) {
        found.extend(
            mark::Entity::find()
                .filter(mark::Column::CompetitionId.eq(competition_id))
                .filter(mark::Column::Id.is_in(chunk.to_vec()))
                .all(db)
                .await?,
        );
    }
    Ok(found)
}

/// Inserts marks in the given order and returns them with their server order `seq`.
pub async fn insert_many(db: &impl ConnectionTrait, marks: Vec<mark::ActiveModel>) -> Result<Vec<mark::Model>, DbErr> {
    let mut stored = Vec::with_capacity(marks.len());
    let mut marks = marks.into_iter().peekable();
    while marks.peek().is_some() {
        // 13 bound values a row; SQLite allows 32766 a statement.
        let chunk: Vec<_> = marks.by_ref().take(1000).collect();
        let mut rows = mark::Entity::insert_many(chunk).exec_with_returning(db).await?;
        rows.sort_by_key(|m| m.seq);
        stored.extend(rows);
    }
    Ok(stored)
}

/// Every mark of a competition in the order the server stored them (for export).
pub async fn find_by_competition(db: &impl ConnectionTrait, competition_id: Uuid) -> Result<Vec<mark::Model>, DbErr> {
    mark::Entity::find()
        .filter(mark::Column::CompetitionId.eq(competition_id))
        .order_by_asc(mark::Column::Seq)
        .all(db)
        .await
}

/// Bumps the write version of the given skills, moving `setup` to `marking` when
/// `first_marks`, and returns the new rows. The update takes the rows' write locks, so
/// writers on several instances serialize per skill.
pub async fn bump_skills(
    db: &impl ConnectionTrait,
    skill_ids: &[Uuid],
    new_state: Option<&str>,
) -> Result<Vec<skill::Model>, DbErr> {
    let mut update = skill::Entity::update_many()
        .col_expr(skill::Column::Version, Expr::col(skill::Column::Version).add(1))
        .filter(skill::Column::Id.is_in(skill_ids.to_vec()));
    if let Some(state) = new_state {
        update = update.col_expr(skill::Column::State, Expr::value(state));
    }
    update.exec_with_returning(db).await
}

/// Moves skills still in `setup` to `marking` (the first stored mark does it).
pub async fn start_marking(db: &impl ConnectionTrait, skill_ids: &[Uuid]) -> Result<(), DbErr> {
    skill::Entity::update_many()
        .col_expr(skill::Column::State, Expr::value("marking"))
        .filter(skill::Column::Id.is_in(skill_ids.to_vec()))
        .filter(skill::Column::State.eq("setup"))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn insert_void(db: &impl ConnectionTrait, void: mark_void::ActiveModel) -> Result<(), DbErr> {
    mark_void::Entity::insert(void).exec_without_returning(db).await?;
    Ok(())
}

pub async fn insert_override(db: &impl ConnectionTrait, o: discrepancy_override::ActiveModel) -> Result<(), DbErr> {
    discrepancy_override::Entity::insert(o).exec_without_returning(db).await?;
    Ok(())
}
