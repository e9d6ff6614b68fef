//! Named examples from SCORING.md and properties of `compute_skill` as a whole.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::domain::Centi;
use crate::domain::Code;
use crate::domain::kinds::{AggregationMethod, TieBreak};
use crate::domain::spec::{AspectSpec, CriterionSpec, SkillRules};
use proptest::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn c(s: &str) -> Centi {
    Centi::parse(s).unwrap()
}

fn measurement(code: &str, max: &str) -> AspectSpec {
    AspectSpec {
        code: Code::parse(code).unwrap(),
        description: String::new(),
        names: Default::default(),
        kind: AspectKind::Measurement,
        max: c(max),
        panel: None,
        binary: false,
    }
}

fn judgement(code: &str, max: &str, panel: u32) -> AspectSpec {
    AspectSpec { kind: AspectKind::Judgement, panel: Some(panel), ..measurement(code, max) }
}

fn criterion(code: &str, aspects: Vec<AspectSpec>) -> CriterionSpec {
    CriterionSpec { code: Code::parse(code).unwrap(), name: code.into(), names: Default::default(), aspects }
}

fn skill(rules: SkillRules, criteria: Vec<CriterionSpec>) -> SkillSpec {
    SkillSpec {
        code: Code::parse("SK").unwrap(),
        name: "Skill".into(),
        names: Default::default(),
        team_size: 1,
        rules,
        criteria,
    }
}

fn robust700() -> SkillRules {
    SkillRules { standardise: Standardise::Robust700, ..SkillRules::default() }
}

/// One measurement aspect out of 100: an entry's raw total is the value it is given.
fn single_measurement(rules: SkillRules) -> SkillSpec {
    skill(rules, vec![criterion("A", vec![measurement("A1", "100")])])
}

fn entry(code: &str) -> Entry {
    Entry { code: code.into(), delegation: format!("D-{code}"), status: EntryStatus::Active }
}

fn entry_with(code: &str, status: EntryStatus) -> Entry {
    Entry { status, ..entry(code) }
}

fn mark(entry: &str, aspect: &str, judge: &str, value: &str) -> Mark {
    Mark { entry: entry.into(), aspect: aspect.into(), judge: judge.into(), value: d(value), voided: false }
}

fn voided(mut m: Mark) -> Mark {
    m.voided = true;
    m
}

/// Entries E1, E2… scoring the given totals on a single measurement aspect.
fn scored(totals: &[&str]) -> (Vec<Entry>, Vec<Mark>) {
    let entries: Vec<Entry> = (1..=totals.len()).map(|i| entry(&format!("E{i}"))).collect();
    let marks = totals.iter().enumerate().map(|(i, t)| mark(&format!("E{}", i + 1), "A1", "J1", t)).collect();
    (entries, marks)
}

/// (entry, rank, medal) in result order.
fn podium(result: &SkillResult) -> Vec<(String, Option<u32>, Option<Medal>)> {
    result.entries.iter().map(|e| (e.entry.clone(), e.rank, e.medal)).collect()
}

fn row(entry: &str, rank: Option<u32>, medal: Option<Medal>) -> (String, Option<u32>, Option<Medal>) {
    (entry.to_string(), rank, medal)
}

use Medal::{Bronze, Excellence, Gold, Silver};

// ---- §1 marks -------------------------------------------------------------------------------

#[test]
fn max_1_35_with_scores_1_and_0_gives_an_aspect_mark_of_0_23() {
    let sk = skill(SkillRules::default(), vec![criterion("A", vec![judgement("A1", "1.35", 2)])]);
    let marks = [mark("E1", "A1", "J1", "1"), mark("E1", "A1", "J2", "0")];
    let result = compute_skill(&sk, &[entry("E1")], &marks, &[]);
    let e = result.entry("E1").unwrap();
    assert_eq!(e.aspects[0].mark.to_string(), "0.23");
    assert_eq!(e.raw, d("0.23"));
    assert!(!e.provisional);
}

#[test]
fn a_judges_later_mark_corrects_their_earlier_one_and_others_keep_theirs() {
    let sk = skill(SkillRules::default(), vec![criterion("A", vec![judgement("A1", "3", 3)])]);
    let marks = [
        mark("E1", "A1", "J1", "1"),
        mark("E1", "A1", "J2", "2"),
        mark("E1", "A1", "J3", "2"),
        mark("E1", "A1", "J1", "3"),
    ];
    // 3 × (3 + 2 + 2) / 9 = 2.333… → 2.33
    let result = compute_skill(&sk, &[entry("E1")], &marks, &[]);
    assert_eq!(result.entry("E1").unwrap().raw, d("2.33"));
}

#[test]
fn a_measurement_takes_the_latest_mark_whoever_entered_it() {
    let sk = single_measurement(SkillRules::default());
    let marks = [mark("E1", "A1", "J1", "40"), mark("E1", "A1", "J2", "35.5")];
    let result = compute_skill(&sk, &[entry("E1")], &marks, &[]);
    assert_eq!(result.entry("E1").unwrap().raw, d("35.5"));
}

#[test]
fn voiding_a_correction_restores_the_mark_it_had_superseded() {
    let sk = skill(SkillRules::default(), vec![criterion("A", vec![measurement("M", "10"), judgement("J", "6", 1)])]);
    let marks = [
        mark("E1", "M", "J1", "4"),
        mark("E1", "J", "J1", "1"),
        voided(mark("E1", "M", "J2", "9")),
        voided(mark("E1", "J", "J1", "3")),
    ];
    let result = compute_skill(&sk, &[entry("E1")], &marks, &[]);
    let e = result.entry("E1").unwrap();
    assert_eq!(e.aspects[0].mark, d("4"));
    assert_eq!(e.aspects[1].mark, d("2")); // 6 × 1 / 3
    assert_eq!(e.raw, d("6"));
}

