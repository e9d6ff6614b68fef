//! Importing competition packages: validated whole (every offence named), checked against
//! the rules that need a model, then stored in one transaction.
use super::Engine;
use crate::domain::Offences;
use crate::domain::input::{CompetitionInput, FORMAT, Package};
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError, Rejection};
use crate::model::package::{check, records_from_plan};
use crate::model::record::Records;
use crate::model::{AuditRecord, Competition};
use crate::store::{self, Db};
use chrono::Utc;
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

fn rejected(offences: Vec<FieldError>) -> ApiError {
    let detail = format!("the package was rejected whole, nothing was stored: {} offence(s)", offences.len());
    Rejection::invalid(detail, offences).into()
}

fn exists(code: &str) -> ApiError {
    ApiError::conflict(ErrorCode::CompetitionExists, format!("a competition with code '{code}' exists already"))
}

/// Validates and stores a package (no server needed: `podium import`, the demo); returns
/// the new competition's id.
pub async fn store(db: &Db, package: &Package, actor: &str) -> ApiResult<Uuid> {
    let plan = package.validate().map_err(rejected)?;
    let mut records = records_from_plan(&plan, actor, Utc::now(), Uuid::now_v7);
    let model = Competition::build(records.clone());
    let mut offences = check(package, &plan, &model);
    if offences.is_empty()
        && let Some(input) = &package.ceremony
    {
        match crate::model::decide::ceremony::from_package(&model, input) {
            Ok(ceremony) => records.ceremony = Some(ceremony),
            Err(mut more) => offences.append(&mut more),
        }
    }
    if !offences.is_empty() {
        return Err(rejected(offences));
    }
    let code = plan.competition.code.as_str();
    if store::competition::find_id(db, code).await?.is_some() {
        return Err(exists(code));
    }
    let after = json!({
        "delegations": plan.delegations.len(), "skills": plan.skills.len(),
        "entries": plan.entries.len(), "judges": plan.judges.len(), "marks": plan.marks.len(),
    });
    insert(db, records, "competition.imported", actor, after).await
}

/// Creates an empty competition from its settings.
pub async fn create(engine: &Engine, db: &Db, input: &CompetitionInput, actor: &str) -> ApiResult<Arc<Competition>> {
    let mut offences = Offences::default();
    let spec = input.validate("", &mut offences);
    let spec = offences.into_result(spec, "nothing was stored")?;
    if store::competition::find_id(db, spec.code.as_str()).await?.is_some() {
        return Err(exists(spec.code.as_str()));
    }
    let package = Package { format: FORMAT.into(), competition: input.clone(), ..Package::default() };
    let plan = package.validate().map_err(rejected)?;
    let records = records_from_plan(&plan, actor, Utc::now(), Uuid::now_v7);
    let id = insert(db, records, "competition.created", actor, json!(input)).await?;
    engine.competition(&id.to_string()).await
}

/// Stores a new competition's records with its audit record.
async fn insert(
    db: &Db,
    records: Records,
    action: &'static str,
    actor: &str,
    after: serde_json::Value,
) -> ApiResult<Uuid> {
    let (id, code) = (records.competition.id, records.competition.code.clone());
    let audit = AuditRecord {
        skill_id: None,
        actor: actor.to_owned(),
        action,
        subject: code.clone(),
        before: None,
        after: Some(after),
        reason: None,
    };
    let tx = db.begin().await?;
    let stored = store::import::insert_competition(&tx, records).await;
    // Another import took the code (or one of the mark ids) meanwhile.
    stored.map_err(|e| match ApiError::from(e) {
        ApiError::Rejected(Rejection::Conflict { code: ErrorCode::AlreadyExists, .. }) => exists(&code),
        other => other,
    })?;
    store::write::audit(&tx, id, std::slice::from_ref(&audit)).await?;
    tx.commit().await?;
    Ok(id)
}

/// Stores a package and loads the new competition.
pub async fn import(engine: &Engine, db: &Db, package: &Package, actor: &str) -> ApiResult<Arc<Competition>> {
    let id = store(db, package, actor).await?;
    engine.competition(&id.to_string()).await
}
