//! The engine: one task per instance that performs every write, as a thin shell around
//! `decide`: batch → decide → store in one transaction → commit → reply → publish.
//!
//! Marks waiting in its queue are decided one request after another and stored together
//! (group commit): a durable commit costs one fsync however many requests it carries. When
//! another instance wrote first (a guarded version moved), it reloads and decides again
//! until a deadline, then answers 503. Readers take an `Arc` of a model and never wait.
use super::models::Models;
use crate::error::Rejection;
use crate::error::{ApiError, ApiResult};
use crate::live::channel::{self, Change};
use crate::live::{Hub, Revocation, relay};
use crate::model::record::SessionRecord;
use crate::model::{
    Caller, Command, Competition, Decision, MarkGroup, MarkIn, Outcome, Write, decide, redeem_login_code,
};
use crate::store::sqlite_writer::SqliteWriter;
use crate::store::{self, Db, StoreError, Tx};
use crate::telemetry::Metrics;
use chrono::Utc;
use rustc_hash::FxHashMap;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// How long a write keeps deciding again while other instances win the race.
const RETRY_DEADLINE: Duration = Duration::from_secs(3);
/// Requests taken from the queue at once.
const BATCH: usize = 512;

/// A write's result: what the caller is told, and the model after it (`None`: deleted).
pub struct Done {
    pub outcome: Outcome,
    pub model: Option<Arc<Competition>>,
}

type Reply = oneshot::Sender<ApiResult<Done>>;

enum Job {
    Command {
        competition: Uuid,
        caller: Caller,
        // Boxed: a registration command carries a whole skill, a mark batch a few pointers.
        command: Box<Command>,
        reply: Reply,
    },
    Redeem {
        competition: Uuid,
        code_hash: String,
        session: SessionRecord,
        reply: Reply,
    },
    Load {
        key: String,
        reply: oneshot::Sender<ApiResult<Option<Arc<Competition>>>>,
    },
    /// Another instance wrote: re-read the competition (its changes reach viewers by the relay).
    Refresh {
        competition: Uuid,
        reply: oneshot::Sender<ApiResult<Option<Arc<Competition>>>>,
    },
}

/// A handle on the engine; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    tx: mpsc::Sender<Job>,
    models: Models,
    instance: Uuid,
}

impl Engine {
    pub fn start(db: Db, hub: Hub, metrics: Metrics) -> Engine {
        let (tx, rx) = mpsc::channel(4096);
        let instance = Uuid::now_v7();
        let models = Models::default();
        let worker = Worker { db, hub, models: models.clone(), instance, metrics };
        tokio::spawn(worker.run(rx));
        Engine { tx, models, instance }
    }

    /// Writes waiting in the queue.
    pub fn queue_depth(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// This instance's id (several may share a PostgreSQL database).
    pub fn instance(&self) -> Uuid {
        self.instance
    }

    async fn ask<T>(&self, job: Job, answer: oneshot::Receiver<ApiResult<T>>) -> ApiResult<T> {
        self.tx.send(job).await.map_err(|_| ApiError::internal_msg("the engine has stopped"))?;
        answer.await.map_err(|_| ApiError::internal_msg("the engine stopped before answering"))?
    }

    /// A competition by code or id, 404 when there is none.
    pub async fn competition(&self, key: &str) -> ApiResult<Arc<Competition>> {
        if let Some(c) = self.models.get(key) {
            return Ok(c);
        }
        let (reply, answer) = oneshot::channel();
        self.ask(Job::Load { key: key.to_owned(), reply }, answer)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no competition '{key}'")))
    }

    /// Performs a write.
    pub async fn execute(&self, competition: Uuid, caller: Caller, command: Command) -> ApiResult<Done> {
        let (reply, answer) = oneshot::channel();
        self.ask(Job::Command { competition, caller, command: Box::new(command), reply }, answer).await
    }

    /// A judge logs in with a one-time code of this competition.
    pub async fn redeem(&self, competition: Uuid, code_hash: String, session: SessionRecord) -> ApiResult<Done> {
        let (reply, answer) = oneshot::channel();
        self.ask(Job::Redeem { competition, code_hash, session, reply }, answer).await
    }

    /// Re-reads a competition another instance changed.
    pub async fn refresh(&self, competition: Uuid) -> ApiResult<Option<Arc<Competition>>> {
        let (reply, answer) = oneshot::channel();
        self.ask(Job::Refresh { competition, reply }, answer).await
    }
}

struct Worker {
    db: Db,
    hub: Hub,
    models: Models,
    /// Tells this instance's own notifications apart from other instances'.
    instance: Uuid,
    metrics: Metrics,
}

/// A request of a group of marks.
struct MarkJob {
    caller: Caller,
    marks: Vec<MarkIn>,
    reply: Reply,
}

impl Worker {
    async fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        let mut batch = Vec::with_capacity(BATCH);
        while rx.recv_many(&mut batch, BATCH).await > 0 {
            // Marks are grouped per competition; any other job first stores the marks
            // queued before it, so every job sees the writes that came before it.
            let mut groups: Vec<(Uuid, Vec<MarkJob>)> = Vec::new();
            for job in batch.drain(..) {
                match job {
                    Job::Command { competition, caller, command, reply } if command.is_marks() => {
                        let Command::RecordMarks { marks } = *command else { continue };
                        let job = MarkJob { caller, marks, reply };
                        match groups.iter_mut().find(|(id, _)| *id == competition) {
                            Some((_, group)) => group.push(job),
                            None => groups.push((competition, vec![job])),
                        }
                    }
                    other => {
                        for (competition, group) in groups.drain(..) {
                            self.marks(competition, group).await;
                        }
                        self.handle(other).await;
                    }
                }
            }
            for (competition, group) in groups.drain(..) {
                self.marks(competition, group).await;
            }
        }
    }