#[test]
fn voiding_the_only_mark_leaves_the_aspect_unmarked() {
    let sk = single_measurement(SkillRules::default());
    let marks = [voided(mark("E1", "A1", "J1", "40"))];
    let result = compute_skill(&sk, &[entry("E1")], &marks, &[]);
    let e = result.entry("E1").unwrap();
    assert_eq!((e.raw, e.marked, e.expected, e.provisional), (d("0"), 0, 1, true));
    assert_eq!(e.aspects[0].scores, 0);
}

#[test]
fn an_incomplete_panel_gives_a_provisional_mark_from_the_scores_present() {
    let sk = skill(SkillRules::default(), vec![criterion("A", vec![judgement("J", "6", 3), measurement("M", "4")])]);
    let marks = [mark("E1", "J", "J1", "2"), mark("E2", "M", "J1", "4")];
    let result = compute_skill(&sk, &[entry("E1"), entry("E2")], &marks, &[]);
    let e1 = result.entry("E1").unwrap();
    assert_eq!(e1.aspects[0].mark, d("4"));
    assert!(e1.aspects[0].provisional && e1.provisional);
    assert_eq!((e1.marked, e1.expected), (1, 4));
    let e2 = result.entry("E2").unwrap();
    assert_eq!(e2.aspects[0].mark, d("0"));
    assert_eq!((e2.marked, e2.expected), (1, 4));
    assert_eq!((result.marked, result.expected), (2, 8));
    assert!(!result.complete());
}

#[test]
fn every_judges_score_counts_beyond_the_panel_but_progress_stops_at_the_panel() {
    let sk = skill(SkillRules::default(), vec![criterion("A", vec![judgement("J", "6", 3)])]);
    let marks: Vec<Mark> =
        ["3", "3", "3", "1"].iter().enumerate().map(|(i, v)| mark("E1", "J", &format!("J{i}"), v)).collect();
    let result = compute_skill(&sk, &[entry("E1")], &marks, &[]);
    let e = result.entry("E1").unwrap();
    assert_eq!(e.raw, d("5")); // 6 × 10 / 12
    assert_eq!((e.marked, e.expected, e.aspects[0].scores), (3, 3, 4));
    assert!(!e.provisional);
}

#[test]
fn trimmed_aggregation_falls_back_to_the_median_with_few_scores() {
    let rules = SkillRules { aggregation: AggregationMethod::Trimmed, aggregation_k: 1, ..SkillRules::default() };
    let sk = skill(rules, vec![criterion("A", vec![judgement("J", "7.5", 5)])]);
    // Two scores, 2k >= n: median of 0 and 3 = 1.5 → 7.5 × 1.5 / 3 = 3.75
    let two = [mark("E1", "J", "J1", "0"), mark("E1", "J", "J2", "3")];
    assert_eq!(compute_skill(&sk, &[entry("E1")], &two, &[]).entries[0].raw, d("3.75"));
    // Five scores 0, 1, 2, 3, 3: drop 0 and a 3 → mean 2 → 5.00
    let five: Vec<Mark> =
        ["3", "0", "2", "3", "1"].iter().enumerate().map(|(i, v)| mark("E1", "J", &format!("J{i}"), v)).collect();
    assert_eq!(compute_skill(&sk, &[entry("E1")], &five, &[]).entries[0].raw, d("5"));
}

#[test]
fn criterion_subtotals_are_listed_in_scheme_order() {
    let sk = skill(
        SkillRules::default(),
        vec![
            criterion("B", vec![measurement("B1", "10"), measurement("B2", "5")]),
            criterion("A", vec![measurement("A1", "10")]),
        ],
    );
    let marks = [mark("E1", "A1", "J1", "7.25"), mark("E1", "B2", "J1", "2"), mark("E1", "B1", "J1", "3.5")];
    let e = compute_skill(&sk, &[entry("E1")], &marks, &[]).entries.remove(0);
    let criteria: Vec<(&str, Decimal)> = e.criteria.iter().map(|(code, v)| (code.as_str(), *v)).collect();
    assert_eq!(criteria, [("B", d("5.5")), ("A", d("7.25"))]);
    assert_eq!(e.raw.to_string(), "12.75");
    let codes: Vec<&str> = e.aspects.iter().map(|a| a.aspect.as_str()).collect();
    assert_eq!(codes, ["B1", "B2", "A1"]);
}

#[test]
fn marks_for_other_skills_entries_or_aspects_are_ignored() {
    let sk = single_measurement(SkillRules::default());
    let marks = [mark("E1", "A1", "J1", "50"), mark("OTHER", "A1", "J1", "99"), mark("E1", "Z9", "J1", "99")];
    let result = compute_skill(&sk, &[entry("E1")], &marks, &[]);
    assert_eq!(result.entries.len(), 1);
    assert_eq!(result.entries[0].raw, d("50"));
}

// ---- §1 discrepancies and overrides ---------------------------------------------------------

fn judged_skill() -> SkillSpec {
    skill(SkillRules::default(), vec![criterion("A", vec![judgement("J", "6", 3), judgement("K", "6", 3)])])
}

