//! Errors, once for the whole server: the stable codes the frontend translates
//! ([`ErrorCode`]), why a request was refused ([`Rejection`], what `decide` and the policy
//! answer), and [`ApiError`], rendered as RFC 7807 `application/problem+json`.
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// Defines the error codes with their wire spelling, in one list.
macro_rules! error_codes {
    ($($variant:ident = $text:literal),+ $(,)?) => {
        /// A stable snake_case code: clients switch on it and translate it (`error.<code>` in
        /// `frontend/i18n/*.json`; a test fails when a language lacks one).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
        pub enum ErrorCode {
            $(#[serde(rename = $text)] $variant),+
        }

        // By hand: the derive does not see a `serde(rename)` whose spelling comes from a
        // macro argument, and would document the Rust names instead of the wire ones.
        impl utoipa::PartialSchema for ErrorCode {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for ErrorCode {}

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text),+
                }
            }
        }
    };
}

error_codes!(
    // Who may do what.
    Unauthorized = "unauthorized",
    InvalidToken = "invalid_token",
    InvalidCredentials = "invalid_credentials",
    CodeUsed = "code_used",
    CredentialsRequired = "credentials_required",
    TooManyRequests = "too_many_requests",
    Forbidden = "forbidden",
    AdminOnly = "admin_only",
    ChiefOnly = "chief_only",
    NotAJudgeHere = "not_a_judge_here",
    NotAssigned = "not_assigned",
    NotChief = "not_chief",
    JudgeRequired = "judge_required",
    JudgeMismatch = "judge_mismatch",
    JudgeNotAssigned = "judge_not_assigned",
    OwnDelegation = "own_delegation",
    ResultsUnpublished = "results_unpublished",
    // What does not exist.
    NotFound = "not_found",
    UnknownCode = "unknown_code",
    UnknownEntry = "unknown_entry",
    UnknownJudge = "unknown_judge",
    UnknownAspect = "unknown_aspect",
    UnknownChannel = "unknown_channel",
    // Fields and items that break the rules.
    ValidationFailed = "validation_failed",
    Required = "required",
    TooLong = "too_long",
    TooMany = "too_many",
    InvalidCode = "invalid_code",
    InvalidChoice = "invalid_choice",
    InvalidNumber = "invalid_number",
    TooPrecise = "too_precise",
    OutOfRange = "out_of_range",
    InvalidDate = "invalid_date",
    InvalidTimezone = "invalid_timezone",
    UnknownLanguage = "unknown_language",
    InvalidId = "invalid_id",
    InvalidMark = "invalid_mark",
    InvalidValue = "invalid_value",
    InvalidScore = "invalid_score",
    DuplicateCode = "duplicate_code",
    DuplicateId = "duplicate_id",
    TeamSize = "team_size",
    Immutable = "immutable",
    WrongSkill = "wrong_skill",
    UnsupportedFormat = "unsupported_format",
    UseStatusEndpoint = "use_status_endpoint",
    ReasonRequired = "reason_required",
    Inconsistent = "inconsistent",
    MissingColumn = "missing_column",
    InvalidCsv = "invalid_csv",
    // Conflicts with what is stored.
    AlreadyExists = "already_exists",
    CompetitionExists = "competition_exists",
    InUse = "in_use",
    InvalidState = "invalid_state",
    SkillLocked = "skill_locked",
    EntryNotActive = "entry_not_active",
    OpenDiscrepancies = "open_discrepancies",
    MarksMissing = "marks_missing",
    EntryUnmarked = "entry_unmarked",
    NoDiscrepancy = "no_discrepancy",
    MarkIdConflict = "mark_id_conflict",
    AlreadyVoid = "already_void",
    SchemeLocked = "scheme_locked",
    TeamSizeLocked = "team_size_locked",
    ConcurrentChange = "concurrent_change",
    SkillNotLocked = "skill_not_locked",
    NoCeremony = "no_ceremony",
    NoMedals = "no_medals",
    CeremonyEnd = "ceremony_end",
    CeremonyStale = "ceremony_stale",
    CeremonyInProgress = "ceremony_in_progress",
    // The request itself.
    BadRequest = "bad_request",
    MalformedJson = "malformed_json",
    InvalidBody = "invalid_body",
    InvalidQuery = "invalid_query",
    InvalidPath = "invalid_path",
    InvalidOrder = "invalid_order",
    InvalidFormat = "invalid_format",
    PayloadTooLarge = "payload_too_large",
    UnsupportedMediaType = "unsupported_media_type",
    MethodNotAllowed = "method_not_allowed",
    WebsocketRequired = "websocket_required",
    // The live protocol.
    InvalidMessage = "invalid_message",
    ProtocolError = "protocol_error",
    TooManySubscriptions = "too_many_subscriptions",
    // The server.
    Unavailable = "unavailable",
    DatabaseUnavailable = "database_unavailable",
    InternalError = "internal_error",
);

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One offending item of a request: a field, a mark of a batch, an item of a package or a
/// cell of a spreadsheet (CSV or XLSX), addressed by a JSON pointer. A spreadsheet's errors
/// also name the sheet (XLSX), the row as the spreadsheet numbers it (the header is row 1)
/// and the column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub pointer: String,
    pub code: ErrorCode,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, code: ErrorCode, detail: impl Into<String>) -> FieldError {
        FieldError {
            index: None,
            id: None,
            pointer: pointer.into(),
            code,
            detail: detail.into(),
            sheet: None,
            row: None,
            column: None,
        }
    }

    /// Fills `row` and `column` from a pointer `/rows/{row}[/{column}]` (rows of a CSV file
    /// are addressed by their spreadsheet row number).
    pub fn located(mut self) -> FieldError {
        if let Some(rest) = self.pointer.strip_prefix("/rows/") {
            let (row, column) = rest.split_once('/').map_or((rest, None), |(r, c)| (r, Some(c)));
            if let Ok(row) = row.parse() {
                self.row = Some(row);
                self.column = column.filter(|c| !c.is_empty()).map(|c| c.replace("~1", "/").replace("~0", "~"));
            }
        }
        self
    }
}

