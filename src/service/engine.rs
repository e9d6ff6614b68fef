//! The engine: one task per instance that owns the in-memory competitions and performs
//! every judging write (marks, voids, statuses, lock, unlock, publish, overrides).
//!
//! Marks waiting in its queue are stored together in one transaction (group commit): a
//! durable commit costs one fsync however many requests it carries, so throughput does
//! not collapse to one fsync per request. Readers take an `Arc` of a competition and
//! never wait for the writer.
use super::model::{Competition, Skill, StoredMark, StoredOverride, compute};
use crate::auth::{Caller, policy};
use crate::domain::Centi;
use crate::domain::kinds::{EntryStatus, SkillState};
use crate::domain::package::check_value;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::live::channel::{self, Change};
use crate::live::{Hub, relay};
use crate::store;
use crate::store::audit::AuditEntry;
use chrono::Utc;
use entity::{discrepancy_override, mark, mark_void};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbBackend};
use serde::Serialize;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// One mark of a batch as the client sent it (values are checked here, per mark).
#[derive(Clone, Debug)]
pub struct MarkIn {
    pub id: Uuid,
    pub entry: String,
    pub aspect: String,
    pub value: serde_json::Value,
    pub judge: Option<String>,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MarksOutcome {
    pub accepted: usize,
    pub duplicates: usize,
}

/// Judging operations other than marks.
#[derive(Clone, Debug)]
pub enum JudgingOp {
    Void { mark: Uuid, reason: String },
    SetStatus { entry: String, status: EntryStatus, reason: String },
    Lock { skill: String },
    Unlock { skill: String, reason: String },
    Publish { skill: String },
    Override { entry: String, aspect: String, reason: String },
}

type Reply<T> = oneshot::Sender<ApiResult<T>>;

struct MarkJob {
    competition: Uuid,
    caller: Caller,
    marks: Vec<MarkIn>,
    reply: Reply<MarksOutcome>,
}

enum Command {
    Load {
        key: String,
        reply: Reply<Option<Arc<Competition>>>,
    },
    /// Re-read after a registration change on this instance: live viewers are told.
    Reload {
        id: Uuid,
        reply: Reply<()>,
    },
    /// Re-read after another instance's write: its changes reach viewers by the relay.
    Refresh {
        id: Uuid,
        reply: Reply<()>,
    },
    Marks(MarkJob),
    Judging {
        competition: Uuid,
        caller: Caller,
        op: JudgingOp,
        reply: Reply<serde_json::Value>,
    },
}

#[derive(Default)]
struct Cache {
    by_id: HashMap<Uuid, Arc<Competition>>,
    by_code: HashMap<String, Uuid>,
}

#[derive(Clone)]
pub struct Engine {
    tx: mpsc::Sender<Command>,
    cache: Arc<RwLock<Cache>>,
    instance: Uuid,
}

impl Engine {
    pub fn start(db: DatabaseConnection, hub: Hub) -> Engine {
        let (tx, rx) = mpsc::channel(4096);
        let cache = Arc::new(RwLock::new(Cache::default()));
        let instance = Uuid::now_v7();
        let worker = Worker { db, cache: cache.clone(), hub, instance };
        tokio::spawn(worker.run(rx));
        Engine { tx, cache, instance }
    }

    /// This instance's id (several may share a PostgreSQL database).
    pub fn instance(&self) -> Uuid {
        self.instance
    }

    async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> ApiResult<T> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(make(reply))
            .await
            .map_err(|_| ApiError::internal(std::io::Error::other("the engine has stopped")))?;
        answer.await.map_err(|_| ApiError::internal(std::io::Error::other("the engine dropped a request")))?
    }

    fn cached(&self, key: &str) -> Option<Arc<Competition>> {
        let cache = self.cache.read().ok()?;
        let id = cache.by_code.get(key).copied().or_else(|| Uuid::parse_str(key).ok())?;
        cache.by_id.get(&id).cloned()
    }

    /// The cached model of a loaded competition, without waiting.
    pub fn cached_model(&self, id: Uuid) -> Option<Arc<Competition>> {
        self.cache.read().ok()?.by_id.get(&id).cloned()
    }

