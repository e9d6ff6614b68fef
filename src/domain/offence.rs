//! Collecting every offence of an input while validating it, so that a caller hears of all
//! of them at once (a package or a CSV file is all or nothing).
use super::Code;
use super::decimal::{Centi, DecimalError};
use crate::error::{ErrorCode, FieldError, Rejection};

/// The offences found so far, each a [`FieldError`] addressed by a JSON pointer.
#[derive(Default, Debug)]
pub struct Offences(pub Vec<FieldError>);

impl Offences {
    pub fn push(&mut self, pointer: impl Into<String>, code: ErrorCode, detail: impl Into<String>) {
        self.0.push(FieldError::new(pointer, code, detail));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn code(&mut self, pointer: &str, text: &str) -> Option<Code> {
        match Code::parse(text) {
            Ok(code) => Some(code),
            Err(why) => {
                self.push(pointer, ErrorCode::InvalidCode, format!("'{text}' {why}"));
                None
            }
        }
    }

    pub fn text(&mut self, pointer: &str, text: &str, max: usize) -> String {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            self.push(pointer, ErrorCode::Required, "must not be empty");
        } else if trimmed.chars().count() > max {
            self.push(pointer, ErrorCode::TooLong, format!("must be at most {max} characters"));
        }
        trimmed.to_owned()
    }

    pub fn decimal(&mut self, pointer: &str, value: &serde_json::Value) -> Option<Centi> {
        match Centi::from_json(value) {
            Ok(centi) => Some(centi),
            Err(DecimalError::TooPrecise) => {
                self.push(pointer, ErrorCode::TooPrecise, "at most 2 decimals are allowed");
                None
            }
            Err(error) => {
                self.push(pointer, ErrorCode::InvalidNumber, format!("{value} is {error}"));
                None
            }
        }
    }

    /// A mark's value, read strictly ([`Centi::from_mark_json`]): refused as `invalid_value`,
    /// the same as over the API.
    pub fn mark_value(&mut self, pointer: &str, value: &serde_json::Value) -> Option<Centi> {
        match Centi::from_mark_json(value) {
            Ok(centi) => Some(centi),
            Err(error) => {
                self.push(pointer, ErrorCode::InvalidValue, format!("{value} is {error}"));
                None
            }
        }
    }

    pub fn choice<T>(&mut self, pointer: &str, text: &str, parse: fn(&str) -> Option<T>, choices: String) -> Option<T> {
        let parsed = parse(text);
        if parsed.is_none() {
            self.push(pointer, ErrorCode::InvalidChoice, format!("'{text}' is not one of: {choices}"));
        }
        parsed
    }

    /// `Ok(value)` when nothing was found, else a 422 naming every offence.
    pub fn into_result<T>(self, value: Option<T>, what: &str) -> Result<T, Rejection> {
        match value {
            Some(v) if self.is_empty() => Ok(v),
            _ => Err(self.rejection(what)),
        }
    }

    /// A 422 naming every offence; `what` says what was refused whole.
    pub fn rejection(self, what: &str) -> Rejection {
        Rejection::invalid(format!("{} offence(s); {what}", self.0.len()), self.0)
    }
}