#[test]
fn a_spread_beyond_the_maximum_is_flagged_with_each_judges_score() {
    let marks = [
        mark("E1", "J", "J2", "3"),
        mark("E1", "J", "J1", "1"),
        mark("E1", "J", "J3", "2"),
        // A spread of exactly 1 is allowed.
        mark("E1", "K", "J1", "1"),
        mark("E1", "K", "J2", "2"),
    ];
    let result = compute_skill(&judged_skill(), &[entry("E1")], &marks, &[]);
    assert_eq!(result.discrepancies.len(), 1);
    let flag = &result.discrepancies[0];
    assert_eq!((flag.entry.as_str(), flag.aspect.as_str()), ("E1", "J"));
    assert_eq!(flag.scores, vec![("J1".to_string(), d("1")), ("J2".to_string(), d("3")), ("J3".to_string(), d("2"))]);
    assert_eq!(flag.spread, d("2"));
    assert!(!flag.overridden);
    assert_eq!(result.open_discrepancies(), 1);

    let wider = SkillRules { max_judgement_spread: 2, ..SkillRules::default() };
    let relaxed = SkillSpec { rules: wider, ..judged_skill() };
    assert!(compute_skill(&relaxed, &[entry("E1")], &marks, &[]).discrepancies.is_empty());
}

#[test]
fn a_correction_resolves_a_flag() {
    let marks = [mark("E1", "J", "J1", "0"), mark("E1", "J", "J2", "3"), mark("E1", "J", "J1", "2")];
    let result = compute_skill(&judged_skill(), &[entry("E1")], &marks, &[]);
    assert!(result.discrepancies.is_empty());
}

#[test]
fn an_override_clears_the_flag_until_a_new_mark_for_that_aspect_is_entered() {
    let mut marks = vec![mark("E1", "J", "J1", "0"), mark("E1", "J", "J2", "3")];
    let accepted = [Override { entry: "E1".into(), aspect: "J".into(), position: 2 }];
    let result = compute_skill(&judged_skill(), &[entry("E1")], &marks, &accepted);
    assert_eq!(result.discrepancies.len(), 1);
    assert!(result.discrepancies[0].overridden);
    assert_eq!(result.open_discrepancies(), 0);
    // The override changes no score and no result.
    let plain = compute_skill(&judged_skill(), &[entry("E1")], &marks, &[]);
    assert_eq!(result.entries, plain.entries);

    // Marks elsewhere, and voided marks, do not disturb it.
    marks.push(mark("E1", "K", "J1", "2"));
    marks.push(mark("E2", "J", "J1", "2"));
    marks.push(voided(mark("E1", "J", "J3", "1")));
    let result = compute_skill(&judged_skill(), &[entry("E1")], &marks, &accepted);
    assert_eq!(result.open_discrepancies(), 0);

    // A new score for that (entry, aspect), by any judge, expires it.
    marks.push(mark("E1", "J", "J3", "1"));
    let result = compute_skill(&judged_skill(), &[entry("E1")], &marks, &accepted);
    assert_eq!(result.discrepancies.len(), 1);
    assert!(!result.discrepancies[0].overridden);
    assert_eq!(result.open_discrepancies(), 1);

    // A later override covering the new marks clears it again.
    let again = [accepted[0].clone(), Override { entry: "E1".into(), aspect: "J".into(), position: marks.len() }];
    let result = compute_skill(&judged_skill(), &[entry("E1")], &marks, &again);
    assert_eq!(result.open_discrepancies(), 0);
}

#[test]
fn an_override_covers_only_its_own_entry_and_aspect() {
    let marks = [
        mark("E1", "J", "J1", "0"),
        mark("E1", "J", "J2", "3"),
        mark("E1", "K", "J1", "0"),
        mark("E1", "K", "J2", "3"),
    ];
    let accepted = [Override { entry: "E1".into(), aspect: "K".into(), position: 4 }];
    let result = compute_skill(&judged_skill(), &[entry("E1")], &marks, &accepted);
    let open: Vec<&str> = result.discrepancies.iter().filter(|f| !f.overridden).map(|f| f.aspect.as_str()).collect();
    assert_eq!(open, ["J"]);
}

#[test]
fn an_override_made_before_the_flagging_mark_does_not_cover_it() {
    let marks = [mark("E1", "J", "J1", "0"), mark("E1", "J", "J2", "3")];
    let early = [Override { entry: "E1".into(), aspect: "J".into(), position: 1 }];
    let result = compute_skill(&judged_skill(), &[entry("E1")], &marks, &early);
    assert_eq!(result.open_discrepancies(), 1);
}

// ---- §2 statuses ----------------------------------------------------------------------------

#[test]
fn withdrawn_and_disqualified_entries_are_left_out_of_everything() {
    let rules = robust700();
    let sk = single_measurement(rules);
    let (mut entries, mut marks) = scored(&["50", "60", "70"]);
    entries.push(entry_with("W", EntryStatus::Withdrawn));
    entries.push(entry_with("Q", EntryStatus::Disqualified));
    marks.push(mark("W", "A1", "J1", "99"));
    marks.push(mark("Q", "A1", "J1", "98"));
    let result = compute_skill(&sk, &entries, &marks, &[]);

    // The median and MAD are those of 50, 60, 70 alone.
    assert_eq!((result.median, result.mad), (Some(d("60")), Some(d("10"))));
    assert_eq!(
        podium(&result),
        vec![
            row("E3", Some(1), Some(Gold)),
            row("E2", Some(2), Some(Silver)),
            row("E1", Some(3), Some(Bronze)),
            row("Q", None, None),
            row("W", None, None),
        ]
    );
    assert_eq!(result.entry("Q").unwrap().status, EntryStatus::Disqualified);
    assert_eq!(result.entry("W").unwrap().raw, d("99"));
    assert_eq!((result.marked, result.expected), (3, 3));

    // The same skill without them gives the same results for everybody else.
    let alone = compute_skill(&sk, &entries[..3], &marks, &[]);
    assert_eq!(alone.entries[..], result.entries[..3]);
}