    /// A competition by code or id, 404 when there is none.
    pub async fn competition(&self, key: &str) -> ApiResult<Arc<Competition>> {
        if let Some(c) = self.cached(key) {
            return Ok(c);
        }
        self.ask(|reply| Command::Load { key: key.to_owned(), reply })
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no competition '{key}'")))
    }

    /// Re-reads a competition from the database after a registration change.
    pub async fn reload(&self, id: Uuid) -> ApiResult<()> {
        self.ask(|reply| Command::Reload { id, reply }).await
    }

    /// Re-reads a competition changed by another instance (PostgreSQL relay).
    pub async fn refresh(&self, id: Uuid) -> ApiResult<()> {
        self.ask(|reply| Command::Refresh { id, reply }).await
    }

    pub async fn record_marks(&self, competition: Uuid, caller: Caller, marks: Vec<MarkIn>) -> ApiResult<MarksOutcome> {
        self.ask(|reply| Command::Marks(MarkJob { competition, caller, marks, reply })).await
    }

    pub async fn judging(&self, competition: Uuid, caller: Caller, op: JudgingOp) -> ApiResult<serde_json::Value> {
        self.ask(|reply| Command::Judging { competition, caller, op, reply }).await
    }
}

struct Worker {
    db: DatabaseConnection,
    cache: Arc<RwLock<Cache>>,
    hub: Hub,
    /// Tells this instance's own notifications apart from other instances'.
    instance: Uuid,
}

/// A mark accepted for storage, waiting for its transaction.
struct Pending {
    skill: usize,
    row: mark::Model,
    audit: AuditEntry,
}

