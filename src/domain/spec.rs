//! Validated forms of the inputs ("parse, don't validate"): the competition's settings,
//! delegations and skills with their marking schemes, and the rule a mark's value obeys.
use super::Code;
use super::decimal::Centi;
use super::input::{CompetitionInput, DelegationInput, SkillInput};
use super::kinds::{AggregationMethod, AspectKind, MedalOrder, Standardise, TieBreak};
use super::names::Names;
use super::offence::Offences;
use crate::error::ErrorCode;
use std::collections::HashSet;

#[derive(Clone, Debug, PartialEq)]
pub struct CompetitionSpec {
    pub code: Code,
    pub name: String,
    pub names: Names,
    pub timezone: String,
    pub starts_on: Option<chrono::NaiveDate>,
    pub ends_on: Option<chrono::NaiveDate>,
    pub default_language: String,
    pub medal_order: MedalOrder,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DelegationSpec {
    pub code: Code,
    pub name: String,
    pub names: Names,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AspectSpec {
    pub code: Code,
    pub description: String,
    /// Translations of the description.
    pub names: Names,
    pub kind: AspectKind,
    pub max: Centi,
    /// Judgement panel size (None for measurements).
    pub panel: Option<u32>,
    pub binary: bool,
}

impl AspectSpec {
    /// How many current marks the aspect expects: its panel (3 unless set) for a judgement,
    /// one for a measurement.
    pub fn expected(&self) -> u32 {
        match self.kind {
            AspectKind::Judgement => self.panel.unwrap_or(3),
            AspectKind::Measurement => 1,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CriterionSpec {
    pub code: Code,
    pub name: String,
    pub names: Names,
    pub aspects: Vec<AspectSpec>,
}

/// Every rule of SCORING.md that varies between skills; `Default` gives the documented
/// defaults. The scoring engine reads these as they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkillRules {
    pub standardise: Standardise,
    /// The robust scale's centre and step (700 and 30 unless set).
    pub scale_centre: Centi,
    pub scale_step: Centi,
    pub tie_tolerance: Centi,
    pub tie_break: TieBreak,
    pub max_judgement_spread: u32,
    pub aggregation: AggregationMethod,
    /// The `k` of `trimmed`: scores dropped at each end.
    pub aggregation_k: u32,
    /// `None` means the scale centre when standardised, and no medallions otherwise.
    pub excellence_threshold: Option<Centi>,
    pub min_entries_for_medals: u32,
}

impl Default for SkillRules {
    fn default() -> Self {
        SkillRules {
            standardise: Standardise::None,
            scale_centre: Centi::from_units(700),
            scale_step: Centi::from_units(30),
            tie_tolerance: Centi::ZERO,
            tie_break: TieBreak::None,
            max_judgement_spread: 1,
            aggregation: AggregationMethod::Mean,
            aggregation_k: 0,
            excellence_threshold: None,
            min_entries_for_medals: 1,
        }
    }
}

impl SkillRules {
    /// The threshold actually applied for the Medallion for Excellence.
    pub fn effective_excellence_threshold(&self) -> Option<Centi> {
        self.excellence_threshold.or(match self.standardise {
            Standardise::None => None,
            Standardise::Robust700 => Some(self.scale_centre),
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SkillSpec {
    pub code: Code,
    pub name: String,
    pub names: Names,
    pub team_size: u32,
    pub rules: SkillRules,
    pub criteria: Vec<CriterionSpec>,
}

impl SkillSpec {
    /// The spec without its translations: what results depend on. Renaming a signed-off
    /// skill, criterion or aspect in another language changes no result.
    pub fn without_names(&self) -> SkillSpec {
        let mut bare = self.clone();
        bare.names.clear();
        for c in &mut bare.criteria {
            c.names.clear();
            for a in &mut c.aspects {
                a.names.clear();
            }
        }
        bare
    }

    /// Aspects in scheme order (the order of `AspectIx`).
    pub fn aspects(&self) -> impl Iterator<Item = &AspectSpec> {
        self.criteria.iter().flat_map(|c| c.aspects.iter())
    }

    pub fn aspect(&self, code: &str) -> Option<&AspectSpec> {
        self.aspects().find(|a| a.code.as_str() == code)
    }
}

/// Checks a mark value against its aspect (SCORING.md §1).
pub fn check_value(aspect: &AspectSpec, value: Centi) -> Result<(), (ErrorCode, String)> {
    match aspect.kind {
        AspectKind::Judgement => match value.whole() {
            Some(0..=3) => Ok(()),
            _ => Err((ErrorCode::InvalidScore, format!("a judgement score is an integer 0..3, not {value}"))),
        },
        AspectKind::Measurement if aspect.binary => {
            if value == Centi::ZERO || value == aspect.max {
                Ok(())
            } else {
                Err((ErrorCode::OutOfRange, format!("a binary measurement is 0.00 or {}, not {value}", aspect.max)))
            }
        }
        AspectKind::Measurement => {
            if value >= Centi::ZERO && value <= aspect.max {
                Ok(())
            } else {
                Err((ErrorCode::OutOfRange, format!("must be between 0.00 and {}, not {value}", aspect.max)))
            }
        }
    }
}

impl SkillInput {
    /// Validates a skill's settings and marking scheme; offences are reported under `at`.
    pub fn validate(&self, at: &str, offences: &mut Offences) -> Option<SkillSpec> {
        let before = offences.0.len();
        let code = offences.code(&format!("{at}/code"), &self.code);
        let name = offences.text(&format!("{at}/name"), &self.name, 200);
        let names = offences.names(&format!("{at}/names"), &self.names, 200);
        if self.team_size == 0 {
            offences.push(format!("{at}/team_size"), ErrorCode::OutOfRange, "must be at least 1");
        }
        let standardise = offences.choice(
            &format!("{at}/standardise"),
            &self.standardise,
            Standardise::parse,
            Standardise::choices(),
        );
        let tie_break =
            offences.choice(&format!("{at}/tie_break"), &self.tie_break, TieBreak::parse, TieBreak::choices());
        let tie_tolerance = offences.decimal(&format!("{at}/tie_tolerance"), &self.tie_tolerance);
        if tie_tolerance.is_some_and(|t| t < Centi::ZERO) {
            offences.push(format!("{at}/tie_tolerance"), ErrorCode::OutOfRange, "must not be negative");
        }
        let aggregation = offences.choice(
            &format!("{at}/judgement_aggregation/method"),
            &self.judgement_aggregation.method,
            AggregationMethod::parse,
            AggregationMethod::choices(),
        );
        let aggregation_k = match (aggregation, self.judgement_aggregation.k) {
            (Some(AggregationMethod::Trimmed), Some(k)) => k,
            (Some(AggregationMethod::Trimmed), None) => {
                offences.push(format!("{at}/judgement_aggregation/k"), ErrorCode::Required, "trimmed needs k");
                0
            }
            _ => 0,
        };
        let excellence_threshold = self
            .excellence_threshold
            .as_ref()
            .filter(|v| !v.is_null())
            .and_then(|v| offences.decimal(&format!("{at}/excellence_threshold"), v));
        let scale_centre = match &self.scale_centre {
            Some(v) if !v.is_null() => offences.decimal(&format!("{at}/scale_centre"), v),
            _ => Some(Centi::from_units(700)),
        };
        let scale_step = match &self.scale_step {
            Some(v) if !v.is_null() => offences.decimal(&format!("{at}/scale_step"), v),
            _ => Some(Centi::from_units(30)),
        };
        if scale_step.is_some_and(|s| s <= Centi::ZERO) {
            offences.push(format!("{at}/scale_step"), ErrorCode::OutOfRange, "must be greater than 0");
        }
        let mut criteria = Vec::new();
        let mut criterion_codes = HashSet::new();
        let mut aspect_codes = HashSet::new();
        for (ci, criterion) in self.criteria.iter().enumerate() {
            let cat = format!("{at}/criteria/{ci}");
            let ccode = offences.code(&format!("{cat}/code"), &criterion.code);
            if let Some(c) = &ccode
                && !criterion_codes.insert(c.clone())
            {
                offences.push(
                    format!("{cat}/code"),
                    ErrorCode::DuplicateCode,
                    format!("criterion '{c}' appears twice"),
                );
            }
            let mut aspects = Vec::new();
            for (ai, aspect) in criterion.aspects.iter().enumerate() {
                let aat = format!("{cat}/aspects/{ai}");
                let acode = offences.code(&format!("{aat}/code"), &aspect.code);
                if let Some(a) = &acode
                    && !aspect_codes.insert(a.clone())
                {
                    offences.push(
                        format!("{aat}/code"),
                        ErrorCode::DuplicateCode,
                        format!("aspect '{a}' appears twice"),
                    );
                }
                let kind =
                    offences.choice(&format!("{aat}/kind"), &aspect.kind, AspectKind::parse, AspectKind::choices());
                let max = offences.decimal(&format!("{aat}/max"), &aspect.max);
                if max.is_some_and(|m| m <= Centi::ZERO) {
                    offences.push(format!("{aat}/max"), ErrorCode::OutOfRange, "max must be greater than 0");
                }
                let binary = match aspect.mode.as_deref() {
                    None => false,
                    Some("binary") if kind == Some(AspectKind::Measurement) => true,
                    Some(other) => {
                        offences.push(
                            format!("{aat}/mode"),
                            ErrorCode::InvalidChoice,
                            format!("mode '{other}' is allowed only as 'binary' on a measurement"),
                        );
                        false
                    }
                };
                let panel = match kind {
                    Some(AspectKind::Judgement) => {
                        let panel = aspect.panel.unwrap_or(3);
                        if panel == 0 {
                            offences.push(format!("{aat}/panel"), ErrorCode::OutOfRange, "panel must be at least 1");
                        }
                        Some(panel)
                    }
                    _ => None,
                };
                let anames = offences.names(&format!("{aat}/names"), &aspect.names, 2000);
                if let (Some(code), Some(kind), Some(max)) = (acode, kind, max) {
                    let description = aspect.description.trim().to_owned();
                    aspects.push(AspectSpec { code, description, names: anames, kind, max, panel, binary });
                }
            }
            let cnames = offences.names(&format!("{cat}/names"), &criterion.names, 200);
            if let Some(code) = ccode {
                criteria.push(CriterionSpec { code, name: criterion.name.trim().to_owned(), names: cnames, aspects });
            }
        }
        if offences.0.len() > before {
            return None;
        }
        Some(SkillSpec {
            code: code?,
            name,
            names,
            team_size: self.team_size,
            rules: SkillRules {
                standardise: standardise?,
                scale_centre: scale_centre?,
                scale_step: scale_step?,
                tie_tolerance: tie_tolerance?,
                tie_break: tie_break?,
                max_judgement_spread: self.max_judgement_spread,
                aggregation: aggregation?,
                aggregation_k,
                excellence_threshold,
                min_entries_for_medals: self.min_entries_for_medals,
            },
            criteria,
        })
    }
}

impl CompetitionInput {
    pub fn validate(&self, at: &str, offences: &mut Offences) -> Option<CompetitionSpec> {
        let before = offences.0.len();
        let code = offences.code(&format!("{at}/code"), &self.code);
        let name = offences.text(&format!("{at}/name"), &self.name, 200);
        let names = offences.names(&format!("{at}/names"), &self.names, 200);
        let timezone = offences.text(&format!("{at}/timezone"), &self.timezone, 64);
        // An IANA name, the one spelling every clock understands (browsers' `Intl`, chrono-tz):
        // "Beijing" or "GMT+8" would leave each client to guess.
        if !timezone.is_empty() && timezone.parse::<chrono_tz::Tz>().is_err() {
            offences.push(
                format!("{at}/timezone"),
                ErrorCode::InvalidTimezone,
                format!("'{timezone}' is not an IANA time zone name such as Asia/Shanghai"),
            );
        }
        let medal_order =
            offences.choice(&format!("{at}/medal_order"), &self.medal_order, MedalOrder::parse, MedalOrder::choices());
        let mut date = |field: &str, value: &Option<String>| {
            value.as_ref().and_then(|text| match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(date) => Some(date),
                Err(_) => {
                    offences.push(
                        format!("{at}/{field}"),
                        ErrorCode::InvalidDate,
                        format!("'{text}' is not a YYYY-MM-DD date"),
                    );
                    None
                }
            })
        };
        let starts_on = date("starts_on", &self.starts_on);
        let ends_on = date("ends_on", &self.ends_on);
        if let (Some(s), Some(e)) = (starts_on, ends_on)
            && e < s
        {
            offences.push(format!("{at}/ends_on"), ErrorCode::OutOfRange, "ends before it starts");
        }
        let default_language = offences.text(&format!("{at}/default_language"), &self.default_language, 16);
        if offences.0.len() > before {
            return None;
        }
        Some(CompetitionSpec {
            code: code?,
            name,
            names,
            timezone,
            starts_on,
            ends_on,
            default_language,
            medal_order: medal_order?,
        })
    }
}

impl DelegationInput {
    pub fn validate(&self, at: &str, offences: &mut Offences) -> Option<DelegationSpec> {
        let code = offences.code(&format!("{at}/code"), &self.code);
        let name = offences.text(&format!("{at}/name"), &self.name, 200);
        let names = offences.names(&format!("{at}/names"), &self.names, 200);
        Some(DelegationSpec { code: code?, name, names })
    }
}
