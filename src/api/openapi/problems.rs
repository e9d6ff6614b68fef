//! Error responses in the OpenAPI document: every 4xx and 5xx is `application/problem+json`
//! with the `Problem` schema, and the statuses that every route of a kind can answer are
//! added here once instead of on each handler:
//! - a bearer-secured route: 401 (no, unknown, expired or revoked token);
//! - a JSON body: 400 (malformed JSON), 413 (over the body limit), 415 (not JSON), 422 (a
//!   field of the wrong type, or a rule broken);
//! - a CSV body: 400 (unreadable CSV), 413, 422;
//! - query parameters: 400 (a parameter of the wrong type);
//! - a UUID in the path: 400;
//! - a route under `/competitions/{code}`: 404 (no such competition).
//!
//! Path parameters the handler's extractor does not name (a `Path` type alias hides them
//! from utoipa) are declared here as strings.
//!
//! What only some routes answer (403, 409, 429, 503, …) stays on their handlers; the 403, 409
//! and 503 of a write with nothing particular to say are one type, [`WriteProblems`].
//!
//! The members some problems add (`Problem::extra`) are listed on the `Problem` schema.
use utoipa::openapi::content::Content;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::{Operation, Parameter, ParameterIn};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::{ArrayBuilder, Schema};
use utoipa::openapi::{Object, OpenApi, Ref, RefOr, Required, Type};

pub struct ProblemResponses;

/// What every write through the engine can answer besides its success, on the handlers
/// whose refusals have nothing to add to these descriptions.
#[derive(utoipa::IntoResponses)]
pub enum WriteProblems {
    #[response(status = 403, description = "the caller's role may not do this")]
    Forbidden,
    #[response(
        status = 409,
        description = "conflicts with what is stored (a duplicate code, a locked skill, an item in use, …)"
    )]
    Conflict,
    #[response(status = 503, description = "the write lost the race for its skills too often; nothing was stored")]
    Unavailable,
}

/// What a generic problem of a status means, for the document.
fn describe(status: &str) -> &'static str {
    match status {
        "400" => "the request cannot be read: malformed JSON or CSV, or a query or path parameter of the wrong type",
        "401" => "no token, or the token is unknown, expired or revoked",
        "403" => "the caller's role may not do this",
        "404" => "no such competition, or no such item in it",
        "409" => "conflicts with what is stored",
        "413" => "the body is larger than the server accepts",
        "415" => "the body is not `application/json`",
        "422" => "well-formed, but some fields break the rules (every one is listed in `errors`)",
        "429" => "too many attempts: retry after `Retry-After` seconds",
        "503" => "the server could not finish in time; nothing was stored: retry after `Retry-After` seconds",
        _ => "a problem",
    }
}

fn problem_response(status: &str, description: Option<String>) -> Response {
    let mut response = Response::new(description.unwrap_or_else(|| describe(status).to_owned()));
    response
        .content
        .insert("application/problem+json".to_owned(), RefOr::T(Content::new(Some(Ref::from_schema_name("Problem")))));
    if status == "429" || status == "503" {
        let mut header = Header::new(Object::with_type(Type::Integer));
        header.description = Some("seconds to wait before trying again".to_owned());
        response.headers.insert("Retry-After".to_owned(), RefOr::T(header));
    }
    response
}

fn body_types(body: Option<&RefOr<RequestBody>>) -> Vec<String> {
    match body {
        Some(RefOr::T(body)) => body.content.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// Declares every `{name}` of the path that the operation lacks, as a string.
fn declare_path_parameters(path: &str, operation: &mut Operation) {
    let names = path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')));
    for name in names {
        let parameters = operation.parameters.get_or_insert_with(Vec::new);
        let declared = parameters
            .iter()
            .any(|p| matches!(p, RefOr::T(p) if p.name == name && p.parameter_in == ParameterIn::Path));
        if !declared {
            let mut parameter = Parameter::new(name);
            parameter.parameter_in = ParameterIn::Path;
            parameter.required = Required::True;
            parameter.schema = Some(Object::with_type(Type::String).into());
            parameters.push(RefOr::T(parameter));
        }
    }
}

fn complete(path: &str, operation: &mut Operation) {
    declare_path_parameters(path, operation);
    let mut add: Vec<&str> = Vec::new();
    let secured = operation
        .security
        .as_ref()
        .is_some_and(|requirements| serde_json::to_value(requirements).is_ok_and(|v| v.to_string().contains("bearer")));
    if secured {
        add.push("401");
    }
    let types = body_types(operation.request_body.as_ref());
    if types.iter().any(|t| t == "application/json") {
        add.extend(["400", "413", "415", "422"]);
    }
    if types.iter().any(|t| t == "text/csv") {
        add.extend(["400", "413", "422"]);
    }
    let parameters = operation.parameters.iter().flatten();
    for parameter in parameters {
        if let RefOr::T(parameter) = parameter {
            let is_uuid = serde_json::to_value(&parameter.schema).is_ok_and(|v| v.to_string().contains("\"uuid\""));
            if parameter.parameter_in == ParameterIn::Query || (parameter.parameter_in == ParameterIn::Path && is_uuid)
            {
                add.push("400");
            }
        }
    }
    if path.starts_with("/api/v1/competitions/{code}") {
        add.push("404");
    }
    let responses = &mut operation.responses.responses;
    for status in add {
        responses.entry(status.to_owned()).or_insert_with(|| RefOr::T(problem_response(status, None)));
    }
    // Whatever a handler wrote for its errors, they are problem documents.
    for (status, response) in responses.iter_mut() {
        if let RefOr::T(r) = response
            && (status.starts_with('4') || status.starts_with('5'))
        {
            let description = (!r.description.is_empty()).then(|| r.description.clone());
            *r = problem_response(status, description);
        }
    }
}

/// `missing` of `marks_missing` and `entries` of `entry_unmarked` (409s of a lock).
fn add_extra_members(openapi: &mut OpenApi) {
    let problem = openapi.components.as_mut().and_then(|c| c.schemas.get_mut("Problem"));
    if let Some(RefOr::T(Schema::Object(problem))) = problem {
        let missing = ArrayBuilder::new()
            .items(Ref::from_schema_name("Gap"))
            .description(Some("`marks_missing`: every gap of the skill"));
        let entries = ArrayBuilder::new()
            .items(Object::with_type(Type::String))
            .description(Some("`entry_unmarked`: active entries with no mark at all"));
        problem.properties.insert("missing".to_owned(), missing.into());
        problem.properties.insert("entries".to_owned(), entries.into());
    }
}

impl utoipa::Modify for ProblemResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        add_extra_members(openapi);
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                complete(path, operation);
            }
        }
    }
}