#[test]
fn discrepancies_of_withdrawn_entries_do_not_block_locking() {
    let marks = [mark("W", "J", "J1", "0"), mark("W", "J", "J2", "3")];
    let result = compute_skill(&judged_skill(), &[entry_with("W", EntryStatus::Withdrawn)], &marks, &[]);
    assert!(result.discrepancies.is_empty());
}

// ---- §3 standardisation ---------------------------------------------------------------------

#[test]
fn robust700_puts_the_median_at_700() {
    let rules = robust700();
    let (entries, marks) = scored(&["40", "50", "60", "80"]);
    let result = compute_skill(&single_measurement(rules), &entries, &marks, &[]);
    // median 55, deviations 15, 5, 5, 25 → MAD 10; 700 + 30 × (80 − 55) / 14.826
    assert_eq!((result.median, result.mad), (Some(d("55")), Some(d("10"))));
    let scaled: Vec<String> = result.entries.iter().map(|e| e.scaled.unwrap().to_string()).collect();
    assert_eq!(scaled, ["750.59", "710.12", "689.88", "669.65"]);
    assert_eq!(result.entries[0].score, result.entries[0].scaled.unwrap());
}

#[test]
fn mad_zero_scores_every_entry_at_the_centre() {
    let rules = robust700();
    let (entries, marks) = scored(&["50", "50", "50", "10", "90"]);
    let result = compute_skill(&single_measurement(rules), &entries, &marks, &[]);
    assert_eq!(result.mad, Some(d("0")));
    assert!(result.entries.iter().all(|e| e.scaled == Some(d("700")) && e.rank == Some(1)));
    assert!(result.entries.iter().all(|e| e.medal == Some(Gold)));
}

#[test]
fn scaled_scores_are_clamped_to_the_0_to_1000_range() {
    let rules = robust700();
    let (entries, marks) = scored(&["50", "50.01", "49.99", "100", "0"]);
    let result = compute_skill(&single_measurement(rules), &entries, &marks, &[]);
    let by_code = |c: &str| result.entry(c).unwrap().scaled.unwrap().to_string();
    assert_eq!(by_code("E4"), "1000.00");
    assert_eq!(by_code("E5"), "0.00");
    assert_eq!(by_code("E1"), "700.00");
}

#[test]
fn scale_centre_and_step_are_settings() {
    let rules = SkillRules { scale_centre: c("500"), scale_step: c("100"), ..robust700() };
    let (entries, marks) = scored(&["40", "50", "60"]);
    let result = compute_skill(&single_measurement(rules), &entries, &marks, &[]);
    // 500 + 100 × 10 / 14.826 = 567.449…
    assert_eq!(result.entries[0].scaled, Some(d("567.45")));
    assert_eq!(result.entries[1].score, d("500"));
}

// ---- §4 ranking -----------------------------------------------------------------------------

#[test]
fn tie_tolerance_chains_close_scores_into_one_rank() {
    let rules = SkillRules { tie_tolerance: c("0.5"), ..SkillRules::default() };
    let (entries, marks) = scored(&["80", "79.6", "79.2", "78.69", "78.2"]);
    let result = compute_skill(&single_measurement(rules), &entries, &marks, &[]);
    assert_eq!(
        podium(&result),
        vec![
            row("E1", Some(1), Some(Gold)),
            row("E2", Some(1), Some(Gold)),
            row("E3", Some(1), Some(Gold)),
            row("E4", Some(4), None),
            row("E5", Some(4), None),
        ]
    );
}

#[test]
fn criteria_reverse_breaks_a_tie_on_the_last_criterion_first() {
    let rules = SkillRules { tie_break: TieBreak::CriteriaReverse, ..SkillRules::default() };
    let sk = skill(
        rules,
        vec![criterion("A", vec![measurement("A1", "50")]), criterion("B", vec![measurement("B1", "50")])],
    );
    let entries: Vec<Entry> = ["E1", "E2", "E3", "E4"].iter().map(|c| entry(c)).collect();
    let marks = [
        mark("E1", "A1", "J", "30"),
        mark("E1", "B1", "J", "20"),
        mark("E2", "A1", "J", "20"),
        mark("E2", "B1", "J", "30"),
        mark("E3", "A1", "J", "30"),
        mark("E3", "B1", "J", "20"),
        mark("E4", "A1", "J", "45"),
        mark("E4", "B1", "J", "0"),
    ];
    let result = compute_skill(&sk, &entries, &marks, &[]);
    // All total 50: E2 wins on B; E1 and E3 are equal on every criterion and stay tied.
    assert_eq!(
        podium(&result),
        vec![
            row("E2", Some(1), Some(Gold)),
            row("E1", Some(2), Some(Silver)),
            row("E3", Some(2), Some(Silver)),
            row("E4", Some(4), None),
        ]
    );
}

// ---- §5 medals ------------------------------------------------------------------------------

fn medals_for(totals: &[&str]) -> Vec<(String, Option<u32>, Option<Medal>)> {
    let (entries, marks) = scored(totals);
    podium(&compute_skill(&single_measurement(SkillRules::default()), &entries, &marks, &[]))
}