impl Worker {
    async fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            while batch.len() < 512 {
                match rx.try_recv() {
                    Ok(command) => batch.push(command),
                    Err(_) => break,
                }
            }
            let mut marks = Vec::new();
            for command in batch {
                match command {
                    Command::Marks(job) => marks.push(job),
                    other => {
                        self.record_marks(std::mem::take(&mut marks)).await;
                        self.handle(other).await;
                    }
                }
            }
            self.record_marks(marks).await;
        }
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::Load { key, reply } => {
                let _ = reply.send(self.load_key(&key).await);
            }
            Command::Reload { id, reply } => {
                let _ = reply.send(self.reload_announced(id).await);
            }
            Command::Refresh { id, reply } => {
                let _ = reply.send(self.reload_with(id, false).await.map(|_| ()));
            }
            Command::Judging { competition, caller, op, reply } => {
                let result = self.judging(competition, &caller, op).await;
                let _ = reply.send(result);
            }
            Command::Marks(job) => self.record_marks(vec![job]).await,
        }
    }

    fn get(&self, id: Uuid) -> Option<Arc<Competition>> {
        self.cache.read().ok()?.by_id.get(&id).cloned()
    }

    fn put(&self, competition: Arc<Competition>) {
        if let Ok(mut cache) = self.cache.write() {
            cache.by_code.retain(|_, id| *id != competition.id);
            cache.by_code.insert(competition.code.clone(), competition.id);
            cache.by_id.insert(competition.id, competition);
        }
    }

    fn forget(&self, id: Uuid) {
        if let Ok(mut cache) = self.cache.write() {
            cache.by_code.retain(|_, v| *v != id);
            cache.by_id.remove(&id);
        }
    }

    async fn load_key(&mut self, key: &str) -> ApiResult<Option<Arc<Competition>>> {
        let id = match Uuid::parse_str(key) {
            Ok(id) => Some(id),
            Err(_) => store::competition::find_by_code(&self.db, key).await?.map(|c| c.id),
        };
        let Some(id) = id else { return Ok(None) };
        if let Some(c) = self.get(id) {
            return Ok(Some(c));
        }
        self.reload(id).await
    }

    async fn reload(&mut self, id: Uuid) -> ApiResult<Option<Arc<Competition>>> {
        self.reload_with(id, true).await
    }

    /// Re-reads a competition. `with_seqs` also takes the live sequence numbers from the
    /// database; the relay passes false, since the changes it relays carry their own.
    async fn reload_with(&mut self, id: Uuid, with_seqs: bool) -> ApiResult<Option<Arc<Competition>>> {
        match store::competition::load(&self.db, id).await? {
            Some(rows) => {
                let competition = Arc::new(Competition::build(rows));
                let seqs = if with_seqs {
                    store::live_seq::all(&self.db, id).await?.into_iter().map(|r| (r.channel, r.seq)).collect()
                } else {
                    HashMap::new()
                };
                self.put(competition.clone());
                self.hub.competition_loaded(&competition, seqs);
                Ok(Some(competition))
            }
            None => {
                self.forget(id);
                Ok(None)
            }
        }
    }

    /// Reloads after a registration change and tells live viewers what changed.
    async fn reload_announced(&mut self, id: Uuid) -> ApiResult<()> {
        let before = self.get(id);
        let Some(after) = self.reload(id).await? else { return Ok(()) };
        let Some(before) = before else { return Ok(()) };
        let skills: Vec<String> = after.skills.iter().map(|s| s.code().to_owned()).collect();
        let txn = crate::db::begin_write(&self.db).await?;
        let numbered = self.number_changes(&txn, &before, &after, &skills).await?;
        txn.commit().await?;
        self.hub.publish(&after, &numbered);
        Ok(())
    }

    /// Numbers the live changes between two models inside the write's transaction, so the
    /// sequence numbers come from the database; on PostgreSQL it also tells the other
    /// instances (the notification is delivered on commit).
    async fn number_changes(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        before: &Competition,
        after: &Competition,
        skills: &[String],
    ) -> ApiResult<Vec<(Change, i64)>> {
        let changes = channel::changes(before, after, skills);
        let keys: Vec<String> = changes.iter().map(|c| c.channel.key()).collect();
        let seqs = store::live_seq::advance_all(txn, after.id, &keys).await?;
        let numbered: Vec<(Change, i64)> =
            changes.into_iter().zip(keys).map(|(change, key)| (change, seqs.get(&key).copied().unwrap_or(0))).collect();
        if is_postgres(&self.db) && !numbered.is_empty() {
            relay::notify(txn, self.instance, after.id, &numbered).await?;
        }
        Ok(numbered)
    }

    async fn competition(&mut self, id: Uuid) -> ApiResult<Arc<Competition>> {
        match self.get(id) {
            Some(c) => Ok(c),
            None => self.reload(id).await?.ok_or_else(|| ApiError::not_found("the competition no longer exists")),
        }
    }

    // ------------------------------------------------------------------ marks

    async fn record_marks(&mut self, jobs: Vec<MarkJob>) {
        let mut by_competition: Vec<(Uuid, Vec<MarkJob>)> = Vec::new();
        for job in jobs {
            match by_competition.iter_mut().find(|(id, _)| *id == job.competition) {
                Some((_, group)) => group.push(job),
                None => by_competition.push((job.competition, vec![job])),
            }
        }
        for (id, group) in by_competition {
            self.record_group(id, group).await;
        }
    }

    async fn record_group(&mut self, competition_id: Uuid, jobs: Vec<MarkJob>) {
        // A write from another instance (PostgreSQL) between our read and our commit is
        // detected by the skill versions; then we reload and validate again.
        for attempt in 0..3 {
            let competition = match self.competition(competition_id).await {
                Ok(c) => c,
                Err(error) => {
                    let message = error.to_string();
                    for job in jobs {
                        let _ = job.reply.send(Err(ApiError::not_found(message.clone())));
                    }
                    return;
                }
            };
            match self.try_group(&competition, &jobs).await {
                Ok(Some((outcomes, updated, numbered))) => {
                    self.put(updated.clone());
                    self.hub.publish(&updated, &numbered);
                    for (job, outcome) in jobs.into_iter().zip(outcomes) {
                        let _ = job.reply.send(outcome);
                    }
                    return;
                }
                Ok(None) if attempt < 2 => {
                    let _ = self.reload(competition_id).await;
                }
                Ok(None) => break,
                Err(error) => {
                    let message = error.to_string();
                    tracing::error!(error = ?error, "storing marks failed");
                    for job in jobs {
                        let _ = job.reply.send(Err(ApiError::internal(std::io::Error::other(message.clone()))));
                    }
                    return;
                }
            }
        }
    }

    /// Validates every job against the current model, stores the accepted marks in one
    /// transaction and returns each job's outcome with the updated model. `None` when
    /// another instance changed a skill meanwhile (try again after a reload).
    #[allow(clippy::type_complexity)]
    async fn try_group(
        &self,
        competition: &Arc<Competition>,
        jobs: &[MarkJob],
    ) -> Result<Option<(Vec<ApiResult<MarksOutcome>>, Arc<Competition>, Vec<(Change, i64)>)>, ApiError> {
        let ids: Vec<Uuid> = jobs.iter().flat_map(|j| j.marks.iter().map(|m| m.id)).collect();
        let existing: HashMap<Uuid, mark::Model> =
            store::mark::find_by_ids(&self.db, competition.id, &ids).await?.into_iter().map(|m| (m.id, m)).collect();
        let mut working: HashMap<usize, Skill> = HashMap::new();
        let mut pending: Vec<Pending> = Vec::new();
        let mut pending_ids: HashMap<Uuid, (Uuid, Uuid, Uuid, i64)> = HashMap::new();
        let mut outcomes = Vec::new();
        for job in jobs {
            let outcome = validate_job(competition, job, &existing, &mut pending_ids, &mut working, &mut pending);
            outcomes.push(outcome);
        }
        if pending.is_empty() {
            return Ok(Some((outcomes, competition.clone(), Vec::new())));
        }
        let touched: Vec<usize> = {
            let mut set: Vec<usize> = pending.iter().map(|p| p.skill).collect();
            set.sort_unstable();
            set.dedup();
            set
        };
        let skill_ids: Vec<Uuid> = touched.iter().map(|s| competition.skills[*s].id).collect();
        let txn = crate::db::begin_write(&self.db).await?;
        let bumped = store::mark::bump_skills(&txn, &skill_ids, None).await?;
        for row in &bumped {
            let known = competition.skills.iter().find(|s| s.id == row.id);
            if known.is_none_or(|s| s.version + 1 != row.version || s.state.as_str() != row.state) {
                txn.rollback().await?;
                return Ok(None);
            }
        }
        if touched.iter().any(|s| competition.skills[*s].state == SkillState::Setup) {
            store::mark::start_marking(&txn, &skill_ids).await?;
        }
        let version_of: HashMap<Uuid, i64> = bumped.iter().map(|r| (r.id, r.version)).collect();
        let mut rows = Vec::with_capacity(pending.len());
        let mut audits = Vec::with_capacity(pending.len());
        for p in &mut pending {
            p.row.skill_version = version_of.get(&p.row.skill_id).copied().unwrap_or_default();
            rows.push(p.row.clone().into_active_model_without_seq());
            audits.push(p.audit.clone());
        }
        let stored = store::mark::insert_many(&txn, rows).await?;
        store::audit::insert_many(&txn, audits).await?;

        let seq_of: HashMap<Uuid, i64> = stored.iter().map(|m| (m.id, m.seq)).collect();
        let touched_codes: Vec<String> = touched.iter().map(|s| competition.skills[*s].code().to_owned()).collect();
        let mut skills = competition.skills.clone();
        for s in touched {
            let mut skill = working.remove(&s).unwrap_or_else(|| (*competition.skills[s]).clone());
            for m in &mut skill.marks {
                if m.seq <= 0
                    && let Some(seq) = seq_of.get(&m.id)
                {
                    m.seq = *seq;
                }
            }
            skill.version = version_of.get(&skill.id).copied().unwrap_or(skill.version + 1);
            if skill.state == SkillState::Setup {
                skill.state = SkillState::Marking;
            }
            skill.result = Arc::new(compute(competition, &skill));
            skills[s] = Arc::new(skill);
        }
        let mut updated = (**competition).clone();
        updated.skills = skills;
        let codes: Vec<String> = touched_codes;
        let numbered = self.number_changes(&txn, competition, &updated, &codes).await?;
        txn.commit().await?;
        Ok(Some((outcomes, Arc::new(updated), numbered)))
    }

    // ------------------------------------------------------------------ other judging writes

    async fn judging(&mut self, competition_id: Uuid, caller: &Caller, op: JudgingOp) -> ApiResult<serde_json::Value> {
        let competition = self.competition(competition_id).await?;
        let c = &competition;
        let find_skill = |key: &str| c.skill(key).ok_or_else(|| ApiError::not_found(format!("no skill '{key}'")));
        let find_entry = |key: &str| c.entry(key).ok_or_else(|| ApiError::not_found(format!("no entry '{key}'")));
        let actor = caller.actor();
        let mut skill: Skill;
        let skill_index: usize;
        let audit: AuditEntry;
        let txn = crate::db::begin_write(&self.db).await?;
        match op {
            JudgingOp::Void { mark, reason } => {
                let (s, m) = c
                    .skills
                    .iter()
                    .enumerate()
                    .find_map(|(s, sk)| sk.marks.iter().position(|m| m.id == mark).map(|m| (s, m)))
                    .ok_or_else(|| ApiError::not_found(format!("no mark {mark}")))?;
                policy::require_chief(caller, c, s)?;
                require_reason(&reason)?;
                skill_index = s;
                skill = (*c.skills[s]).clone();
                if !skill.state.accepts_marks() {
                    return Err(ApiError::conflict("skill_locked", "unlock the skill before voiding a mark"));
                }
                if skill.marks[m].void.is_some() {
                    return Err(ApiError::conflict("already_void", "the mark is void already"));
                }
                let version = bump(&txn, &skill).await?;
                store::mark::insert_void(
                    &txn,
                    mark_void::ActiveModel {
                        mark_id: Set(mark),
                        skill_id: Set(skill.id),
                        reason: Set(reason.clone()),
                        actor: Set(actor.clone()),
                        created_at: Set(Utc::now()),
                        skill_version: Set(version),
                    },
                )
                .await?;
                let stored = &skill.marks[m];
                audit = AuditEntry {
                    competition_id: Some(c.id),
                    skill_id: Some(skill.id),
                    actor,
                    action: "mark.voided",
                    subject: mark_subject(c, &skill, stored),
                    before: Some(mark_json(c, &skill, stored)),
                    after: None,
                    reason: Some(reason.clone()),
                };
                skill.marks[m].void = Some(reason);
                skill.version = version;
            }
            JudgingOp::SetStatus { entry, status, reason } => {
                policy::require_admin(caller)?;
                require_reason(&reason)?;
                let e = find_entry(&entry)?;
                skill_index = c.entries[e].skill;
                skill = (*c.skills[skill_index]).clone();
                if !skill.state.accepts_marks() {
                    return Err(ApiError::conflict(
                        "skill_locked",
                        "unlock the skill before changing an entry's status",
                    ));
                }
                let before = c.entries[e].status;
                let version = bump(&txn, &skill).await?;
                store::structure::update_entry_status(&txn, c.entries[e].id, status).await?;
                audit = AuditEntry {
                    competition_id: Some(c.id),
                    skill_id: Some(skill.id),
                    actor,
                    action: "entry.status_changed",
                    subject: c.entries[e].code.clone(),
                    before: Some(json!({ "status": before })),
                    after: Some(json!({ "status": status })),
                    reason: Some(reason),
                };
                skill.version = version;
                let mut updated = (**c).clone();
                Arc::make_mut(&mut updated.entries)[e].status = status;
                return self.finish(txn, audit, updated, skill_index, skill).await;
            }
            JudgingOp::Lock { skill: key } => {
                let s = find_skill(&key)?;
                policy::require_chief(caller, c, s)?;
                skill_index = s;
                skill = (*c.skills[s]).clone();
                if !skill.state.accepts_marks() {
                    return Err(ApiError::conflict(
                        "invalid_state",
                        format!("skill '{key}' is {} already", skill.state),
                    ));
                }
                let open = skill.result.open_discrepancies();
                if open > 0 {
                    return Err(ApiError::conflict(
                        "open_discrepancies",
                        format!("{open} judgement discrepancies are open; resolve them before locking"),
                    ));
                }
                skill.version = set_state(&txn, &skill, SkillState::Locked).await?;
                audit = state_audit(c, &skill, &actor, "skill.locked", SkillState::Locked, None);
                skill.state = SkillState::Locked;
            }
            JudgingOp::Unlock { skill: key, reason } => {
                policy::require_admin(caller)?;
                require_reason(&reason)?;
                let s = find_skill(&key)?;
                skill_index = s;
                skill = (*c.skills[s]).clone();
                if skill.state.accepts_marks() {
                    return Err(ApiError::conflict("invalid_state", format!("skill '{key}' is not locked")));
                }
                skill.version = set_state(&txn, &skill, SkillState::Marking).await?;
                audit = state_audit(c, &skill, &actor, "skill.unlocked", SkillState::Marking, Some(reason));
                skill.state = SkillState::Marking;
            }
            JudgingOp::Publish { skill: key } => {
                policy::require_admin(caller)?;
                let s = find_skill(&key)?;
                skill_index = s;
                skill = (*c.skills[s]).clone();
                if skill.state != SkillState::Locked {
                    return Err(ApiError::conflict(
                        "invalid_state",
                        format!("only a locked skill can be published; '{key}' is {}", skill.state),
                    ));
                }
                skill.version = set_state(&txn, &skill, SkillState::Published).await?;
                audit = state_audit(c, &skill, &actor, "skill.published", SkillState::Published, None);
                skill.state = SkillState::Published;
            }
            JudgingOp::Override { entry, aspect, reason } => {
                require_reason(&reason)?;
                let e = find_entry(&entry)?;
                skill_index = c.entries[e].skill;
                policy::require_chief(caller, c, skill_index)?;
                skill = (*c.skills[skill_index]).clone();
                let a = *skill
                    .aspect_ix
                    .get(&aspect)
                    .ok_or_else(|| ApiError::not_found(format!("no aspect '{aspect}' in skill '{}'", skill.code())))?;
                let flagged = skill
                    .result
                    .discrepancies
                    .iter()
                    .any(|d| d.entry == c.entries[e].code && d.aspect == aspect && !d.overridden);
                if !flagged {
                    return Err(ApiError::conflict("no_discrepancy", "there is no open discrepancy to resolve here"));
                }
                skill.version = bump(&txn, &skill).await?;
                let covers_seq = skill.max_seq();
                store::mark::insert_override(
                    &txn,
                    discrepancy_override::ActiveModel {
                        id: Set(Uuid::now_v7()),
                        skill_id: Set(skill.id),
                        entry_id: Set(c.entries[e].id),
                        aspect_id: Set(skill.aspect_ids[a]),
                        judge_id: Set(policy::judge_in(caller, c).map(|j| c.judges[j].id)),
                        reason: Set(reason.clone()),
                        covers_seq: Set(covers_seq),
                        actor: Set(actor.clone()),
                        created_at: Set(Utc::now()),
                    },
                )
                .await?;
                audit = AuditEntry {
                    competition_id: Some(c.id),
                    skill_id: Some(skill.id),
                    actor,
                    action: "discrepancy.overridden",
                    subject: format!("{}/{}", entry, aspect),
                    before: None,
                    after: None,
                    reason: Some(reason.clone()),
                };
                skill.overrides.push(StoredOverride { entry: e, aspect: a, covers_seq, reason });
            }
        }
        self.finish(txn, audit, (**c).clone(), skill_index, skill).await
    }

    async fn finish(
        &mut self,
        txn: sea_orm::DatabaseTransaction,
        audit: AuditEntry,
        mut updated: Competition,
        skill_index: usize,
        mut skill: Skill,
    ) -> ApiResult<serde_json::Value> {
        store::audit::insert(&txn, audit).await?;
        skill.result = Arc::new(compute(&updated, &skill));
        let state = skill.state;
        let code = skill.code().to_owned();
        updated.skills[skill_index] = Arc::new(skill);
        let before = self.competition(updated.id).await?;
        let numbered = self.number_changes(&txn, &before, &updated, &[code]).await?;
        txn.commit().await?;
        let updated = Arc::new(updated);
        self.put(updated.clone());
        self.hub.publish(&updated, &numbered);
        Ok(json!({ "skill": updated.skills[skill_index].code(), "state": state }))
    }
}

