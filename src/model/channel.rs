//! Live channels as the policy grants them: a name clients use, resolved to what the caller
//! may see of it (a skill's private results or its public view).

/// A channel a subscription resolves to once visibility is known.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// A skill's full results (organizers and the skill's chiefs).
    Skill(String),
    /// A skill as the public sees it: results once published, else progress only.
    PublicSkill(String),
    Progress,
    Medals,
    Judge(String),
    /// The closing ceremony as the hall screens show it: revealed steps only.
    Ceremony,
    /// Events for video overlays and automation (medal revealed, skill published, progress
    /// milestones).
    Broadcast,
}

impl Channel {
    /// The name clients use (public and private skill channels share it).
    pub fn name(&self) -> String {
        match self {
            Channel::Skill(s) | Channel::PublicSkill(s) => format!("skill:{s}"),
            Channel::Progress => "progress".into(),
            Channel::Medals => "medals".into(),
            Channel::Judge(j) => format!("judge:{j}"),
            Channel::Ceremony => "ceremony".into(),
            Channel::Broadcast => "broadcast".into(),
        }
    }

    /// The key of its sequence in the database (distinct for the public variant).
    pub fn key(&self) -> String {
        match self {
            Channel::PublicSkill(s) => format!("skill:{s}#public"),
            other => other.name(),
        }
    }

    pub fn from_key(key: &str) -> Option<Channel> {
        if let Some(skill) = key.strip_prefix("skill:") {
            return Some(match skill.strip_suffix("#public") {
                Some(s) => Channel::PublicSkill(s.to_owned()),
                None => Channel::Skill(skill.to_owned()),
            });
        }
        match key {
            "progress" => Some(Channel::Progress),
            "medals" => Some(Channel::Medals),
            "ceremony" => Some(Channel::Ceremony),
            "broadcast" => Some(Channel::Broadcast),
            _ => key.strip_prefix("judge:").map(|j| Channel::Judge(j.to_owned())),
        }
    }
}