#[test]
fn two_tied_for_first_are_both_gold_with_no_silver_and_the_next_is_bronze() {
    assert_eq!(
        medals_for(&["90", "90", "80", "70"]),
        vec![
            row("E1", Some(1), Some(Gold)),
            row("E2", Some(1), Some(Gold)),
            row("E3", Some(3), Some(Bronze)),
            row("E4", Some(4), None),
        ]
    );
}

#[test]
fn three_tied_for_first_are_all_gold_with_no_silver_or_bronze() {
    assert_eq!(
        medals_for(&["90", "90", "90", "70"]),
        vec![
            row("E1", Some(1), Some(Gold)),
            row("E2", Some(1), Some(Gold)),
            row("E3", Some(1), Some(Gold)),
            row("E4", Some(4), None),
        ]
    );
}

#[test]
fn two_tied_for_second_are_both_silver_with_no_bronze() {
    assert_eq!(
        medals_for(&["90", "80", "80", "70"]),
        vec![
            row("E1", Some(1), Some(Gold)),
            row("E2", Some(2), Some(Silver)),
            row("E3", Some(2), Some(Silver)),
            row("E4", Some(4), None),
        ]
    );
}

#[test]
fn two_tied_for_third_are_both_bronze() {
    assert_eq!(
        medals_for(&["90", "85", "80", "80", "70"]),
        vec![
            row("E1", Some(1), Some(Gold)),
            row("E2", Some(2), Some(Silver)),
            row("E3", Some(3), Some(Bronze)),
            row("E4", Some(3), Some(Bronze)),
            row("E5", Some(5), None),
        ]
    );
}

#[test]
fn the_medallion_defaults_to_the_centre_when_standardised() {
    let rules = robust700();
    let (entries, marks) = scored(&["90", "85", "80", "75", "70", "65", "60"]);
    let result = compute_skill(&single_measurement(rules), &entries, &marks, &[]);
    // E4 sits at the median: exactly 700 earns the medallion.
    assert_eq!(result.entry("E4").unwrap().score, d("700"));
    assert_eq!(
        result.entries.iter().map(|e| e.medal).collect::<Vec<_>>(),
        [Some(Gold), Some(Silver), Some(Bronze), Some(Excellence), None, None, None]
    );
}

#[test]
fn without_standardisation_there_is_no_medallion_unless_a_threshold_is_set() {
    let (entries, marks) = scored(&["90", "85", "80", "75", "70"]);
    let plain = compute_skill(&single_measurement(SkillRules::default()), &entries, &marks, &[]);
    assert!(plain.entries.iter().all(|e| e.medal != Some(Excellence)));

    let rules = SkillRules { excellence_threshold: Some(c("75")), ..SkillRules::default() };
    let result = compute_skill(&single_measurement(rules), &entries, &marks, &[]);
    assert_eq!(
        result.entries.iter().map(|e| e.medal).collect::<Vec<_>>(),
        [Some(Gold), Some(Silver), Some(Bronze), Some(Excellence), None]
    );
}

#[test]
fn too_few_registered_entries_award_no_medals_nor_medallions() {
    let rules = SkillRules { min_entries_for_medals: 3, excellence_threshold: Some(c("0")), ..SkillRules::default() };
    let sk = single_measurement(rules);
    let (mut entries, mut marks) = scored(&["90", "80"]);
    // A withdrawn entry is not registered for this count.
    entries.push(entry_with("W", EntryStatus::Withdrawn));
    marks.push(mark("W", "A1", "J1", "10"));
    let result = compute_skill(&sk, &entries, &marks, &[]);
    assert!(result.entries.iter().all(|e| e.medal.is_none()));
    assert_eq!(result.entries[0].rank, Some(1));

    entries.push(entry("E3"));
    let result = compute_skill(&sk, &entries, &marks, &[]);
    assert_eq!(
        result.entries.iter().map(|e| e.medal).collect::<Vec<_>>(),
        [Some(Gold), Some(Silver), Some(Bronze), None]
    );
}

// ---- §7 awards across skills ----------------------------------------------------------------

#[test]
fn best_of_nation_and_top_score_compare_scaled_scores_across_skills() {
    let robust = robust700();
    let entries_for = |skill: &str| -> Vec<Entry> {
        ["CHN", "KAZ", "RUS"]
            .iter()
            .map(|d| Entry { code: format!("{skill}-{d}"), delegation: d.to_string(), status: EntryStatus::Active })
            .collect()
    };
    let marks_for = |skill: &str, totals: [&str; 3]| -> Vec<Mark> {
        ["CHN", "KAZ", "RUS"].iter().zip(totals).map(|(d, t)| mark(&format!("{skill}-{d}"), "A1", "J", t)).collect()
    };
    let mut a = single_measurement(robust.clone());
    a.code = Code::parse("A").unwrap();
    let mut b = single_measurement(robust);
    b.code = Code::parse("B").unwrap();
    let mut c = single_measurement(SkillRules::default());
    c.code = Code::parse("C").unwrap();
    let results = [
        compute_skill(&a, &entries_for("A"), &marks_for("A", ["60", "50", "40"]), &[]),
        compute_skill(&b, &entries_for("B"), &marks_for("B", ["40", "60", "50"]), &[]),
        // Raw totals of an unstandardised skill are not on the common scale.
        compute_skill(&c, &entries_for("C"), &marks_for("C", ["99", "99", "99"]), &[]),
    ];
    let best = best_of_nation(&results);
    let summary: Vec<(String, String, Vec<String>)> = best
        .iter()
        .map(|b| (b.delegation.clone(), b.score.to_string(), b.entries.iter().map(|e| e.entry.clone()).collect()))
        .collect();
    // A: 720.23 / 700 / 679.77; B: 679.77 / 720.23 / 700.
    assert_eq!(
        summary,
        vec![
            ("CHN".into(), "720.23".into(), vec!["A-CHN".into()]),
            ("KAZ".into(), "720.23".into(), vec!["B-KAZ".into()]),
            ("RUS".into(), "700.00".into(), vec!["B-RUS".into()]),
        ]
    );
    let top = top_score(&results).unwrap();
    assert_eq!(top.score, d("720.23"));
    let holders: Vec<&str> = top.entries.iter().map(|e| e.entry.as_str()).collect();
    assert_eq!(holders, ["A-CHN", "B-KAZ"]);
    assert_eq!(top_score(&results[2..]), None);
}