    async fn handle(&mut self, job: Job) {
        match job {
            Job::Command { competition, caller, command, reply } => {
                let outcome = self.write(competition, |c| decide(c, &caller, (*command).clone(), Utc::now())).await;
                let _ = reply.send(outcome);
            }
            Job::Redeem { competition, code_hash, session, reply } => {
                let outcome = self.write(competition, |c| redeem_login_code(c, &code_hash, session.clone())).await;
                let _ = reply.send(outcome);
            }
            Job::Load { key, reply } => {
                let _ = reply.send(self.load_key(&key).await);
            }
            Job::Refresh { competition, reply } => {
                let _ = reply.send(self.reload(competition, false).await);
            }
        }
    }

    async fn load_key(&mut self, key: &str) -> ApiResult<Option<Arc<Competition>>> {
        if let Some(c) = self.models.get(key) {
            return Ok(Some(c));
        }
        match store::competition::find_id(&self.db, key).await? {
            Some(id) => self.reload(id, true).await,
            None => Ok(None),
        }
    }

    /// Re-reads a competition. `with_seqs` also hands the hub the live sequence numbers
    /// from the database; the relay passes false, since the changes it relays carry theirs.
    async fn reload(&mut self, id: Uuid, with_seqs: bool) -> ApiResult<Option<Arc<Competition>>> {
        let Some(model) = store::competition::load_model(&self.db, id).await? else {
            self.models.forget(id);
            self.hub.forget(id);
            return Ok(None);
        };
        let model = Arc::new(model);
        // The load's rows and buffers are freed by now: their pages go back to the system
        // beside the first answer, not before it.
        tokio::task::spawn_blocking(crate::memory::trim);
        let seqs = if with_seqs { store::live_seq::all(&self.db, id).await? } else { Default::default() };
        self.models.put(model.clone());
        self.hub.loaded(model.clone(), seqs);
        Ok(Some(model))
    }

    async fn model(&mut self, id: Uuid) -> ApiResult<Arc<Competition>> {
        match self.models.get(&id.to_string()) {
            Some(c) => Ok(c),
            None => self.reload(id, true).await?.ok_or_else(|| ApiError::not_found("the competition no longer exists")),
        }
    }

    /// Decides and stores one write, then publishes.
    async fn write(
        &mut self,
        competition: Uuid,
        decide: impl Fn(&Competition) -> Result<Decision, Rejection>,
    ) -> ApiResult<Done> {
        let ((outcome, structure), model, numbered) = self
            .settle(competition, |c| {
                let decision = decide(c)?;
                Ok(((decision.outcome.clone(), decision.structure), decision))
            })
            .await?;
        if let Some(model) = &model {
            self.hub.publish(model.clone(), numbered, structure);
        }
        Ok(Done { outcome, model })
    }

