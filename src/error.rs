//! One error type for the whole API, rendered as RFC 7807 `application/problem+json`
//! with a stable snake_case `code` the frontend translates.
use crate::domain::package::Offence;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use sea_orm::{DbErr, SqlErr};
use serde::Serialize;

/// One offending item of a request: a field, a mark of a batch, an item of a package.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub pointer: String,
    pub code: String,
    pub detail: String,
}

impl From<Offence> for FieldError {
    fn from(o: Offence) -> Self {
        FieldError { index: None, id: None, pointer: o.pointer, code: o.code, detail: o.detail }
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
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request cannot be understood (malformed JSON, bad query).
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    /// 401: no valid credentials, or a wrong password or code.
    #[error("{detail}")]
    Unauthorized { code: &'static str, detail: String },
    /// 403: authenticated, but the policy refuses.
    #[error("{detail}")]
    Forbidden { code: &'static str, detail: String },
    /// 404
    #[error("{0}")]
    NotFound(String),
    /// 409: the request conflicts with stored state.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// 422: well-formed, but some items break the rules; every one is listed.
    #[error("{detail}")]
    Invalid { detail: String, errors: Vec<FieldError> },
    /// 429
    #[error("too many attempts, try again in a minute")]
    TooManyRequests,
    /// 500: logged with its cause chain, never shown.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::NotFound(what.into())
    }

    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::Forbidden { code, detail: detail.into() }
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::Conflict { code, detail: detail.into() }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::BadRequest { code, detail: detail.into() }
    }

    pub fn invalid(detail: impl Into<String>, errors: Vec<FieldError>) -> ApiError {
        ApiError::Invalid { detail: detail.into(), errors }
    }

    /// A single-field validation error.
    pub fn field(pointer: &str, code: &str, detail: impl Into<String>) -> ApiError {
        let detail = detail.into();
        ApiError::Invalid {
            detail: detail.clone(),
            errors: vec![FieldError { index: None, id: None, pointer: pointer.into(), code: code.into(), detail }],
        }
    }

    pub fn offences(detail: impl Into<String>, offences: Vec<Offence>) -> ApiError {
        ApiError::Invalid { detail: detail.into(), errors: offences.into_iter().map(FieldError::from).collect() }
    }

    pub fn internal(error: impl std::error::Error + Send + Sync + 'static) -> ApiError {
        ApiError::Internal(Box::new(error))
    }

    pub fn code(&self) -> &str {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::Unauthorized { code, .. }
            | ApiError::Forbidden { code, .. }
            | ApiError::Conflict { code, .. } => code,
            ApiError::NotFound(_) => "not_found",
            ApiError::Invalid { .. } => "validation_failed",
            ApiError::TooManyRequests => "too_many_requests",
            ApiError::Internal(_) => "internal_error",
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(error: DbErr) -> Self {
        match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(detail)) => {
                ApiError::conflict("already_exists", format!("already exists ({detail})"))
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                ApiError::conflict("in_use", "other records refer to it; remove those first")
            }
            _ => ApiError::internal(error),
        }
    }
}

/// Builds a problem response; used for actix's own errors too.
pub fn problem(status: StatusCode, code: &str, detail: &str, errors: Vec<FieldError>) -> HttpResponse {
    let body = Problem {
        kind: format!("urn:podium:problem:{code}"),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail: detail.to_owned(),
        code: code.to_owned(),
        errors,
    };
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json")));
    if status == StatusCode::UNAUTHORIZED {
        response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
    }
    response.body(serde_json::to_vec(&body).unwrap_or_default())
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            let mut chain = cause.to_string();
            let mut source = cause.source();
            while let Some(s) = source {
                chain.push_str(": ");
                chain.push_str(&s.to_string());
                source = s.source();
            }
            tracing::error!(cause = %chain, "internal error");
        }
        let errors = match self {
            ApiError::Invalid { errors, .. } => errors.clone(),
            _ => Vec::new(),
        };
        problem(self.status_code(), self.code(), &self.to_string(), errors)
    }
}
