//! Loading a whole competition (structure and marks) and writing its structure.
use entity::{
    aspect, competition, criterion, delegation, discrepancy_override, entry, entry_member, judge, judge_skill, mark,
    mark_void, skill,
};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// Every row of one competition that the in-memory model is built from.
#[derive(Debug, Clone)]
pub struct CompetitionRows {
    pub competition: competition::Model,
    pub delegations: Vec<delegation::Model>,
    pub skills: Vec<skill::Model>,
    pub criteria: Vec<criterion::Model>,
    pub aspects: Vec<aspect::Model>,
    pub entries: Vec<entry::Model>,
    pub members: Vec<entry_member::Model>,
    pub judges: Vec<judge::Model>,
    pub judge_skills: Vec<judge_skill::Model>,
    pub marks: Vec<mark::Model>,
    pub voids: Vec<mark_void::Model>,
    pub overrides: Vec<discrepancy_override::Model>,
}

pub async fn find_by_code(db: &impl ConnectionTrait, code: &str) -> Result<Option<competition::Model>, DbErr> {
    competition::Entity::find().filter(competition::Column::Code.eq(code)).one(db).await
}

pub async fn find_all(db: &impl ConnectionTrait) -> Result<Vec<competition::Model>, DbErr> {
    competition::Entity::find().order_by_asc(competition::Column::Code).all(db).await
}

pub async fn load(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<CompetitionRows>, DbErr> {
    let Some(competition) = competition::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let delegations = delegation::Entity::find()
        .filter(delegation::Column::CompetitionId.eq(id))
        .order_by_asc(delegation::Column::Code)
        .all(db)
        .await?;
    let skills = skill::Entity::find()
        .filter(skill::Column::CompetitionId.eq(id))
        .order_by_asc(skill::Column::Position)
        .order_by_asc(skill::Column::Code)
        .all(db)
        .await?;
    let skill_ids: Vec<Uuid> = skills.iter().map(|s| s.id).collect();
    let criteria = criterion::Entity::find()
        .filter(criterion::Column::SkillId.is_in(skill_ids.clone()))
        .order_by_asc(criterion::Column::Position)
        .all(db)
        .await?;
    let aspects = aspect::Entity::find()
        .filter(aspect::Column::SkillId.is_in(skill_ids.clone()))
        .order_by_asc(aspect::Column::Position)
        .all(db)
        .await?;
    let entries = entry::Entity::find()
        .filter(entry::Column::CompetitionId.eq(id))
        .order_by_asc(entry::Column::Code)
        .all(db)
        .await?;
    let entry_ids: Vec<Uuid> = entries.iter().map(|e| e.id).collect();
    let mut members = Vec::new();
    for chunk in entry_ids.chunks(500) {
        members.extend(
            entry_member::Entity::find()
                .filter(entry_member::Column::EntryId.is_in(chunk.to_vec()))
                .order_by_asc(entry_member::Column::Position)
                .all(db)
                .await?,
        );
    }
    let judges = judge::Entity::find()
        .filter(judge::Column::CompetitionId.eq(id))
        .order_by_asc(judge::Column::Code)
        .all(db)
        .await?;
    let judge_skills =
        judge_skill::Entity::find().filter(judge_skill::Column::SkillId.is_in(skill_ids.clone())).all(db).await?;
    let marks =
        mark::Entity::find().filter(mark::Column::CompetitionId.eq(id)).order_by_asc(mark::Column::Seq).all(db).await?;
    let voids = mark_void::Entity::find().filter(mark_void::Column::SkillId.is_in(skill_ids.clone())).all(db).await?;
    let overrides = discrepancy_override::Entity::find()
        .filter(discrepancy_override::Column::SkillId.is_in(skill_ids))
        .order_by_asc(discrepancy_override::Column::CoversSeq)
        .all(db)
        .await?;
    Ok(Some(CompetitionRows {
        competition,
        delegations,
        skills,
        criteria,
        aspects,
        entries,
        members,
        judges,
        judge_skills,
        marks,
        voids,
        overrides,
    }))
}