#[test]
fn results_serialize_with_lowercase_medals_and_decimal_strings() {
    let (entries, marks) = scored(&["90.5"]);
    let result = compute_skill(&single_measurement(SkillRules::default()), &entries, &marks, &[]);
    let json = serde_json::to_value(&result).unwrap();
    assert_eq!(json["entries"][0]["medal"], "gold");
    assert_eq!(json["entries"][0]["raw"], "90.50");
    assert_eq!(json["entries"][0]["status"], "active");
}

// ---- properties -----------------------------------------------------------------------------

const MAXES: [&str; 5] = ["1.35", "2.5", "7", "10.25", "20"];

/// A scheme of 1–3 criteria of 1–3 aspects, measurement or judgement.
fn arb_criteria() -> impl Strategy<Value = Vec<CriterionSpec>> {
    let aspect = (any::<bool>(), 1u32..=4, 0usize..MAXES.len());
    prop::collection::vec(prop::collection::vec(aspect, 1..=3), 1..=3).prop_map(|criteria| {
        criteria
            .into_iter()
            .enumerate()
            .map(|(c, aspects)| {
                let code = ((b'A' + c as u8) as char).to_string();
                let aspects = aspects
                    .into_iter()
                    .enumerate()
                    .map(|(a, (measured, panel, max))| {
                        let code = format!("{code}{}", a + 1);
                        if measured { measurement(&code, MAXES[max]) } else { judgement(&code, MAXES[max], panel) }
                    })
                    .collect();
                criterion(&code, aspects)
            })
            .collect()
    })
}

fn arb_rules(standardised: bool) -> impl Strategy<Value = SkillRules> {
    let aggregation = prop_oneof![
        Just((AggregationMethod::Mean, 0)),
        Just((AggregationMethod::Median, 0)),
        Just((AggregationMethod::Trimmed, 1))
    ];
    let tie_break = prop_oneof![Just(TieBreak::None), Just(TieBreak::CriteriaReverse)];
    (aggregation, tie_break, 0i64..3, 0u32..5).prop_map(move |((aggregation, k), tie_break, tol, min)| SkillRules {
        standardise: if standardised { Standardise::Robust700 } else { Standardise::None },
        tie_tolerance: Centi(tol * 50),
        tie_break,
        aggregation,
        aggregation_k: k,
        min_entries_for_medals: min,
        excellence_threshold: if standardised { None } else { Some(c("10")) },
        ..SkillRules::default()
    })
}

#[derive(Debug, Clone)]
struct Scenario {
    skill: SkillSpec,
    entries: Vec<Entry>,
    marks: Vec<Mark>,
}

/// Turns raw draws into a legal mark: a value within 0..=max in cents, or a score 0..=3.
fn make_mark(skill: &SkillSpec, entries: &[Entry], draw: (usize, usize, usize, u32, bool)) -> Mark {
    let (e, a, j, value, void) = draw;
    let aspects: Vec<&AspectSpec> = skill.aspects().collect();
    let aspect = aspects[a % aspects.len()];
    let value = match aspect.kind {
        AspectKind::Measurement => {
            let cents = u32::try_from(aspect.max.0).unwrap();
            Decimal::new(i64::from(value % (cents + 1)), 2)
        }
        AspectKind::Judgement => Decimal::from(value % 4),
    };
    Mark {
        entry: entries[e % entries.len()].code.as_str().into(),
        aspect: aspect.code.as_str().into(),
        judge: format!("J{j}").into(),
        value,
        voided: void,
    }
}

fn arb_scenario(standardised: bool, voids: bool) -> impl Strategy<Value = Scenario> {
    let statuses = prop::collection::vec(
        prop_oneof![
            8 => Just(EntryStatus::Active),
            1 => Just(EntryStatus::Withdrawn),
            1 => Just(EntryStatus::Disqualified)
        ],
        1..8,
    );
    let draws = prop::collection::vec(
        (0usize..8, 0usize..9, 0usize..4, any::<u32>(), prop::bool::weighted(if voids { 0.1 } else { 0.0 })),
        0..80,
    );
    (arb_criteria(), arb_rules(standardised), statuses, draws).prop_map(|(criteria, rules, statuses, draws)| {
        let skill = skill(rules, criteria);
        let entries: Vec<Entry> = statuses
            .into_iter()
            .enumerate()
            .map(|(i, status)| Entry { code: format!("E{i}"), delegation: format!("D{}", i % 3), status })
            .collect();
        let marks = draws.into_iter().map(|draw| make_mark(&skill, &entries, draw)).collect();
        Scenario { skill, entries, marks }
    })
}

fn compute(s: &Scenario) -> SkillResult {
    compute_skill(&s.skill, &s.entries, &s.marks, &[])
}

