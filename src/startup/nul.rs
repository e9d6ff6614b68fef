//! Refuses the NUL character (U+0000) at the edge. PostgreSQL cannot store it in text (SQLite
//! can), so a NUL in a name, a reason, a user name or a competition code in the path answered
//! 500 on PostgreSQL only. A request carrying one is now refused the same on both: 404 for a
//! path (no code can hold one), 422 for a body.
use crate::error::{ApiError, ErrorCode, problem};
use crate::startup::MAX_JSON_BYTES;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError};
use bytes::BytesMut;
use futures_util::StreamExt;
use serde_json::Value;

const DETAIL: &str = "text must not contain the NUL character (U+0000)";

pub async fn refuse(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if req.uri().path().to_ascii_lowercase().contains("%00") {
        let response = problem(StatusCode::NOT_FOUND, ErrorCode::NotFound, DETAIL, Vec::new());
        return Ok(req.into_response(response));
    }
    let length = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    let writes = matches!(req.method().as_str(), "POST" | "PUT" | "PATCH");
    // Over the limit: the extractor answers 413 without reading it.
    if !writes || length == Some(0) || length.is_some_and(|n| n > MAX_JSON_BYTES) {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    }
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > MAX_JSON_BYTES {
            let response =
                problem(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge, "the body is too large", Vec::new());
            return Ok(req.into_response(response));
        }
        body.extend_from_slice(&chunk);
    }
    let kind = req.headers().get(CONTENT_TYPE).map(|v| v.as_bytes().to_ascii_lowercase()).unwrap_or_default();
    // JSON spells a NUL `\u0000`; a text body (CSV) holds it raw; a binary one (an XLSX
    // workbook, a zip) holds zero bytes by nature and is read by its own parser.
    let offence = if kind.windows(4).any(|w| w == b"json") {
        json_nul(&body)
    } else if kind.starts_with(b"text/") {
        body.contains(&0).then(String::new)
    } else {
        None
    };
    if let Some(pointer) = offence {
        let response = ApiError::field(&pointer, ErrorCode::InvalidBody, DETAIL).error_response();
        return Ok(req.into_response(response));
    }
    req.set_payload(Payload::from(body.freeze()));
    next.call(req).await.map(ServiceResponse::map_into_boxed_body)
}

/// The JSON pointer of the first string (or key) holding a NUL. Only a body that spells
/// `\u0000` is parsed; malformed JSON is left to the extractor (400).
fn json_nul(body: &[u8]) -> Option<String> {
    if !body.windows(6).any(|w| w == b"\\u0000") {
        return None;
    }
    let value: Value = serde_json::from_slice(body).ok()?;
    find(&value, String::new())
}

fn find(value: &Value, at: String) -> Option<String> {
    match value {
        Value::String(s) => s.contains('\0').then_some(at),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| find(v, format!("{at}/{i}"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
            if k.contains('\0') { Some(here) } else { find(v, here) }
        }),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_is_found_where_it_is_and_an_escaped_backslash_is_no_nul() {
        assert_eq!(json_nul(br#"{"marks": [{"reason": "a\u0000"}]}"#), Some("/marks/0/reason".into()));
        assert_eq!(json_nul(br#"{"names": {"z\u0000h": "x"}}"#), Some("/names/z\u{0}h".into()));
        assert_eq!(json_nul(br#"{"name": "a\\u0000"}"#), None);
        assert_eq!(json_nul(br#"{"name": "plain"}"#), None);
        assert_eq!(json_nul(br#"{"name": "\u0000"#), None);
    }
}
