//! CSV in and out: imports read a header row (`;` separates list items in a cell); exports
//! write one row per record.
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use actix_web::HttpResponse;
use std::collections::HashMap;

/// Reads CSV with a header row into maps by lower-case column name.
pub fn read(body: &[u8], required: &[&str]) -> ApiResult<Vec<HashMap<String, String>>> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(false).from_reader(body);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ApiError::bad_request(ErrorCode::InvalidCsv, e.to_string()))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let missing: Vec<FieldError> = required
        .iter()
        .filter(|r| !headers.iter().any(|h| h == *r))
        .map(|r| FieldError::new("/rows/0", ErrorCode::MissingColumn, format!("the header has no '{r}' column")))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::invalid("the CSV header lacks required columns", missing));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record =
            record.map_err(|e| ApiError::field(&format!("/rows/{}", i + 1), ErrorCode::InvalidCsv, e.to_string()))?;
        rows.push(headers.iter().cloned().zip(record.iter().map(str::to_owned)).collect());
    }
    Ok(rows)
}

/// The items of a list cell (`a; b; c`).
pub fn list(cell: Option<&String>) -> Vec<String> {
    cell.map(|c| c.split(';').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()).unwrap_or_default()
}

/// A CSV download.
pub fn response(name: &str, rows: Vec<Vec<String>>) -> ApiResult<HttpResponse> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.write_record(row).map_err(ApiError::internal)?;
    }
    let bytes = writer.into_inner().map_err(|e| ApiError::internal_msg(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}.csv\"")))
        .body(bytes))
}
