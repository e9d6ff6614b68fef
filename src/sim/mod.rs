//! `podium simulate`: a rehearsal of a competition on a running server, over its public
//! HTTP API exactly as the judges' tablets speak it. It copies the competition under a
//! rehearsal code (setup only, no marks), issues every judge a one-time code and logs in
//! with it, plays the script of [`plan`] at the chosen speed, and finally reads the stored
//! marks back and compares them with what it sent.
pub mod plan;

use plan::{Kind, Mark, Script, Shape};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where and how to rehearse.
#[derive(Debug, Clone)]
pub struct Rehearsal {
    /// The server, e.g. `http://127.0.0.1:8080`.
    pub server: String,
    pub username: String,
    pub password: String,
    /// The competition copied.
    pub code: String,
    /// The rehearsal copy's code.
    pub copy: String,
    /// Remove an existing copy first.
    pub replace: bool,
    /// Competition time per real time: 60 plays 5 minutes in 5 seconds.
    pub speed: f64,
    pub shape: Shape,
}

/// What a rehearsal did.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub judges: usize,
    pub requests: usize,
    pub marks_sent: usize,
    pub corrections: usize,
    pub discrepancies_planned: usize,
    pub discrepancies_open: usize,
    pub bursts: usize,
    pub burst_marks: usize,
    pub duplicates_resent: usize,
    pub duplicates_acknowledged: usize,
    pub marks_stored: usize,
    pub mismatches: usize,
    pub elapsed: Duration,
    /// The first few mismatches, described.
    pub problems: Vec<String>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "judges: {}", self.judges)?;
        writeln!(f, "requests: {}", self.requests)?;
        writeln!(f, "marks sent: {}", self.marks_sent)?;
        writeln!(f, "corrections (with reasons): {}", self.corrections)?;
        writeln!(
            f,
            "discrepant judgement scores: {} (open discrepancies at the end: {})",
            self.discrepancies_planned, self.discrepancies_open
        )?;
        writeln!(f, "offline bursts: {} ({} marks)", self.bursts, self.burst_marks)?;
        writeln!(
            f,
            "duplicates resent: {} (acknowledged as duplicates: {})",
            self.duplicates_resent, self.duplicates_acknowledged
        )?;
        writeln!(f, "marks stored: {}", self.marks_stored)?;
        writeln!(f, "mismatches: {}", self.mismatches)?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        write!(f, "took {:.1} s", self.elapsed.as_secs_f64())
    }
}