fn require_reason(reason: &str) -> ApiResult<()> {
    if reason.trim().is_empty() { Err(ApiError::field("/reason", "reason_required", "give a reason")) } else { Ok(()) }
}

/// Bumps a skill's version in the transaction; refuses if another instance wrote first.
async fn bump(txn: &impl ConnectionTrait, skill: &Skill) -> ApiResult<i64> {
    let rows = store::mark::bump_skills(txn, &[skill.id], None).await?;
    check_bumped(skill, &rows)
}

async fn set_state(txn: &impl ConnectionTrait, skill: &Skill, state: SkillState) -> ApiResult<i64> {
    let rows = store::mark::bump_skills(txn, &[skill.id], Some(state.as_str())).await?;
    check_bumped(skill, &rows)
}

fn check_bumped(skill: &Skill, rows: &[entity::skill::Model]) -> ApiResult<i64> {
    match rows.first() {
        Some(row) if row.version == skill.version + 1 => Ok(row.version),
        _ => Err(ApiError::conflict("concurrent_change", "the skill changed meanwhile; try again")),
    }
}

fn state_audit(
    c: &Competition,
    skill: &Skill,
    actor: &str,
    action: &'static str,
    to: SkillState,
    reason: Option<String>,
) -> AuditEntry {
    AuditEntry {
        competition_id: Some(c.id),
        skill_id: Some(skill.id),
        actor: actor.to_owned(),
        action,
        subject: skill.code().to_owned(),
        before: Some(json!({ "state": skill.state })),
        after: Some(json!({ "state": to })),
        reason,
    }
}

