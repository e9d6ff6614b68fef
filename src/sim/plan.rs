//! The rehearsal's script, made up front from a competition package and a seed: which
//! judge sends which marks when, and how (live, in an offline burst, resent as duplicates).
//! Pure: no clock, no I/O, so the same seed gives the same rehearsal.
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

/// How a rehearsal behaves.
#[derive(Debug, Clone)]
pub struct Shape {
    /// Competition time the marking takes (compressed by the driver's speed).
    pub duration: Duration,
    pub seed: u64,
    /// Share of marks corrected later by the same judge, with a reason.
    pub corrections: f64,
    /// Share of judgement scores far from the panel's (a discrepancy for the chief).
    pub discrepancies: f64,
    /// Share of sends that go offline: queued, then sent as one batch later.
    pub bursts: f64,
    /// Share of sends resent after their acknowledgement (a tablet that missed the reply).
    pub duplicates: f64,
}

/// One mark as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub id: Uuid,
    pub judge: String,
    pub entry: String,
    pub aspect: String,
    /// Hundredths.
    pub value: i64,
    pub judgement: bool,
    /// A binary measurement: 0 or the aspect's max.
    pub binary: Option<i64>,
    pub reason: Option<String>,
}

impl Mark {
    pub fn json(&self) -> Value {
        let value = if self.judgement {
            Value::from(self.value / 100)
        } else {
            Value::from(format!("{}.{:02}", self.value / 100, self.value % 100))
        };
        let mut m = serde_json::json!({"id": self.id, "entry": self.entry, "aspect": self.aspect, "value": value});
        if let Some(reason) = &self.reason {
            m["reason"] = Value::from(reason.clone());
        }
        m
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Live,
    /// Marks queued offline, sent together when the tablet is back.
    Burst,
    /// A batch sent before, sent again with the same ids and bodies.
    Resend,
}

/// One request of one judge.
#[derive(Debug, Clone)]
pub struct Send {
    /// When, in competition time from the start.
    pub at: Duration,
    pub kind: Kind,
    pub marks: Vec<Mark>,
}

/// Everything a rehearsal does, by judge.
#[derive(Debug, Default)]
pub struct Script {
    pub judges: Vec<(String, Vec<Send>)>,
    pub corrections: usize,
    pub discrepancies: usize,
}

struct Aspect {
    code: String,
    judgement: bool,
    binary: bool,
    /// Hundredths.
    max: i64,
}

fn centi(value: &Value) -> Option<i64> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let frac = format!("{frac:0<2}");
    Some(whole.parse::<i64>().ok()? * 100 + frac.get(..2)?.parse::<i64>().ok()?)
}

const REASONS: &[&str] =
    &["misread the gauge", "re-measured after a challenge", "typed into the wrong row", "second look at the work"];

/// Makes the script. Each judge marks every aspect of every active entry they may mark
/// (judgements), measurements are shared out between the skill's judges, and the marks are
/// spread evenly over `duration` in a shuffled order.
pub fn script(package: &Value, shape: &Shape) -> Result<Script, String> {
    let mut rng = StdRng::seed_from_u64(shape.seed);
    let list = |key: &str| package[key].as_array().cloned().unwrap_or_default();
    let text = |v: &Value, key: &str| v[key].as_str().unwrap_or_default().to_owned();
    let mut aspects: HashMap<String, Vec<Aspect>> = HashMap::new();
    for skill in list("skills") {
        let mut all = Vec::new();
        for criterion in skill["criteria"].as_array().into_iter().flatten() {
            for a in criterion["aspects"].as_array().into_iter().flatten() {
                let max = centi(&a["max"]).ok_or_else(|| format!("aspect {} has no max", text(a, "code")))?;
                all.push(Aspect {
                    code: text(a, "code"),
                    judgement: a["kind"] == "judgement",
                    binary: a["mode"] == "binary",
                    max,
                });
            }
        }
        aspects.insert(text(&skill, "code"), all);
    }
    let entries = list("entries");
    let judges = list("judges");
    let mut plan: HashMap<String, Vec<Mark>> = HashMap::new();
    let mut script = Script::default();
    for (skill, skill_aspects) in &aspects {
        let panel: Vec<&Value> =
            judges.iter().filter(|j| j["skills"].as_array().is_some_and(|s| s.iter().any(|s| s == skill))).collect();
        for entry in entries.iter().filter(|e| e["skill"] == skill.as_str()) {
            if entry.get("status").and_then(Value::as_str).is_some_and(|s| s != "active") {
                continue;
            }
            let eligible: Vec<&&Value> = panel.iter().filter(|j| j["delegation"] != entry["delegation"]).collect();
            if eligible.is_empty() {
                continue;
            }
            for (n, aspect) in skill_aspects.iter().enumerate() {
                let markers: Vec<&&Value> =
                    if aspect.judgement { eligible.clone() } else { vec![eligible[n % eligible.len()]] };
                let consensus: i64 = rng.random_range(0..=3);
                for judge in markers {
                    let value = if aspect.judgement {
                        if rng.random_bool(shape.discrepancies) {
                            script.discrepancies += 1;
                            if consensus >= 2 { 0 } else { 300 }
                        } else {
                            (consensus + rng.random_range(-1..=1)).clamp(0, 3) * 100
                        }
                    } else if aspect.binary {
                        if rng.random_bool(0.7) { aspect.max } else { 0 }
                    } else {
                        rng.random_range(0..=aspect.max)
                    };
                    let mark = Mark {
                        id: Uuid::new_v4(),
                        judge: text(judge, "code"),
                        entry: text(entry, "code"),
                        aspect: aspect.code.clone(),
                        value,
                        judgement: aspect.judgement,
                        binary: aspect.binary.then_some(aspect.max),
                        reason: None,
                    };
                    plan.entry(mark.judge.clone()).or_default().push(mark);
                }
            }
        }
    }
    let mut codes: Vec<String> = plan.keys().cloned().collect();
    codes.sort();
    for code in codes {
        let mut marks = plan.remove(&code).unwrap_or_default();
        // Uuid::new_v4 above is not seeded: the order comes from the seeded shuffle only.
        for i in (1..marks.len()).rev() {
            marks.swap(i, rng.random_range(0..=i));
        }
        // Corrections come after the mark they correct, by the same judge.
        let mut corrected = Vec::new();
        for (i, m) in marks.iter().enumerate() {
            if rng.random_bool(shape.corrections) {
                let mut c = m.clone();
                c.id = Uuid::new_v4();
                c.value = match (c.judgement, c.binary) {
                    (true, _) => (c.value + 100) % 400,
                    (false, Some(max)) => max - c.value,
                    (false, None) if c.value == 0 => 1,
                    (false, None) => c.value - 1,
                };
                c.reason = Some(REASONS[rng.random_range(0..REASONS.len())].to_owned());
                corrected.push((rng.random_range(i + 1..=marks.len()), c));
            }
        }
        script.corrections += corrected.len();
        corrected.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
        for (at, c) in corrected {
            marks.insert(at, c);
        }
        script.judges.push((code, sends(marks, shape, &mut rng)));
    }
    Ok(script)
}