    /// Decides a group of mark requests on one working model and stores them in one
    /// transaction. Each request's outcome is its own; if storing fails for a reason other
    /// than a lost race, each request is tried alone, so one cannot fail the others.
    async fn marks(&mut self, competition: Uuid, jobs: Vec<MarkJob>) {
        let started = Instant::now();
        let stored = self
            .settle(competition, |c| {
                let now = Utc::now();
                let mut group = MarkGroup::new(c);
                let outcomes: Vec<_> = jobs.iter().map(|j| group.decide(&j.caller, j.marks.clone(), now)).collect();
                Ok((outcomes, group.finish(Outcome::Done)))
            })
            .await;
        match stored {
            Ok((outcomes, model, numbered)) => {
                let sent = jobs.iter().map(|j| j.marks.len()).sum();
                self.metrics.group_commit(jobs.len(), sent, started.elapsed());
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    match &outcome {
                        Ok(Outcome::Marks { accepted, duplicates }) => self.metrics.marks(*accepted, *duplicates, 0),
                        Ok(_) => {}
                        Err(_) => self.metrics.marks(0, 0, job.marks.len()),
                    }
                    let done = outcome.map(|outcome| Done { outcome, model: model.clone() });
                    let _ = job.reply.send(done.map_err(ApiError::from));
                }
                // Replies first: a tablet's acknowledgement never waits for the fan-out.
                if let Some(model) = model {
                    self.hub.publish(model, numbered, false);
                }
            }
            Err(ApiError::Internal(error)) if jobs.len() > 1 => {
                tracing::warn!(%error, requests = jobs.len(), "storing a group of marks failed; storing each alone");
                for job in jobs {
                    Box::pin(self.marks(competition, vec![job])).await;
                }
            }
            Err(error) => {
                if let ApiError::Internal(cause) = &error {
                    tracing::error!(%cause, "storing marks failed");
                }
                if let ApiError::Rejected(_) = &error {
                    self.metrics.marks(0, 0, jobs.iter().map(|j| j.marks.len()).sum());
                }
                reply_all(jobs, || clone_error(&error));
            }
        }
    }

    /// Decides and stores until it holds. The first attempt decides on the cached model,
    /// outside any transaction. When another instance wrote first, the next attempts lock
    /// the skills the decision touches, read them afresh inside the transaction and decide
    /// there, so a busy peer cannot starve this instance; past a deadline the answer is 503.
    async fn settle<T>(
        &mut self,
        competition: Uuid,
        decide: impl Fn(&Competition) -> Result<(T, Decision), Rejection>,
    ) -> ApiResult<(T, Option<Arc<Competition>>, Vec<(Change, i64)>)> {
        let deadline = Instant::now() + RETRY_DEADLINE;
        let mut locked: Option<Vec<Uuid>> = None;
        loop {
            let attempt = match &locked {
                None => self.model(competition).await.map(|model| (None, model)),
                Some(skills) => self.read_locked(competition, skills).await.map(|(tx, model)| (Some(tx), model)),
            };
            // A lost race (a moved version, a taken id, a broken deadlock) while reading or
            // storing: decide again.
            let (why, guarded) = match attempt {
                Ok((tx, before)) => {
                    let (value, decision) = decide(&before)?;
                    let guarded: Vec<Uuid> = decision.guards.iter().map(|g| g.skill).collect();
                    match self.commit(tx, &before, decision).await {
                        Ok((model, numbered)) => return Ok((value, model, numbered)),
                        Err(StoreError::Conflict(why)) => (why, guarded),
                        Err(other) => return Err(other.into()),
                    }
                }
                Err(ApiError::Unavailable { detail, .. }) => (detail, Vec::new()),
                Err(other) => return Err(other),
            };
            tracing::debug!(%why, "another writer was first; deciding again on locked skills");
            if Instant::now() >= deadline {
                return Err(ApiError::Unavailable {
                    detail: "other writers kept changing these skills; nothing was stored, try again".into(),
                    retry_after: 1,
                });
            }
            if !guarded.is_empty() || locked.is_none() {
                locked = Some(guarded);
            }
        }
    }

    /// Opens a transaction, locks the skills and reads the competition inside it.
    async fn read_locked(&mut self, competition: Uuid, skills: &[Uuid]) -> ApiResult<(Tx, Arc<Competition>)> {
        let tx = self.db.begin().await?;
        store::competition::lock_skills(&tx, skills).await?;
        let model = store::competition::load_model_locked(&tx, competition).await?;
        let model = Arc::new(model.ok_or_else(|| ApiError::not_found("the competition no longer exists"))?);
        self.hub.loaded(model.clone(), store::live_seq::all(&self.db, competition).await?);
        self.models.put(model.clone());
        Ok((tx, model))
    }

    /// Stores a decision in one transaction (guards, writes, audit, live seqs, notification)
    /// and installs the new model. Returns the model and the numbered live changes.
    async fn commit(
        &mut self,
        tx: Option<Tx>,
        before: &Arc<Competition>,
        mut decision: Decision,
    ) -> Result<(Option<Arc<Competition>>, Vec<(Change, i64)>), StoreError> {
        if decision.writes.is_empty() && decision.audit.is_empty() {
            return Ok((Some(before.clone()), Vec::new()));
        }
        // What viewers will hear is worked out before the transaction (when there is none
        // yet), so the write lock is held for storing only.
        let changes = match &decision.model {
            Some(after) => {
                let skills: Vec<String> = if decision.structure {
                    after.skills.iter().map(|s| s.code().to_owned()).collect()
                } else {
                    decision.changed.iter().map(|s| after.skills[*s].code().to_owned()).collect()
                };
                channel::changes(before, after, &skills)
            }
            None => Vec::new(),
        };
        let keys: Vec<String> = changes.iter().map(|c| c.channel.key()).collect();
        let id = before.id;
        let (seqs, numbered) = match (tx, self.db.mark_writer()) {
            // Marks on SQLite: the whole transaction in one hand-off (nothing to notify).
            (None, Some(writer)) if SqliteWriter::takes(&decision.writes) => {
                let stored = writer.store(id, &decision.guards, &decision.writes, &decision.audit, &keys).await?;
                (stored.seqs, number(changes, keys, &stored.live))
            }
            (tx, _) => self.transact(tx, id, &decision, changes, keys).await?,
        };
        for revocation in revocations(&decision.writes) {
            self.hub.revoke(revocation);
        }
        let Some(mut after) = decision.model.take() else {
            self.models.forget(id);
            self.hub.forget(id);
            return Ok((None, Vec::new()));
        };
        after.settle_seqs(&decision.changed, &seqs);
        let after = Arc::new(after);
        self.models.put(after.clone());
        Ok((Some(after), numbered))
    }

    /// Stores a decision in a transaction (the caller's, or a new one): guards, writes,
    /// audit, live seqs and, on PostgreSQL, the notification other instances relay.
    async fn transact(
        &self,
        tx: Option<Tx>,
        id: Uuid,
        decision: &Decision,
        changes: Vec<Change>,
        keys: Vec<String>,
    ) -> Result<(FxHashMap<Uuid, i64>, Vec<(Change, i64)>), StoreError> {
        let tx = match tx {
            Some(tx) => tx,
            None => self.db.begin().await?,
        };
        store::write::guard(&tx, &decision.guards).await?;
        let seqs = store::write::apply(&tx, id, &decision.writes).await?;
        store::write::audit(&tx, id, &decision.audit).await?;
        let numbers = store::live_seq::advance(&tx, id, &keys).await?;
        let numbered = number(changes, keys, &numbers);
        if self.db.is_postgres() && decision.model.is_some() {
            for payload in relay::encode(self.instance, id, &numbered) {
                store::notify::notify(&tx, payload).await?;
            }
            for revocation in revocations(&decision.writes) {
                store::notify::notify(&tx, relay::encode_revocation(self.instance, revocation)).await?;
            }
        }
        tx.commit().await?;
        Ok((seqs, numbered))
    }
}

