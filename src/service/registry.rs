//! Registration use cases: competitions, delegations, skills with marking schemes,
//! entries, judges (one by one or from CSV). Each is one transaction with its audit
//! row; then the engine re-reads the competition.
use super::Engine;
use super::model::Competition;
use crate::auth::secret;
use crate::domain::Code;
use crate::domain::kinds::{EntryStatus, JudgeRole, SkillState};
use crate::domain::package::{
    CompetitionInput, DelegationInput, EntryInput, JudgeInput, Offence, Offences, SkillInput, SkillSpec,
};
use crate::error::{ApiError, ApiResult};
use crate::store;
use crate::store::audit::AuditEntry;
use chrono::Utc;
use entity::{aspect, competition, criterion, delegation, entry, entry_member, judge, judge_skill, skill};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

pub struct Registry<'a> {
    pub db: &'a DatabaseConnection,
    pub engine: &'a Engine,
    pub actor: String,
}

fn invalid(offences: Vec<Offence>) -> ApiError {
    ApiError::offences(format!("{} field(s) are invalid; nothing was stored", offences.len()), offences)
}

fn validated<T>(f: impl FnOnce(&mut Offences) -> Option<T>) -> ApiResult<T> {
    let mut offences = Offences::default();
    let value = f(&mut offences);
    match value {
        Some(v) if offences.is_empty() => Ok(v),
        _ => Err(invalid(offences.0)),
    }
}