/// Why a request was refused: the caller's doing, never the server's. `decide` and the
/// policy answer with one; each variant documents its HTTP status.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Rejection {
    /// 400: the request cannot be understood.
    #[error("{detail}")]
    BadRequest { code: ErrorCode, detail: String },
    /// 401: no valid credentials, or a wrong password or code.
    #[error("{detail}")]
    Unauthorized { code: ErrorCode, detail: String },
    /// 403: authenticated, but the policy refuses.
    #[error("{detail}")]
    Forbidden { code: ErrorCode, detail: String },
    /// 404
    #[error("{detail}")]
    NotFound { code: ErrorCode, detail: String },
    /// 409: the request conflicts with stored state; `extra` adds members to the problem.
    #[error("{detail}")]
    Conflict { code: ErrorCode, detail: String, extra: Option<serde_json::Map<String, serde_json::Value>> },
    /// 422: well-formed, but some items break the rules; every one is listed.
    #[error("{detail}")]
    Invalid { detail: String, errors: Vec<FieldError> },
    /// 429 with `Retry-After`: the seconds until the caller's budget has room again.
    #[error("too many failed attempts, try again in {retry_after} s")]
    TooManyRequests { retry_after: u64 },
}

impl Rejection {
    pub fn not_found(detail: impl Into<String>) -> Rejection {
        Rejection::NotFound { code: ErrorCode::NotFound, detail: detail.into() }
    }

    /// 404 with a specific code (`unknown_entry`, …).
    pub fn unknown(code: ErrorCode, detail: impl Into<String>) -> Rejection {
        Rejection::NotFound { code, detail: detail.into() }
    }

    pub fn forbidden(code: ErrorCode, detail: impl Into<String>) -> Rejection {
        Rejection::Forbidden { code, detail: detail.into() }
    }

    pub fn conflict(code: ErrorCode, detail: impl Into<String>) -> Rejection {
        Rejection::Conflict { code, detail: detail.into(), extra: None }
    }

    pub fn bad_request(code: ErrorCode, detail: impl Into<String>) -> Rejection {
        Rejection::BadRequest { code, detail: detail.into() }
    }

    pub fn unauthorized(code: ErrorCode, detail: impl Into<String>) -> Rejection {
        Rejection::Unauthorized { code, detail: detail.into() }
    }

    pub fn invalid(detail: impl Into<String>, errors: Vec<FieldError>) -> Rejection {
        Rejection::Invalid { detail: detail.into(), errors }
    }

    /// A single-field validation error.
    pub fn field(pointer: &str, code: ErrorCode, detail: impl Into<String>) -> Rejection {
        let detail = detail.into();
        Rejection::Invalid { detail: detail.clone(), errors: vec![FieldError::new(pointer, code, detail)] }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Rejection::BadRequest { code, .. }
            | Rejection::Unauthorized { code, .. }
            | Rejection::Forbidden { code, .. }
            | Rejection::NotFound { code, .. }
            | Rejection::Conflict { code, .. } => *code,
            Rejection::Invalid { .. } => ErrorCode::ValidationFailed,
            Rejection::TooManyRequests { .. } => ErrorCode::TooManyRequests,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Rejection::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Rejection::Forbidden { .. } => StatusCode::FORBIDDEN,
            Rejection::NotFound { .. } => StatusCode::NOT_FOUND,
            Rejection::Conflict { .. } => StatusCode::CONFLICT,
            Rejection::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Rejection::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        }
    }
}