fn mark_subject(c: &Competition, skill: &Skill, m: &StoredMark) -> String {
    let aspect = skill.aspect(m.aspect).map(|a| a.code.to_string()).unwrap_or_default();
    format!("{}/{}/{}", c.entries[m.entry].code, aspect, c.judges[m.judge].code)
}

fn mark_json(c: &Competition, skill: &Skill, m: &StoredMark) -> serde_json::Value {
    json!({
        "id": m.id,
        "entry": c.entries[m.entry].code,
        "aspect": skill.aspect(m.aspect).map(|a| a.code.to_string()),
        "judge": c.judges[m.judge].code,
        "value": m.value,
    })
}

trait WithoutSeq {
    fn into_active_model_without_seq(self) -> mark::ActiveModel;
}

impl WithoutSeq for mark::Model {
    fn into_active_model_without_seq(self) -> mark::ActiveModel {
        let mut active: mark::ActiveModel = sea_orm::IntoActiveModel::into_active_model(self);
        active.seq = sea_orm::ActiveValue::NotSet;
        active
    }
}

/// Checks one job (a batch of marks, all or nothing) and, when it passes, adds its new
/// marks to the working skills and the pending rows.
fn validate_job(
    c: &Competition,
    job: &MarkJob,
    existing: &HashMap<Uuid, mark::Model>,
    pending_ids: &mut HashMap<Uuid, (Uuid, Uuid, Uuid, i64)>,
    working: &mut HashMap<usize, Skill>,
    pending: &mut Vec<Pending>,
) -> ApiResult<MarksOutcome> {
    if let Some(judge) = &job.caller.judge
        && judge.competition_id != c.id
    {
        return Err(ApiError::forbidden("not_a_judge_here", "you are not a judge of this competition"));
    }
    let mut errors = Vec::new();
    let mut outcome = MarksOutcome::default();
    let mut accepted: Vec<(usize, StoredMark, mark::Model, AuditEntry)> = Vec::new();
    let mut seen = HashSet::new();
    let error = |index: usize, id: Uuid, field: &str, code: &str, detail: String| FieldError {
        index: Some(index),
        id: Some(id.to_string()),
        pointer: format!("/marks/{index}{field}"),
        code: code.to_owned(),
        detail,
    };
    for (index, m) in job.marks.iter().enumerate() {
        // Resolve what can be resolved first: a duplicate is recognised before any other check.
        let entry = c.entry(&m.entry);
        let judge = policy::marking_judge(&job.caller, c, m.judge.as_deref());
        let skill_ix = entry.map(|e| c.entries[e].skill);
        let aspect = skill_ix.and_then(|s| c.skills[s].aspect_ix.get(&m.aspect).copied());
        let value = Centi::from_json(&m.value);
        let body = match (entry, aspect, &judge, &value) {
            (Some(e), Some(a), Ok(j), Ok(v)) => {
                Some((c.entries[e].id, c.skills[c.entries[e].skill].aspect_ids[a], c.judges[*j].id, v.0))
            }
            _ => None,
        };
        let earlier = existing
            .get(&m.id)
            .map(|s| (s.entry_id, s.aspect_id, s.judge_id, s.value_centi))
            .or_else(|| pending_ids.get(&m.id).copied());
        if let Some(stored) = earlier {
            if body == Some(stored) {
                outcome.duplicates += 1;
                continue;
            }
            return Err(ApiError::conflict(
                "mark_id_conflict",
                format!("mark {} was stored already with a different body", m.id),
            ));
        }
        if !seen.insert(m.id) {
            errors.push(error(index, m.id, "/id", "duplicate_id", "the same id appears twice in this batch".into()));
            continue;
        }
        let Some(e) = entry else {
            errors.push(error(index, m.id, "/entry", "unknown_entry", format!("no entry '{}'", m.entry)));
            continue;
        };
        let s = c.entries[e].skill;
        let Some(a) = aspect else {
            errors.push(error(
                index,
                m.id,
                "/aspect",
                "unknown_aspect",
                format!("skill '{}' has no aspect '{}'", c.skills[s].code(), m.aspect),
            ));
            continue;
        };
        let j = match judge {
            Ok(j) => j,
            Err((code, detail)) => {
                errors.push(error(index, m.id, "/judge", code, detail));
                continue;
            }
        };
        if let Err((code, detail)) = policy::may_mark(c, j, e) {
            errors.push(error(index, m.id, "", code, detail));
            continue;
        }
        let value = match value {
            Ok(v) => v,
            Err(why) => {
                errors.push(error(index, m.id, "/value", "invalid_value", format!("{} is {why}", m.value)));
                continue;
            }
        };
        // Read-only: what this group stored so far, else the model. Marks accepted earlier
        // in this same batch are looked up in `accepted` (a batch may correct itself).
        let skill: &Skill = working.get(&s).unwrap_or(&c.skills[s]);
        let Some(spec) = skill.aspect(a) else {
            continue;
        };
        if let Err((code, detail)) = check_value(spec, value) {
            errors.push(error(index, m.id, "/value", code, detail));
            continue;
        }
        let measured = spec.kind == crate::domain::kinds::AspectKind::Measurement;
        let previous = accepted
            .iter()
            .rev()
            .map(|(_, m, _, _)| m)
            .find(|m| m.entry == e && m.aspect == a && (measured || m.judge == j))
            .or_else(|| skill.current_mark(e, a, j))
            .cloned();
        let reason = m.reason.clone().filter(|r| !r.trim().is_empty());
        if previous.is_some() && reason.is_none() {
            errors.push(error(
                index,
                m.id,
                "/reason",
                "reason_required",
                "this corrects an earlier mark: give a reason".into(),
            ));
            continue;
        }
        let now = Utc::now();
        let stored = StoredMark {
            seq: 0,
            id: m.id,
            entry: e,
            aspect: a,
            judge: j,
            value,
            reason: reason.as_deref().map(Arc::from),
            supersedes: previous.as_ref().map(|p| p.id),
            entered_by: job.caller.actor().into(),
            created_at: now,
            void: None,
        };
        let row = mark::Model {
            seq: 0,
            id: m.id,
            competition_id: c.id,
            skill_id: skill.id,
            entry_id: c.entries[e].id,
            aspect_id: skill.aspect_ids[a],
            judge_id: c.judges[j].id,
            value_centi: value.0,
            reason: reason.clone(),
            supersedes: stored.supersedes,
            entered_by: stored.entered_by.to_string(),
            created_at: now,
            skill_version: 0,
        };
        let audit = AuditEntry {
            competition_id: Some(c.id),
            skill_id: Some(skill.id),
            actor: job.caller.actor(),
            action: if previous.is_some() { "mark.corrected" } else { "mark.recorded" },
            subject: mark_subject(c, skill, &stored),
            before: previous.as_ref().map(|p| mark_json(c, skill, p)),
            after: Some(mark_json(c, skill, &stored)),
            reason,
        };
        accepted.push((s, stored, row, audit));
    }
    if !errors.is_empty() {
        let detail = format!("{} of {} marks were refused; none was stored", errors.len(), job.marks.len());
        return Err(ApiError::invalid(detail, errors));
    }
    outcome.accepted = accepted.len();
    for (s, stored, row, audit) in accepted {
        working.entry(s).or_insert_with(|| (*c.skills[s]).clone()).marks.push(stored);
        pending_ids.insert(row.id, (row.entry_id, row.aspect_id, row.judge_id, row.value_centi));
        pending.push(Pending { skill: s, row, audit });
    }
    Ok(outcome)
}

/// Whether this backend is PostgreSQL (several instances may share it).
pub fn is_postgres(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}
