//! Generated competition packages (`podium.competition/1`) for the benchmarks.
use serde_json::{Value, json};

/// The delegation of every judge: no judge ever marks their own delegation's entry.
pub const JURY: &str = "JRY";

/// `prefix` + `n`, zero-padded to at least `min_width` digits and wide enough for `max`.
pub fn numbered(prefix: &str, n: u32, max: u32, min_width: usize) -> String {
    let width = max.to_string().len().max(min_width);
    format!("{prefix}{n:0width$}")
}

/// The marking scheme's aspect codes: criterion A holds the first half (rounded up), B the rest.
pub fn aspect_codes(aspects: u32) -> Vec<String> {
    let in_a = aspects.div_ceil(2);
    (1..=in_a).map(|i| format!("A{i}")).chain((1..=aspects - in_a).map(|i| format!("B{i}"))).collect()
}

fn criteria(aspects: u32) -> Vec<Value> {
    let codes = aspect_codes(aspects);
    let mut out = Vec::new();
    for criterion in ["A", "B"] {
        let list: Vec<Value> = codes
            .iter()
            .filter(|code| code.starts_with(criterion))
            .map(|code| json!({"code": code, "description": format!("Aspect {code}"), "kind": "measurement", "max": "10.00"}))
            .collect();
        if !list.is_empty() {
            out.push(json!({"code": criterion, "name": format!("Module {criterion}"), "aspects": list}));
        }
    }
    out
}

fn skill(code: &str, aspects: u32) -> Value {
    json!({
        "code": code,
        "name": format!("Benchmark skill {code}"),
        "team_size": 1,
        "standardise": "none",
        "tie_tolerance": 0,
        "tie_break": "none",
        "max_judgement_spread": 1,
        "judgement_aggregation": {"method": "mean"},
        "criteria": criteria(aspects),
    })
}

fn delegations(entries: u32) -> Vec<Value> {
    let mut list: Vec<Value> = (1..=entries)
        .map(|d| {
            let code = delegation(d, entries);
            json!({"code": code, "name": format!("Delegation {code}")})
        })
        .collect();
    list.push(json!({"code": JURY, "name": "Jury"}));
    list
}

pub fn delegation(d: u32, entries: u32) -> String {
    numbered("D", d, entries, 3)
}

pub fn skill_code(s: u32, skills: u32) -> String {
    numbered("S", s, skills, 2)
}

pub fn entry_code(skill: &str, d: u32, entries: u32) -> String {
    format!("{skill}-{}", delegation(d, entries))
}

pub fn judge_code(j: u32, judges: u32) -> String {
    numbered("J", j, judges, 3)
}

fn entries(skill: &str, entries: u32) -> impl Iterator<Item = Value> + '_ {
    (1..=entries).map(move |d| {
        json!({
            "code": entry_code(skill, d, entries),
            "skill": skill,
            "delegation": delegation(d, entries),
            "members": [format!("Competitor {d} of {skill}")],
        })
    })
}

/// The `marks` benchmark: `skills` skills S01.. of `entries` entries each (one per delegation
/// D001..), `aspects` measurement aspects max 10.00; `judges` judges J001.. of delegation JRY,
/// each assigned to every skill. No marks.
pub fn marks_package(code: &str, skills: u32, entry_count: u32, aspects: u32, judges: u32) -> Value {
    let skill_codes: Vec<String> = (1..=skills).map(|s| skill_code(s, skills)).collect();
    json!({
        "format": "podium.competition/1",
        "competition": {"code": code, "name": format!("Load test {code}"), "timezone": "UTC", "medal_order": "olympic"},
        "delegations": delegations(entry_count),
        "skills": skill_codes.iter().map(|s| skill(s, aspects)).collect::<Vec<_>>(),
        "entries": skill_codes.iter().flat_map(|s| entries(s, entry_count)).collect::<Vec<_>>(),
        "judges": (1..=judges).map(|j| {
            let code = judge_code(j, judges);
            json!({"code": code, "name": format!("Judge {code}"), "delegation": JURY, "skills": skill_codes, "role": "judge"})
        }).collect::<Vec<_>>(),
        "marks": [],
    })
}

/// The live skill of the `live --target podium` benchmark.
pub const LIVE_SKILL: &str = "LIVE";
pub const LIVE_JUDGE: &str = "J1";
pub const LIVE_ENTRIES: u32 = 30;
pub const LIVE_ASPECTS: u32 = 4;

/// The `live` benchmark: one skill `LIVE` (no standardisation) of 30 entries and measurement
/// aspects only, judge J1 of the jury delegation. One mark is included so that the skill is
/// already `marking` when the viewers subscribe (no state change during the run).
pub fn live_package(code: &str, first_mark: (&str, &str, &str)) -> Value {
    let (entry, aspect, value) = first_mark;
    json!({
        "format": "podium.competition/1",
        "competition": {"code": code, "name": format!("Live load test {code}"), "timezone": "UTC", "medal_order": "olympic"},
        "delegations": delegations(LIVE_ENTRIES),
        "skills": [skill(LIVE_SKILL, LIVE_ASPECTS)],
        "entries": entries(LIVE_SKILL, LIVE_ENTRIES).collect::<Vec<_>>(),
        "judges": [{"code": LIVE_JUDGE, "name": "Live judge", "delegation": JURY, "skills": [LIVE_SKILL], "role": "judge"}],
        "marks": [{"id": uuid::Uuid::new_v4().to_string(), "judge": LIVE_JUDGE, "entry": entry, "aspect": aspect, "value": value}],
    })
}

/// A value in hundredths as the API's decimal string (`537` → `"5.37"`).
pub fn centi(value: u32) -> String {
    format!("{}.{:02}", value / 100, value % 100)
}