/// Any error an HTTP handler can answer with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 4xx: the request was refused.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// 503 with `Retry-After`: the server could not finish in time (another instance kept
    /// winning the race for the same skills); nothing was stored.
    #[error("{detail}")]
    Unavailable { detail: String, retry_after: u64 },
    /// 500: logged with its cause chain, never shown.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn not_found(detail: impl Into<String>) -> ApiError {
        Rejection::not_found(detail).into()
    }

    pub fn unknown(code: ErrorCode, detail: impl Into<String>) -> ApiError {
        Rejection::unknown(code, detail).into()
    }

    pub fn forbidden(code: ErrorCode, detail: impl Into<String>) -> ApiError {
        Rejection::forbidden(code, detail).into()
    }

    pub fn conflict(code: ErrorCode, detail: impl Into<String>) -> ApiError {
        Rejection::conflict(code, detail).into()
    }

    pub fn bad_request(code: ErrorCode, detail: impl Into<String>) -> ApiError {
        Rejection::bad_request(code, detail).into()
    }

    pub fn unauthorized(code: ErrorCode, detail: impl Into<String>) -> ApiError {
        Rejection::unauthorized(code, detail).into()
    }

    pub fn invalid(detail: impl Into<String>, errors: Vec<FieldError>) -> ApiError {
        Rejection::invalid(detail, errors).into()
    }

    pub fn field(pointer: &str, code: ErrorCode, detail: impl Into<String>) -> ApiError {
        Rejection::field(pointer, code, detail).into()
    }

    pub fn internal(error: impl std::error::Error + Send + Sync + 'static) -> ApiError {
        ApiError::Internal(Box::new(error))
    }

    /// An internal error described by a message only.
    pub fn internal_msg(message: impl Into<String>) -> ApiError {
        ApiError::Internal(Box::new(std::io::Error::other(message.into())))
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Rejected(r) => r.code(),
            ApiError::Unavailable { .. } => ErrorCode::Unavailable,
            ApiError::Internal(_) => ErrorCode::InternalError,
        }
    }
}

/// The problem document itself, as the OpenAPI document describes it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: ErrorCode,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Members a particular problem adds (e.g. `missing` of `marks_missing`); the OpenAPI
    /// document lists them (`api::openapi::problems`).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub extra: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Builds a problem response; used for actix's own errors too.
pub fn problem(status: StatusCode, code: ErrorCode, detail: &str, errors: Vec<FieldError>) -> HttpResponse {
    problem_with(status, code, detail, errors, None)
}

fn problem_with(
    status: StatusCode,
    code: ErrorCode,
    detail: &str,
    errors: Vec<FieldError>,
    extra: Option<serde_json::Map<String, serde_json::Value>>,
) -> HttpResponse {
    let body = Problem {
        kind: format!("urn:podium:problem:{code}"),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail: detail.to_owned(),
        code,
        errors,
        extra,
    };
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json")));
    if status == StatusCode::UNAUTHORIZED {
        response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
    }
    response.body(serde_json::to_vec(&body).unwrap_or_default())
}

fn insert_retry_after(response: &mut HttpResponse, seconds: u64) {
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Rejected(r) => r.status(),
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => {
                let mut chain = cause.to_string();
                let mut source = cause.source();
                while let Some(s) = source {
                    chain.push_str(": ");
                    chain.push_str(&s.to_string());
                    source = s.source();
                }
                tracing::error!(cause = %chain, "internal error");
                problem(self.status_code(), self.code(), "internal error", Vec::new())
            }
            ApiError::Unavailable { detail, retry_after } => {
                let mut response = problem(self.status_code(), self.code(), detail, Vec::new());
                insert_retry_after(&mut response, *retry_after);
                response
            }
            ApiError::Rejected(rejection) => {
                let (errors, extra) = match rejection {
                    Rejection::Invalid { errors, .. } => (errors.clone(), None),
                    Rejection::Conflict { extra, .. } => (Vec::new(), extra.clone()),
                    _ => (Vec::new(), None),
                };
                let mut response = problem_with(self.status_code(), self.code(), &rejection.to_string(), errors, extra);
                if let Rejection::TooManyRequests { retry_after } = rejection {
                    insert_retry_after(&mut response, *retry_after);
                }
                response
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_error_code_has_a_text_in_every_language() {
        let languages = [
            ("en", include_str!("../frontend/i18n/en.json")),
            ("zh", include_str!("../frontend/i18n/zh.json")),
            ("ru", include_str!("../frontend/i18n/ru.json")),
        ];
        for (language, text) in languages {
            let texts: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text).unwrap();
            let missing: Vec<&str> = ErrorCode::ALL
                .iter()
                .map(|c| c.as_str())
                .filter(|c| {
                    texts.get(&format!("error.{c}")).and_then(|t| t.as_str()).is_none_or(|t| t.trim().is_empty())
                })
                .collect();
            assert!(missing.is_empty(), "frontend/i18n/{language}.json lacks error.<code> for {missing:?}");
        }
    }

    #[test]
    fn codes_travel_as_their_snake_case_spelling() {
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), serde_json::json!(code.as_str()));
        }
    }
}