impl Registry<'_> {
    fn audit(
        &self,
        competition: Option<Uuid>,
        action: &'static str,
        subject: &str,
        after: serde_json::Value,
    ) -> AuditEntry {
        AuditEntry {
            competition_id: competition,
            skill_id: None,
            actor: self.actor.clone(),
            action,
            subject: subject.to_owned(),
            before: None,
            after: Some(after),
            reason: None,
        }
    }

    async fn commit(
        &self,
        txn: sea_orm::DatabaseTransaction,
        audit: AuditEntry,
        reload: Uuid,
    ) -> ApiResult<Arc<Competition>> {
        store::audit::insert(&txn, audit).await?;
        txn.commit().await?;
        self.engine.reload(reload).await?;
        self.engine.competition(&reload.to_string()).await
    }

    // ------------------------------------------------------------------ competitions

    pub async fn create_competition(&self, input: &CompetitionInput) -> ApiResult<Arc<Competition>> {
        let spec = validated(|o| input.validate("", o))?;
        if store::competition::find_by_code(self.db, spec.code.as_str()).await?.is_some() {
            return Err(ApiError::conflict(
                "competition_exists",
                format!("competition '{}' exists already", spec.code),
            ));
        }
        let id = Uuid::now_v7();
        let txn = crate::db::begin_write(self.db).await?;
        competition::Entity::insert(
            competition::Model {
                id,
                code: spec.code.to_string(),
                name: spec.name,
                timezone: spec.timezone,
                starts_on: spec.starts_on,
                ends_on: spec.ends_on,
                default_language: spec.default_language,
                medal_order: spec.medal_order.as_str().into(),
                created_at: Utc::now(),
            }
            .into_active_model(),
        )
        .exec_without_returning(&txn)
        .await?;
        self.commit(txn, self.audit(Some(id), "competition.created", spec.code.as_str(), json!(input)), id).await
    }

    pub async fn update_competition(&self, c: &Competition, input: &CompetitionInput) -> ApiResult<Arc<Competition>> {
        let spec = validated(|o| input.validate("", o))?;
        if spec.code.as_str() != c.code {
            return Err(ApiError::field("/code", "immutable", "a competition's code cannot change"));
        }
        let txn = crate::db::begin_write(self.db).await?;
        competition::Entity::update_many()
            .col_expr(competition::Column::Name, Expr::value(spec.name))
            .col_expr(competition::Column::Timezone, Expr::value(spec.timezone))
            .col_expr(competition::Column::StartsOn, Expr::value(spec.starts_on))
            .col_expr(competition::Column::EndsOn, Expr::value(spec.ends_on))
            .col_expr(competition::Column::DefaultLanguage, Expr::value(spec.default_language))
            .col_expr(competition::Column::MedalOrder, Expr::value(spec.medal_order.as_str()))
            .filter(competition::Column::Id.eq(c.id))
            .exec(&txn)
            .await?;
        self.commit(txn, self.audit(Some(c.id), "competition.updated", &c.code, json!(input)), c.id).await
    }

    pub async fn delete_competition(&self, c: &Competition) -> ApiResult<()> {
        let txn = crate::db::begin_write(self.db).await?;
        competition::Entity::delete_by_id(c.id).exec(&txn).await?;
        store::audit::insert(&txn, self.audit(Some(c.id), "competition.deleted", &c.code, json!({}))).await?;
        txn.commit().await?;
        self.engine.reload(c.id).await
    }

    // ------------------------------------------------------------------ delegations

    pub async fn save_delegation(
        &self,
        c: &Competition,
        existing: Option<usize>,
        input: &DelegationInput,
    ) -> ApiResult<Arc<Competition>> {
        let spec = validated(|o| input.validate("", o))?;
        let names = serde_json::to_value(&spec.names).unwrap_or_default();
        let txn = crate::db::begin_write(self.db).await?;
        let action = match existing {
            Some(d) => {
                delegation::Entity::update_many()
                    .col_expr(delegation::Column::Code, Expr::value(spec.code.as_str()))
                    .col_expr(delegation::Column::Name, Expr::value(spec.name))
                    .col_expr(delegation::Column::Names, Expr::value(names))
                    .filter(delegation::Column::Id.eq(c.delegations[d].id))
                    .exec(&txn)
                    .await?;
                "delegation.updated"
            }
            None => {
                delegation::Entity::insert(
                    delegation::Model {
                        id: Uuid::now_v7(),
                        competition_id: c.id,
                        code: spec.code.to_string(),
                        name: spec.name,
                        names,
                    }
                    .into_active_model(),
                )
                .exec_without_returning(&txn)
                .await?;
                "delegation.created"
            }
        };
        self.commit(txn, self.audit(Some(c.id), action, spec.code.as_str(), json!(input)), c.id).await
    }

    pub async fn delete_delegation(&self, c: &Competition, d: usize) -> ApiResult<()> {
        let txn = crate::db::begin_write(self.db).await?;
        delegation::Entity::delete_by_id(c.delegations[d].id).exec(&txn).await?;
        self.commit(txn, self.audit(Some(c.id), "delegation.deleted", &c.delegations[d].code, json!({})), c.id)
            .await
            .map(|_| ())
    }

    // ------------------------------------------------------------------ skills

    pub async fn save_skill(
        &self,
        c: &Competition,
        existing: Option<usize>,
        input: &SkillInput,
    ) -> ApiResult<Arc<Competition>> {
        let spec: SkillSpec = validated(|o| input.validate("", o))?;
        let txn = crate::db::begin_write(self.db).await?;
        let action = match existing {
            Some(s) => {
                let skill = &c.skills[s];
                let scheme_changed = scheme_differs(&skill.spec, &spec);
                if scheme_changed && !skill.marks.is_empty() {
                    return Err(ApiError::conflict(
                        "scheme_locked",
                        "the marking scheme can be edited only while the skill has no marks",
                    ));
                }
                if spec.team_size != skill.spec.team_size && !skill.entries.is_empty() {
                    return Err(ApiError::conflict("team_size_locked", "team size cannot change once entries exist"));
                }
                let mut row = store::structure::skill_row(skill.id, c.id, skill.position, &spec, skill.state);
                row.version = skill.version + 1;
                skill::Entity::update(row.into_active_model().reset_all()).exec(&txn).await?;
                if scheme_changed {
                    aspect::Entity::delete_many().filter(aspect::Column::SkillId.eq(skill.id)).exec(&txn).await?;
                    criterion::Entity::delete_many().filter(criterion::Column::SkillId.eq(skill.id)).exec(&txn).await?;
                    let (criteria, aspects) = store::structure::scheme_rows(skill.id, &spec);
                    store::structure::insert_scheme(&txn, criteria, aspects).await?;
                }
                "skill.updated"
            }
            None => {
                let id = Uuid::now_v7();
                let position = c.skills.iter().map(|s| s.position + 1).max().unwrap_or(0);
                let row = store::structure::skill_row(id, c.id, position, &spec, SkillState::Setup);
                skill::Entity::insert(row.into_active_model()).exec_without_returning(&txn).await?;
                let (criteria, aspects) = store::structure::scheme_rows(id, &spec);
                store::structure::insert_scheme(&txn, criteria, aspects).await?;
                "skill.created"
            }
        };
        self.commit(txn, self.audit(Some(c.id), action, spec.code.as_str(), json!(input)), c.id).await
    }

    pub async fn delete_skill(&self, c: &Competition, s: usize) -> ApiResult<()> {
        let skill = &c.skills[s];
        if !skill.marks.is_empty() || !skill.entries.is_empty() {
            return Err(ApiError::conflict("in_use", "remove the skill's entries (and marks) first"));
        }
        let txn = crate::db::begin_write(self.db).await?;
        skill::Entity::delete_by_id(skill.id).exec(&txn).await?;
        self.commit(txn, self.audit(Some(c.id), "skill.deleted", skill.code(), json!({})), c.id).await.map(|_| ())
    }

    // ------------------------------------------------------------------ entries

    fn check_entry(
        &self,
        c: &Competition,
        at: &str,
        input: &EntryInput,
        o: &mut Offences,
    ) -> Option<(Code, usize, usize, Vec<String>, EntryStatus)> {
        let code = o.code(&format!("{at}/code"), &input.code);
        let skill = c.skill(&input.skill);
        if skill.is_none() {
            o.push(format!("{at}/skill"), "unknown_code", format!("no skill '{}'", input.skill));
        }
        let delegation = c.delegation(&input.delegation);
        if delegation.is_none() {
            o.push(format!("{at}/delegation"), "unknown_code", format!("no delegation '{}'", input.delegation));
        }
        let status = match &input.status {
            None => Some(EntryStatus::Active),
            Some(s) => o.choice(&format!("{at}/status"), s, EntryStatus::parse, EntryStatus::choices()),
        };
        let members: Vec<String> = input.members.iter().map(|m| m.trim().to_owned()).collect();
        for (i, m) in members.iter().enumerate() {
            if m.is_empty() {
                o.push(format!("{at}/members/{i}"), "required", "a member needs a name");
            }
        }
        if let Some(s) = skill {
            let size = c.skills[s].spec.team_size as usize;
            if members.len() != size {
                o.push(
                    format!("{at}/members"),
                    "team_size",
                    format!("skill '{}' takes {size} member(s), got {}", input.skill, members.len()),
                );
            }
        }
        Some((code?, skill?, delegation?, members, status?))
    }

    async fn write_entry(
        &self,
        txn: &impl ConnectionTrait,
        c: &Competition,
        existing: Option<usize>,
        (code, skill, delegation, members, status): (Code, usize, usize, Vec<String>, EntryStatus),
    ) -> ApiResult<()> {
        let id = match existing {
            Some(e) => {
                let entry = &c.entries[e];
                let has_marks = c.skills[entry.skill].marks.iter().any(|m| m.entry == e);
                if has_marks && (skill != entry.skill || delegation != entry.delegation) {
                    return Err(ApiError::conflict(
                        "in_use",
                        "an entry with marks cannot move to another skill or delegation",
                    ));
                }
                if status != entry.status {
                    return Err(ApiError::field(
                        "/status",
                        "use_status_endpoint",
                        "change the status with POST …/entries/{code}/status, which asks for a reason",
                    ));
                }
                entry::Entity::update_many()
                    .col_expr(entry::Column::Code, Expr::value(code.as_str()))
                    .col_expr(entry::Column::SkillId, Expr::value(c.skills[skill].id))
                    .col_expr(entry::Column::DelegationId, Expr::value(c.delegations[delegation].id))
                    .filter(entry::Column::Id.eq(entry.id))
                    .exec(txn)
                    .await?;
                entry_member::Entity::delete_many()
                    .filter(entry_member::Column::EntryId.eq(entry.id))
                    .exec(txn)
                    .await?;
                entry.id
            }
            None => {
                let id = Uuid::now_v7();
                entry::Entity::insert(
                    entry::Model {
                        id,
                        competition_id: c.id,
                        skill_id: c.skills[skill].id,
                        delegation_id: c.delegations[delegation].id,
                        code: code.to_string(),
                        status: status.as_str().into(),
                    }
                    .into_active_model(),
                )
                .exec_without_returning(txn)
                .await?;
                id
            }
        };
        let rows: Vec<entry_member::ActiveModel> = members
            .into_iter()
            .enumerate()
            .map(|(p, name)| entry_member::Model { entry_id: id, position: p as i32, name }.into_active_model())
            .collect();
        if !rows.is_empty() {
            entry_member::Entity::insert_many(rows).exec_without_returning(txn).await?;
        }
        Ok(())
    }

    pub async fn save_entry(
        &self,
        c: &Competition,
        existing: Option<usize>,
        input: &EntryInput,
    ) -> ApiResult<Arc<Competition>> {
        let checked = validated(|o| self.check_entry(c, "", input, o))?;
        let txn = crate::db::begin_write(self.db).await?;
        self.write_entry(&txn, c, existing, checked).await?;
        let action = if existing.is_some() { "entry.updated" } else { "entry.created" };
        self.commit(txn, self.audit(Some(c.id), action, &input.code, json!(input)), c.id).await
    }

    pub async fn delete_entry(&self, c: &Competition, e: usize) -> ApiResult<()> {
        let entry = &c.entries[e];
        if c.skills[entry.skill].marks.iter().any(|m| m.entry == e) {
            return Err(ApiError::conflict("in_use", "the entry has marks; withdraw it instead"));
        }
        let txn = crate::db::begin_write(self.db).await?;
        entry::Entity::delete_by_id(entry.id).exec(&txn).await?;
        self.commit(txn, self.audit(Some(c.id), "entry.deleted", &entry.code, json!({})), c.id).await.map(|_| ())
    }

    /// Creates entries in bulk (CSV): all or nothing, every offence named by row.
    pub async fn import_entries(&self, c: &Competition, inputs: &[EntryInput]) -> ApiResult<usize> {
        let mut o = Offences::default();
        let mut checked = Vec::new();
        let mut codes = std::collections::HashSet::new();
        for (i, input) in inputs.iter().enumerate() {
            let at = format!("/rows/{}", i + 1);
            if c.entry(&input.code).is_some() || !codes.insert(input.code.clone()) {
                o.push(format!("{at}/code"), "duplicate_code", format!("entry '{}' exists already", input.code));
            }
            if let Some(v) = self.check_entry(c, &at, input, &mut o) {
                checked.push(v);
            }
        }
        if !o.is_empty() {
            return Err(invalid(o.0));
        }
        let count = checked.len();
        let txn = crate::db::begin_write(self.db).await?;
        for v in checked {
            self.write_entry(&txn, c, None, v).await?;
        }
        self.commit(txn, self.audit(Some(c.id), "entries.imported", &c.code, json!({ "count": count })), c.id).await?;
        Ok(count)
    }

    // ------------------------------------------------------------------ judges

    fn check_judge(
        &self,
        c: &Competition,
        at: &str,
        input: &JudgeInput,
        o: &mut Offences,
    ) -> Option<(Code, String, usize, Vec<usize>, JudgeRole)> {
        let code = o.code(&format!("{at}/code"), &input.code);
        let name = o.text(&format!("{at}/name"), &input.name, 200);
        let delegation = c.delegation(&input.delegation);
        if delegation.is_none() {
            o.push(format!("{at}/delegation"), "unknown_code", format!("no delegation '{}'", input.delegation));
        }
        let role = o.choice(&format!("{at}/role"), &input.role, JudgeRole::parse, JudgeRole::choices());
        let mut skills = Vec::new();
        for (i, s) in input.skills.iter().enumerate() {
            match c.skill(s) {
                Some(ix) if !skills.contains(&ix) => skills.push(ix),
                Some(_) => {}
                None => o.push(format!("{at}/skills/{i}"), "unknown_code", format!("no skill '{s}'")),
            }
        }
        Some((code?, name, delegation?, skills, role?))
    }

    async fn write_judge(
        &self,
        txn: &impl ConnectionTrait,
        c: &Competition,
        existing: Option<usize>,
        (code, name, delegation, skills, role): (Code, String, usize, Vec<usize>, JudgeRole),
    ) -> ApiResult<()> {
        let id = match existing {
            Some(j) => {
                let judge = &c.judges[j];
                let marked = c.skills.iter().any(|s| s.marks.iter().any(|m| m.judge == j));
                if marked && delegation != judge.delegation {
                    return Err(ApiError::conflict("in_use", "a judge with marks cannot change delegation"));
                }
                judge::Entity::update_many()
                    .col_expr(judge::Column::Code, Expr::value(code.as_str()))
                    .col_expr(judge::Column::Name, Expr::value(name))
                    .col_expr(judge::Column::DelegationId, Expr::value(c.delegations[delegation].id))
                    .col_expr(judge::Column::Role, Expr::value(role.as_str()))
                    .filter(judge::Column::Id.eq(judge.id))
                    .exec(txn)
                    .await?;
                judge_skill::Entity::delete_many().filter(judge_skill::Column::JudgeId.eq(judge.id)).exec(txn).await?;
                judge.id
            }
            None => {
                let id = Uuid::now_v7();
                judge::Entity::insert(
                    judge::Model {
                        id,
                        competition_id: c.id,
                        delegation_id: c.delegations[delegation].id,
                        code: code.to_string(),
                        name,
                        role: role.as_str().into(),
                        login_code_hash: None,
                        login_code_issued_at: None,
                    }
                    .into_active_model(),
                )
                .exec_without_returning(txn)
                .await?;
                id
            }
        };
        let rows: Vec<judge_skill::ActiveModel> = skills
            .into_iter()
            .map(|s| judge_skill::Model { judge_id: id, skill_id: c.skills[s].id }.into_active_model())
            .collect();
        if !rows.is_empty() {
            judge_skill::Entity::insert_many(rows).exec_without_returning(txn).await?;
        }
        Ok(())
    }

    pub async fn save_judge(
        &self,
        c: &Competition,
        existing: Option<usize>,
        input: &JudgeInput,
    ) -> ApiResult<Arc<Competition>> {
        let checked = validated(|o| self.check_judge(c, "", input, o))?;
        let txn = crate::db::begin_write(self.db).await?;
        self.write_judge(&txn, c, existing, checked).await?;
        let action = if existing.is_some() { "judge.updated" } else { "judge.created" };
        self.commit(txn, self.audit(Some(c.id), action, &input.code, json!(input)), c.id).await
    }

    pub async fn delete_judge(&self, c: &Competition, j: usize) -> ApiResult<()> {
        if c.skills.iter().any(|s| s.marks.iter().any(|m| m.judge == j)) {
            return Err(ApiError::conflict("in_use", "the judge has marks; unassign their skills instead"));
        }
        let txn = crate::db::begin_write(self.db).await?;
        judge::Entity::delete_by_id(c.judges[j].id).exec(&txn).await?;
        self.commit(txn, self.audit(Some(c.id), "judge.deleted", &c.judges[j].code, json!({})), c.id).await.map(|_| ())
    }

    pub async fn import_judges(&self, c: &Competition, inputs: &[JudgeInput]) -> ApiResult<usize> {
        let mut o = Offences::default();
        let mut checked = Vec::new();
        let mut codes = std::collections::HashSet::new();
        for (i, input) in inputs.iter().enumerate() {
            let at = format!("/rows/{}", i + 1);
            if c.judge(&input.code).is_some() || !codes.insert(input.code.clone()) {
                o.push(format!("{at}/code"), "duplicate_code", format!("judge '{}' exists already", input.code));
            }
            if let Some(v) = self.check_judge(c, &at, input, &mut o) {
                checked.push(v);
            }
        }
        if !o.is_empty() {
            return Err(invalid(o.0));
        }
        let count = checked.len();
        let txn = crate::db::begin_write(self.db).await?;
        for v in checked {
            self.write_judge(&txn, c, None, v).await?;
        }
        self.commit(txn, self.audit(Some(c.id), "judges.imported", &c.code, json!({ "count": count })), c.id).await?;
        Ok(count)
    }

    /// Issues a new single-use log-in code for a judge; the previous code stops working
    /// and the judge's open sessions are revoked (a lost tablet).
    pub async fn issue_login_code(&self, c: &Competition, j: usize) -> ApiResult<String> {
        let code = secret::new_login_code();
        let txn = crate::db::begin_write(self.db).await?;
        judge::Entity::update_many()
            .col_expr(judge::Column::LoginCodeHash, Expr::value(secret::sha256_hex(&code)))
            .col_expr(judge::Column::LoginCodeIssuedAt, Expr::value(Utc::now()))
            .filter(judge::Column::Id.eq(c.judges[j].id))
            .exec(&txn)
            .await?;
        store::account::revoke_judge_sessions(&txn, c.judges[j].id).await?;
        self.commit(txn, self.audit(Some(c.id), "judge.code_issued", &c.judges[j].code, json!({})), c.id).await?;
        Ok(code)
    }
}

fn scheme_differs(a: &SkillSpec, b: &SkillSpec) -> bool {
    a.criteria != b.criteria
}