/// Spreads a judge's marks over the duration: one request per mark, except offline bursts
/// (several marks held, then sent as one batch) and resends of an earlier request.
fn sends(marks: Vec<Mark>, shape: &Shape, rng: &mut StdRng) -> Vec<Send> {
    let step = shape.duration / (marks.len() as u32 + 1);
    let mut sends: Vec<Send> = Vec::new();
    let mut i = 0;
    while i < marks.len() {
        let at = step * (i as u32 + 1);
        if rng.random_bool(shape.bursts) {
            let n = rng.random_range(3..=8).min(marks.len() - i);
            // Back online when the last queued mark would have been sent.
            let back = step * ((i + n) as u32);
            sends.push(Send { at: back, kind: Kind::Burst, marks: marks[i..i + n].to_vec() });
            i += n;
        } else {
            sends.push(Send { at, kind: Kind::Live, marks: vec![marks[i].clone()] });
            i += 1;
        }
        if rng.random_bool(shape.duplicates)
            && let Some(last) = sends.last().cloned()
        {
            sends.push(Send { at: last.at + step / 2, kind: Kind::Resend, marks: last.marks });
        }
    }
    sends
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package() -> Value {
        serde_json::json!({
            "skills": [{"code": "S", "criteria": [{"aspects": [
                {"code": "M", "kind": "measurement", "max": "10"},
                {"code": "J", "kind": "judgement", "max": "6", "panel": 3}]}]}],
            "entries": [
                {"code": "S-A", "skill": "S", "delegation": "A"},
                {"code": "S-B", "skill": "S", "delegation": "B"},
                {"code": "S-C", "skill": "S", "delegation": "C", "status": "withdrawn"}],
            "judges": [
                {"code": "JA", "delegation": "A", "skills": ["S"]},
                {"code": "JB", "delegation": "B", "skills": ["S"]},
                {"code": "JC", "delegation": "C", "skills": ["S"]}]
        })
    }

    fn shape() -> Shape {
        Shape {
            duration: Duration::from_secs(300),
            seed: 7,
            corrections: 0.5,
            discrepancies: 0.3,
            bursts: 0.3,
            duplicates: 0.3,
        }
    }

    #[test]
    fn judges_never_mark_their_own_delegation_nor_withdrawn_entries() {
        let script = script(&package(), &shape()).unwrap_or_default();
        for (judge, sends) in &script.judges {
            for m in sends.iter().flat_map(|s| &s.marks) {
                assert_ne!(m.entry, "S-C");
                assert_ne!(&m.entry[2..], &judge[1..], "{judge} marked {}", m.entry);
            }
        }
    }

    #[test]
    fn a_correction_follows_the_mark_it_corrects_and_gives_a_reason() {
        let script = script(&package(), &shape()).unwrap_or_default();
        for (_, sends) in &script.judges {
            let marks: Vec<&Mark> = sends.iter().filter(|s| s.kind != Kind::Resend).flat_map(|s| &s.marks).collect();
            for (i, m) in marks.iter().enumerate() {
                if m.reason.is_some() {
                    assert!(marks[..i].iter().any(|e| e.entry == m.entry && e.aspect == m.aspect));
                }
            }
        }
    }

    #[test]
    fn sends_stay_within_the_duration_in_time_order() {
        let script = script(&package(), &shape()).unwrap_or_default();
        for (_, sends) in &script.judges {
            assert!(sends.windows(2).all(|w| w[0].at <= w[1].at));
            assert!(sends.iter().all(|s| s.at <= Duration::from_secs(300)));
        }
    }
}
