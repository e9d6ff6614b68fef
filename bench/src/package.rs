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

/// The size of a WorldSkills competition: 60 skills, 70 delegations, 1,500 entries and as
/// many judges, 90,000 marks.
pub mod worldskills {
    use super::numbered;
    use serde_json::{Value, json};

    pub const SKILLS: u32 = 60;
    pub const DELEGATIONS: u32 = 70;
    /// Entries per skill, each of another delegation; as many judges per skill.
    pub const PER_SKILL: u32 = 25;
    /// Criteria A–E, each 6 measurements (max 2.00) and 2 judgements (max 4.00, panel 3):
    /// 100 points and 60 marks per entry.
    const CRITERIA: [&str; 5] = ["A", "B", "C", "D", "E"];
    const MEASURED: u32 = 6;
    const JUDGED: u32 = 2;
    const PANEL: u32 = 3;

    /// A small deterministic generator (SplitMix64): the same package on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn delegation(d: u32) -> String {
        numbered("D", d + 1, DELEGATIONS, 2)
    }

    fn skill_code(s: u32) -> String {
        numbered("S", s + 1, SKILLS, 2)
    }

    /// The delegation of entry `i` of skill `s`: 25 different ones per skill (3 is prime to 70).
    fn entry_delegation(s: u32, i: u32) -> u32 {
        (s + 3 * i) % DELEGATIONS
    }

    /// Judge `i` of skill `s` comes with the competitor of entry `i + 1`: never marks that one.
    fn judge_delegation(s: u32, i: u32) -> u32 {
        entry_delegation(s, (i + 1) % PER_SKILL)
    }

    fn judge_code(s: u32, i: u32) -> String {
        numbered("J", s * PER_SKILL + i + 1, SKILLS * PER_SKILL, 4)
    }

    fn scheme() -> Vec<Value> {
        CRITERIA
            .iter()
            .map(|c| {
                let measured = (1..=MEASURED).map(|a| {
                    json!({"code": format!("{c}{a}"), "description": format!("Measurement {c}{a}"),
                           "kind": "measurement", "max": "2.00"})
                });
                let judged = (1..=JUDGED).map(|a| {
                    json!({"code": format!("{c}J{a}"), "description": format!("Judgement {c}J{a}"),
                           "kind": "judgement", "max": "4.00", "panel": PANEL})
                });
                json!({"code": c, "name": format!("Module {c}"), "aspects": measured.chain(judged).collect::<Vec<_>>()})
            })
            .collect()
    }

    /// The package. Every entry gets one mark per measurement and three judges' scores per
    /// judgement (60 marks), except that every tenth entry has one measurement corrected (a
    /// second mark with a reason) and its last measurement still missing: 90,000 marks.
    pub fn package(code: &str) -> Value {
        let mut rng = Rng(0x5eed_2026);
        let delegations: Vec<Value> = (0..DELEGATIONS)
            .map(|d| json!({"code": delegation(d), "name": format!("Delegation {}", delegation(d))}))
            .collect();
        let scheme = scheme();
        let mut skills = Vec::new();
        let mut entries = Vec::new();
        let mut judges = Vec::new();
        let mut marks = Vec::new();
        for s in 0..SKILLS {
            let sc = skill_code(s);
            skills.push(json!({
                "code": sc, "name": format!("Skill {sc}"), "team_size": 1, "standardise": "robust700",
                "tie_tolerance": 0, "tie_break": "none", "max_judgement_spread": 1,
                "judgement_aggregation": {"method": "mean"}, "criteria": scheme,
            }));
            for i in 0..PER_SKILL {
                judges.push(json!({
                    "code": judge_code(s, i), "name": format!("Expert {}", judge_code(s, i)),
                    "delegation": delegation(judge_delegation(s, i)), "skills": [sc],
                    "role": if i == 0 { "chief" } else { "judge" },
                }));
            }
            for i in 0..PER_SKILL {
                let ec = format!("{sc}-{}", delegation(entry_delegation(s, i)));
                entries.push(json!({
                    "code": ec, "skill": sc, "delegation": delegation(entry_delegation(s, i)),
                    "members": [format!("Competitor {ec}")],
                }));
                // The judges who may mark entry i: all but the one of its delegation.
                let markers: Vec<u32> = (0..PER_SKILL).filter(|&j| (j + 1) % PER_SKILL != i).collect();
                let pick = |n: u64| markers[usize::try_from(n % markers.len() as u64).unwrap_or(0)];
                let skill_level = 40 + rng.below(50); // percent of the max this competitor reaches
                let gapped = i % 10 == 0;
                let mut n = u64::from(i);
                for c in CRITERIA {
                    for a in 1..=MEASURED {
                        n += 1;
                        if gapped && c == "E" && a == MEASURED {
                            continue;
                        }
                        let centi = (200 * skill_level / 100 + rng.below(60)).saturating_sub(30).min(200);
                        let judge = judge_code(s, pick(n));
                        marks.push(json!({"judge": judge, "entry": ec, "aspect": format!("{c}{a}"),
                                          "value": super::centi(u32::try_from(centi).unwrap_or(0))}));
                        if gapped && c == "A" && a == 1 {
                            let fixed = centi.saturating_add(5).min(200);
                            marks.push(json!({"judge": judge, "entry": ec, "aspect": format!("{c}{a}"),
                                              "value": super::centi(u32::try_from(fixed).unwrap_or(0)),
                                              "reason": "re-measured"}));
                        }
                    }
                    for a in 1..=JUDGED {
                        // Scores around the competitor's level; one panel in fifty disagrees.
                        let base = (skill_level * 3 / 100).min(2);
                        let wide = rng.below(50) == 0;
                        for p in 0..PANEL {
                            n += 7;
                            let score = if wide && p == 0 { (base + 2).min(3) } else { base + rng.below(2) };
                            marks.push(json!({"judge": judge_code(s, pick(n + u64::from(p))), "entry": ec,
                                              "aspect": format!("{c}J{a}"), "value": score}));
                        }
                    }
                }
            }
        }
        json!({
            "format": "podium.competition/1",
            "competition": {"code": code, "name": format!("WorldSkills-sized {code}"), "timezone": "UTC",
                            "medal_order": "olympic"},
            "delegations": delegations,
            "skills": skills,
            "entries": entries,
            "judges": judges,
            "marks": marks,
        })
    }
}
