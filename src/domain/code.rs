//! Codes users type to address things (`"IR"`, `"CHN"`, `"IR-CHN"`, `"MINI2025"`).
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::sync::Arc;

/// A validated code: 1–64 characters of ASCII letters, digits, `-`, `_` and `.`,
/// so it can stand in a URL path segment unescaped. Shared: results repeat each aspect's and
/// criterion's code for every entry, and a copy costs a reference count, not an allocation.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Code(Arc<str>);

impl Code {
    pub fn parse(text: &str) -> Result<Code, &'static str> {
        let text = text.trim();
        if text.is_empty() {
            return Err("must not be empty");
        }
        if text.len() > 64 {
            return Err("must be at most 64 characters");
        }
        if !text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
            return Err("may contain only letters A-Z, digits, '-', '_' and '.'");
        }
        // `.` and `..` are path segments of their own: a URL holding one addresses another
        // resource (clients and proxies resolve them away).
        if text.chars().all(|c| c == '.') {
            return Err("must not be made of dots only");
        }
        Ok(Code(Arc::from(text)))
    }

    /// A code read back from storage, where it was validated on the way in.
    pub fn trusted(text: String) -> Code {
        Code(Arc::from(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Code::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_url_safe() {
        assert!(Code::parse("IR-CHN").is_ok());
        assert!(Code::parse("MINI2025").is_ok());
        assert!(Code::parse("").is_err());
        assert!(Code::parse("a/b").is_err());
        assert!(Code::parse("ИР").is_err());
        for dots in [".", "..", "...", " .. "] {
            assert!(Code::parse(dots).is_err(), "{dots}");
        }
        assert!(Code::parse("A.B").is_ok());
        assert!(Code::parse(".A").is_ok());
    }
}
