//! The closing ceremony's plan as clients send it (`PUT …/ceremony`, the package's
//! `ceremony`): skills in reveal order, each by code alone (default steps) or with its steps.
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CeremonyInput {
    pub skills: Vec<CeremonySkillInput>,
    /// Steps revealed already (a package exported mid-ceremony); 0 when planning.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub position: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A skill of the plan: `"CNC"` takes the default steps (medallions, bronze, silver, gold;
/// shared medals together), `{"skill": "CNC", "steps": [...]}` gives them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum CeremonySkillInput {
    Code(String),
    Planned { skill: String, steps: Vec<CeremonyStepInput> },
}

impl CeremonySkillInput {
    pub fn skill(&self) -> &str {
        match self {
            CeremonySkillInput::Code(code) | CeremonySkillInput::Planned { skill: code, .. } => code,
        }
    }
}

/// One reveal: a medal (`excellence`, `bronze`, `silver`, `gold`) and the entries holding it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CeremonyStepInput {
    pub medal: String,
    pub entries: Vec<String>,
}