struct Api {
    client: Client,
    base: String,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Value), String> {
        let mut request = self.client.request(method.clone(), format!("{}/api/v1{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| format!("{method} {path}: {e}"))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| format!("{method} {path}: {e}"))?;
        Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
    }

    /// The call, which must answer `want`.
    async fn expect(
        &self,
        want: StatusCode,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Value, String> {
        let (status, value) = self.call(method.clone(), path, token, body).await?;
        if status != want {
            let detail = value["detail"].as_str().map(str::to_owned).unwrap_or_else(|| value.to_string());
            return Err(format!("{method} {path}: {status}: {detail}"));
        }
        Ok(value)
    }

    async fn login(&self, body: Value) -> Result<String, String> {
        let session = self.expect(StatusCode::CREATED, reqwest::Method::POST, "/session", None, Some(&body)).await?;
        session["token"].as_str().map(str::to_owned).ok_or_else(|| "log-in answered no token".to_owned())
    }
}

/// The rehearsal copy of an export: same setup under another code, no marks, every skill
/// open for marking.
fn rehearsal_package(mut package: Value, copy: &str) -> Value {
    package["competition"]["code"] = json!(copy);
    if let Some(name) = package["competition"]["name"].as_str() {
        package["competition"]["name"] = json!(format!("{name} (rehearsal)"));
    }
    package["marks"] = json!([]);
    package["overrides"] = json!([]);
    package["published"] = json!([]);
    for skill in package["skills"].as_array_mut().into_iter().flatten() {
        skill["state"] = json!("marking");
        if let Some(object) = skill.as_object_mut() {
            object.remove("accepted_gaps");
        }
    }
    package
}

/// Runs a rehearsal; `Err` when the server could not be driven at all.
pub async fn run(r: &Rehearsal) -> Result<Report, String> {
    let started = Instant::now();
    let api = Arc::new(Api { client: Client::new(), base: r.server.trim_end_matches('/').to_owned() });
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;
    let admin = api.login(json!({"username": r.username, "password": r.password})).await?;
    let export = api
        .expect(StatusCode::OK, get.clone(), &format!("/competitions/{}/export", r.code), Some(&admin), None)
        .await?;
    let (status, _) = api.call(get.clone(), &format!("/competitions/{}", r.copy), Some(&admin), None).await?;
    if status == StatusCode::OK {
        if !r.replace {
            return Err(format!("the rehearsal copy {} exists already; give --replace to start it afresh", r.copy));
        }
        api.expect(
            StatusCode::NO_CONTENT,
            reqwest::Method::DELETE,
            &format!("/competitions/{}", r.copy),
            Some(&admin),
            None,
        )
        .await?;
    }
    let package = rehearsal_package(export, &r.copy);
    api.expect(StatusCode::CREATED, post.clone(), "/competitions/import", Some(&admin), Some(&package)).await?;
    let script = plan::script(&package, &r.shape)?;

    let mut report = Report {
        judges: script.judges.len(),
        corrections: script.corrections,
        discrepancies_planned: script.discrepancies,
        ..Report::default()
    };
    let mut tokens = HashMap::new();
    for (judge, _) in &script.judges {
        let path = format!("/competitions/{}/judges/{judge}/code", r.copy);
        let code = api.expect(StatusCode::CREATED, post.clone(), &path, Some(&admin), Some(&json!({}))).await?;
        tokens.insert(judge.clone(), api.login(json!({"code": code["code"]})).await?);
    }
    let Script { judges, .. } = script;
    let start = tokio::time::Instant::now();
    let speed = r.speed.max(0.001);
    let mut tasks = Vec::new();
    for (judge, sends) in judges {
        let api = api.clone();
        let token = tokens.remove(&judge).unwrap_or_default();
        let path = format!("/competitions/{}/marks", r.copy);
        tasks.push(tokio::spawn(async move {
            let mut tally = Report::default();
            let mut sent = Vec::new();
            for send in sends {
                tokio::time::sleep_until(start + send.at.div_f64(speed)).await;
                let body = json!({"marks": send.marks.iter().map(Mark::json).collect::<Vec<_>>()});
                let answer =
                    api.expect(StatusCode::OK, reqwest::Method::POST, &path, Some(&token), Some(&body)).await?;
                let n = send.marks.len();
                let (accepted, duplicates) = (answer["accepted"].as_u64(), answer["duplicates"].as_u64());
                tally.requests += 1;
                match send.kind {
                    Kind::Resend => {
                        tally.duplicates_resent += n;
                        tally.duplicates_acknowledged += duplicates.unwrap_or(0) as usize;
                        if (accepted, duplicates) != (Some(0), Some(n as u64)) {
                            tally.problems.push(format!("{judge}: a resent batch of {n} was answered {answer}"));
                        }
                    }
                    kind => {
                        if kind == Kind::Burst {
                            tally.bursts += 1;
                            tally.burst_marks += n;
                        }
                        if (accepted, duplicates) != (Some(n as u64), Some(0)) {
                            tally.problems.push(format!("{judge}: a batch of {n} new marks was answered {answer}"));
                        }
                        tally.marks_sent += n;
                        sent.extend(send.marks);
                    }
                }
            }
            Ok::<_, String>((tally, sent))
        }));
    }
    let mut sent: Vec<Mark> = Vec::new();
    for task in tasks {
        let (tally, marks) = task.await.map_err(|e| e.to_string())??;
        report.requests += tally.requests;
        report.marks_sent += tally.marks_sent;
        report.bursts += tally.bursts;
        report.burst_marks += tally.burst_marks;
        report.duplicates_resent += tally.duplicates_resent;
        report.duplicates_acknowledged += tally.duplicates_acknowledged;
        report.problems.extend(tally.problems);
        sent.extend(marks);
    }
    report.mismatches = report.problems.len();

    let stored =
        api.expect(StatusCode::OK, get.clone(), &format!("/competitions/{}/marks", r.copy), Some(&admin), None).await?;
    let stored = stored.as_array().cloned().unwrap_or_default();
    report.marks_stored = stored.len();
    compare(&sent, &stored, &mut report);
    for skill in package["skills"].as_array().into_iter().flatten() {
        let code = skill["code"].as_str().unwrap_or_default();
        let path = format!("/competitions/{}/skills/{code}/discrepancies", r.copy);
        let open = api.expect(StatusCode::OK, get.clone(), &path, Some(&admin), None).await?;
        report.discrepancies_open += open["discrepancies"].as_array().map_or(0, Vec::len);
    }
    report.problems.truncate(10);
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Every stored mark must be one that was sent, with the same body, and each judge's marks
/// stored in the order that judge sent them; every sent mark must be stored.
fn compare(sent: &[Mark], stored: &[Value], report: &mut Report) {
    let mut problems = Vec::new();
    let by_id: HashMap<String, &Mark> = sent.iter().map(|m| (m.id.to_string(), m)).collect();
    let mut order: HashMap<&str, Vec<String>> = HashMap::new();
    for s in stored {
        let id = s["id"].as_str().unwrap_or_default();
        let Some(m) = by_id.get(id) else {
            problems.push(format!("stored mark {id} was never sent"));
            continue;
        };
        let value = s["value"].as_str().and_then(|v| {
            let (whole, frac) = v.split_once('.')?;
            Some(whole.parse::<i64>().ok()? * 100 + frac.parse::<i64>().ok()?)
        });
        let same = s["judge"] == m.judge.as_str()
            && s["entry"] == m.entry.as_str()
            && s["aspect"] == m.aspect.as_str()
            && value == Some(m.value)
            && s["reason"].as_str() == m.reason.as_deref()
            && s["void"] == false;
        if !same {
            problems.push(format!("mark {id} was stored as {s}, sent as {:?}", m));
        }
        order.entry(m.judge.as_str()).or_default().push(id.to_owned());
    }
    let stored_ids: std::collections::HashSet<&str> = stored.iter().filter_map(|s| s["id"].as_str()).collect();
    for m in sent.iter().filter(|m| !stored_ids.contains(m.id.to_string().as_str())) {
        problems.push(format!("mark {} of {} was acknowledged but is not stored", m.id, m.judge));
    }
    let mut sent_order: HashMap<&str, Vec<String>> = HashMap::new();
    for m in sent {
        sent_order.entry(m.judge.as_str()).or_default().push(m.id.to_string());
    }
    for (judge, ids) in &sent_order {
        if order.get(judge) != Some(ids) {
            problems.push(format!("{judge}'s marks are not stored in the order sent"));
        }
    }
    report.mismatches += problems.len();
    report.problems.extend(problems);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent() -> Vec<Mark> {
        ["JA", "JA", "JB"]
            .iter()
            .enumerate()
            .map(|(i, judge)| Mark {
                id: uuid::Uuid::new_v4(),
                judge: (*judge).to_owned(),
                entry: "S-C".into(),
                aspect: "M".into(),
                value: 725 + i as i64,
                judgement: false,
                binary: None,
                reason: (i == 1).then(|| "re-measured".to_owned()),
            })
            .collect()
    }

    fn stored(marks: &[Mark]) -> Vec<Value> {
        marks
            .iter()
            .map(|m| {
                json!({"id": m.id, "judge": m.judge, "entry": m.entry, "aspect": m.aspect,
                       "value": format!("{}.{:02}", m.value / 100, m.value % 100), "reason": m.reason, "void": false})
            })
            .collect()
    }

    fn mismatches(sent: &[Mark], stored: &[Value]) -> usize {
        let mut report = Report::default();
        compare(sent, stored, &mut report);
        report.mismatches
    }

    #[test]
    fn what_was_sent_stored_as_sent_has_no_mismatch() {
        let sent = sent();
        assert_eq!(mismatches(&sent, &stored(&sent)), 0);
    }

    #[test]
    fn a_changed_missing_extra_or_reordered_mark_is_a_mismatch() {
        let sent = sent();
        let mut changed = stored(&sent);
        changed[0]["value"] = json!("7.26");
        assert!(mismatches(&sent, &changed) > 0);
        let mut reason = stored(&sent);
        reason[1]["reason"] = Value::Null;
        assert!(mismatches(&sent, &reason) > 0);
        assert!(mismatches(&sent, &stored(&sent)[1..]) > 0);
        let mut extra = stored(&sent);
        extra.push(json!({"id": uuid::Uuid::new_v4()}));
        assert!(mismatches(&sent, &extra) > 0);
        let mut reordered = stored(&sent);
        reordered.swap(0, 1);
        assert!(mismatches(&sent, &reordered) > 0);
    }
}