/// Each change with the seq its channel was given.
fn number(changes: Vec<Change>, keys: Vec<String>, numbers: &HashMap<String, i64>) -> Vec<(Change, i64)> {
    changes.into_iter().zip(keys).map(|(change, key)| (change, numbers.get(&key).copied().unwrap_or(0))).collect()
}

/// A reissued code ends the judge's sessions: their sockets drop to the public view.
fn revocations(writes: &[Write]) -> Vec<Revocation> {
    writes
        .iter()
        .filter_map(|w| match w {
            Write::RevokeJudgeSessions(judge) => Some(Revocation::Judge(*judge)),
            _ => None,
        })
        .collect()
}

fn reply_all(jobs: Vec<MarkJob>, error: impl Fn() -> ApiError) {
    for job in jobs {
        let _ = job.reply.send(Err(error()));
    }
}

/// The same error for every request of a group (internal causes are logged once, not copied).
fn clone_error(error: &ApiError) -> ApiError {
    match error {
        ApiError::Rejected(r) => ApiError::Rejected(r.clone()),
        ApiError::Unavailable { detail, retry_after } => {
            ApiError::Unavailable { detail: detail.clone(), retry_after: *retry_after }
        }
        ApiError::Internal(cause) => ApiError::internal_msg(cause.to_string()),
    }
}