fn rank_of(result: &SkillResult, code: &str) -> Option<u32> {
    result.entry(code).and_then(|e| e.rank)
}

/// Appends a mark that raises `target`'s mark on one aspect (a correction upwards, or a first
/// measurement), or returns `false` when that aspect is already at its top.
fn raise(s: &mut Scenario, target: &str, aspect_pick: usize, judge_pick: usize) -> bool {
    let aspects: Vec<AspectSpec> = s.skill.aspects().cloned().collect();
    let aspect = &aspects[aspect_pick % aspects.len()];
    let current = |judge: Option<&str>| -> Option<Decimal> {
        s.marks
            .iter()
            .rev()
            .find(|m| {
                !m.voided
                    && *m.entry == *target
                    && *m.aspect == *aspect.code.as_str()
                    && judge.is_none_or(|j| *m.judge == *j)
            })
            .map(|m| m.value)
    };
    let (judge, value) = match aspect.kind {
        AspectKind::Measurement => {
            let max = aspect.max.to_decimal();
            let now = current(None).unwrap_or(Decimal::ZERO);
            if now >= max {
                return false;
            }
            // Anywhere in (now, max], on the 2-decimal grid.
            let room = ((max - now) * Decimal::from(100)).to_usize().unwrap();
            let step = 1 + (judge_pick % room.max(1)) as i64;
            ("J0".to_string(), now + Decimal::new(step, 2))
        }
        AspectKind::Judgement => {
            let mut judges: Vec<String> = s
                .marks
                .iter()
                .filter(|m| !m.voided && *m.entry == *target && *m.aspect == *aspect.code.as_str())
                .map(|m| m.judge.to_string())
                .collect();
            judges.sort();
            judges.dedup();
            let Some(judge) = judges.get(judge_pick % judges.len().max(1)).cloned() else {
                return false;
            };
            let now = current(Some(&judge)).unwrap_or(Decimal::ZERO);
            if now >= Decimal::from(3) {
                return false;
            }
            (judge, now + Decimal::ONE)
        }
    };
    s.marks.push(Mark {
        entry: target.into(),
        aspect: aspect.code.as_str().into(),
        judge: judge.into(),
        value,
        voided: false,
    });
    true
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn results_list_ranked_entries_by_rank_then_the_others_by_code(s in arb_scenario(false, true)) {
        let result = compute(&s);
        let mut codes: Vec<&str> = result.entries.iter().map(|e| e.entry.as_str()).collect();
        codes.sort_unstable();
        let mut given: Vec<&str> = s.entries.iter().map(|e| e.code.as_str()).collect();
        given.sort_unstable();
        prop_assert_eq!(codes, given);

        let active = s.entries.iter().filter(|e| e.status == EntryStatus::Active).count();
        let (ranked, others) = result.entries.split_at(active);
        prop_assert!(ranked.iter().all(|e| e.status == EntryStatus::Active && e.rank.is_some()));
        prop_assert!(others.iter().all(|e| e.status != EntryStatus::Active && e.rank.is_none() && e.medal.is_none()));
        prop_assert!(others.windows(2).all(|w| w[0].entry < w[1].entry));
        for (position, e) in ranked.iter().enumerate() {
            let rank = e.rank.unwrap();
            prop_assert_eq!(rank as usize, 1 + ranked.iter().filter(|o| o.rank.unwrap() < rank).count());
            if position > 0 {
                let above = &ranked[position - 1];
                prop_assert!(above.rank.unwrap() <= rank);
                if above.rank == e.rank {
                    prop_assert!(above.entry < e.entry);
                }
            }
            prop_assert!(e.marked <= e.expected);
            prop_assert_eq!(e.provisional, e.aspects.iter().any(|a| a.provisional));
            prop_assert_eq!(e.raw, e.criteria.iter().map(|(_, v)| *v).sum::<Decimal>());
            prop_assert!(e.aspects.iter().all(|a| a.mark.scale() == 2));
        }
        if s.skill.rules.tie_tolerance == Centi::ZERO {
            // Sorted by score, and with no tie-break equal scores iff equal ranks.
            prop_assert!(ranked.windows(2).all(|w| w[0].score >= w[1].score));
            if s.skill.rules.tie_break == TieBreak::None {
                for a in ranked {
                    for b in ranked {
                        prop_assert_eq!(a.score == b.score, a.rank == b.rank);
                    }
                }
            }
        }
    }

    #[test]
    fn medals_follow_the_olympic_tie_rules(s in arb_scenario(false, false)) {
        let result = compute(&s);
        let ranked: Vec<&EntryResult> = result.entries.iter().filter(|e| e.rank.is_some()).collect();
        let count = |m: Medal| ranked.iter().filter(|e| e.medal == Some(m)).count();
        let (gold, silver, bronze) = (count(Gold), count(Silver), count(Bronze));
        if (ranked.len() as u32) < s.skill.rules.min_entries_for_medals {
            prop_assert!(ranked.iter().all(|e| e.medal.is_none()));
        } else {
            for e in &ranked {
                let expected = match e.rank.unwrap() {
                    1 => Some(Gold),
                    2 => Some(Silver),
                    3 => Some(Bronze),
                    _ => s.skill.rules.excellence_threshold.filter(|t| e.score >= t.to_decimal()).map(|_| Excellence),
                };
                prop_assert_eq!(e.medal, expected);
            }
            if !ranked.is_empty() {
                prop_assert!(gold >= 1);
                prop_assert!(gold + silver + bronze >= ranked.len().min(3));
            }
            if silver > 0 {
                prop_assert_eq!(gold, 1);
            }
            if bronze > 0 {
                prop_assert_eq!(gold + silver, 2);
            }
        }
    }

    #[test]
    fn raising_an_entrys_mark_never_lowers_its_rank_without_standardisation(
        s in arb_scenario(false, true), who in 0usize..8, aspect in 0usize..9, judge in 0usize..4096
    ) {
        let active: Vec<String> =
            s.entries.iter().filter(|e| e.status == EntryStatus::Active).map(|e| e.code.clone()).collect();
        prop_assume!(!active.is_empty());
        let target = active[who % active.len()].clone();
        let before = rank_of(&compute(&s), &target).unwrap();
        let mut raised = s.clone();
        prop_assume!(raise(&mut raised, &target, aspect, judge));
        let after = compute(&raised);
        prop_assert!(after.entry(&target).unwrap().raw >= compute(&s).entry(&target).unwrap().raw);
        prop_assert!(rank_of(&after, &target).unwrap() <= before);
    }

    #[test]
    fn under_robust700_ranks_never_contradict_raw_totals(
        s in arb_scenario(true, true), who in 0usize..8, aspect in 0usize..9, judge in 0usize..4096
    ) {
        // The scale is the same increasing map for everyone, but clamping, rounding and a MAD of
        // 0 can merge scores, and raising one raw total moves the median and MAD for all: an
        // entry's rank can drop when it rises (see the named counterexample). What holds is that
        // no entry with a lower raw total is ever ahead of it.
        let mut s = s;
        s.skill.rules.tie_tolerance = Centi::ZERO;
        s.skill.rules.tie_break = TieBreak::None;
        let active: Vec<String> =
            s.entries.iter().filter(|e| e.status == EntryStatus::Active).map(|e| e.code.clone()).collect();
        prop_assume!(!active.is_empty());
        let target = active[who % active.len()].clone();
        let mut raised = s.clone();
        let _ = raise(&mut raised, &target, aspect, judge);
        for result in [compute(&s), compute(&raised)] {
            let ranked: Vec<&EntryResult> = result.entries.iter().filter(|e| e.rank.is_some()).collect();
            for a in &ranked {
                for b in &ranked {
                    if a.raw > b.raw {
                        prop_assert!(a.scaled.unwrap() >= b.scaled.unwrap());
                        prop_assert!(a.rank <= b.rank);
                    }
                }
            }
            let t = result.entry(&target).unwrap();
            let higher = ranked.iter().filter(|e| e.raw > t.raw).count();
            prop_assert!(t.rank.unwrap() as usize <= higher + 1);
        }
    }

    #[test]
    fn the_order_of_marks_that_do_not_correct_each_other_does_not_matter(
        s in arb_scenario(true, true), seed in any::<u64>()
    ) {
        // Keep one mark per key: per judge for a judgement, per aspect for a measurement.
        let mut seen = std::collections::HashSet::new();
        let kinds: std::collections::HashMap<String, AspectKind> =
            s.skill.aspects().map(|a| (a.code.to_string(), a.kind)).collect();
        let mut s = s;
        s.marks.retain(|m| {
            let judge = match kinds[&*m.aspect] {
                AspectKind::Measurement => String::new(),
                AspectKind::Judgement => m.judge.to_string(),
            };
            seen.insert((m.entry.clone(), m.aspect.clone(), judge))
        });
        let mut shuffled = s.clone();
        let mut state = seed | 1;
        for i in (1..shuffled.marks.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.marks.swap(i, (state % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(compute(&s), compute(&shuffled));
    }

    #[test]
    fn withdrawn_entries_change_nothing_for_the_others(
        s in arb_scenario(true, true), values in prop::collection::vec((0usize..9, 0usize..4, any::<u32>()), 0..12),
        disqualified in any::<bool>()
    ) {
        let status = if disqualified { EntryStatus::Disqualified } else { EntryStatus::Withdrawn };
        let mut with = s.clone();
        with.entries.push(Entry { code: "ZZ".into(), delegation: "D0".into(), status });
        let out = vec![with.entries.last().unwrap().clone()];
        for (a, j, v) in values {
            with.marks.push(make_mark(&with.skill, &out, (0, a, j, v, false)));
        }
        let before = compute(&s);
        let after = compute(&with);
        let active = |r: &SkillResult| -> Vec<EntryResult> {
            r.entries.iter().filter(|e| e.status == EntryStatus::Active).cloned().collect()
        };
        prop_assert_eq!(active(&after), active(&before));
        prop_assert_eq!((after.marked, after.expected, after.median, after.mad), (before.marked, before.expected, before.median, before.mad));
        prop_assert_eq!(after.discrepancies, before.discrepancies);
    }
}

#[test]
fn under_robust700_a_higher_raw_total_can_lose_a_shared_first_place() {
    // 12, 17, 12: MAD 0, all three score 700 and share gold. E1 rising to 16 makes the MAD 1:
    // E1 is now the median (700) and E2 pulls ahead (720.23), so E1 drops to 2nd.
    let rules = robust700();
    let sk = single_measurement(rules);
    let (entries, mut marks) = scored(&["12", "17", "12"]);
    let before = compute_skill(&sk, &entries, &marks, &[]);
    assert_eq!(before.entry("E1").unwrap().rank, Some(1));
    marks.push(mark("E1", "A1", "J1", "16"));
    let after = compute_skill(&sk, &entries, &marks, &[]);
    assert_eq!(after.entry("E2").unwrap().scaled, Some(d("720.23")));
    assert_eq!(after.entry("E1").unwrap().rank, Some(2));
}
