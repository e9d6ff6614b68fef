//! CSV in and out: imports read a header row (`;` separates list items in a cell); exports
//! write one row per record.
use super::State;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError, Rejection};
use crate::model::{Caller, Command, Outcome, policy};
use actix_web::HttpResponse;
use serde_json::json;
use std::collections::HashMap;

/// A row of an import: its cells by lower-case column name.
pub type Row = HashMap<String, String>;

/// Imports a CSV file as one command (organizers only; all or nothing). `required` columns
/// must be in the header; `input` reads each row; `command` gets the inputs with their
/// spreadsheet row numbers. Errors point at their row and column; 201 gives the count.
pub async fn import<I>(
    state: &State,
    caller: Caller,
    code: &str,
    body: &[u8],
    required: &[&str],
    input: impl Fn(&Row) -> I,
    command: impl FnOnce(Vec<I>, Vec<u32>) -> Command,
) -> ApiResult<HttpResponse> {
    policy::require_admin(&caller)?;
    let c = super::competition(state, code).await?;
    let rows = read(body, required)?;
    let inputs = rows.iter().map(|(_, row)| input(row)).collect();
    let numbers = rows.iter().map(|(number, _)| *number).collect();
    match state.engine.execute(c.id, caller, command(inputs, numbers)).await.map_err(locate)?.outcome {
        Outcome::Created { created } => Ok(HttpResponse::Created().json(json!({ "created": created }))),
        _ => Err(ApiError::internal_msg("an import answered without a count")),
    }
}

/// A cell's text; empty when the row has no such column.
pub fn cell(row: &Row, column: &str) -> String {
    row.get(column).cloned().unwrap_or_default()
}

/// A cell's text, or `None` when the column is missing or the cell blank.
pub fn optional(row: &Row, column: &str) -> Option<String> {
    row.get(column).filter(|s| !s.is_empty()).cloned()
}

/// Reads CSV with a header row into maps by lower-case column name, each with the row
/// number a spreadsheet shows it under (the header is row 1).
pub fn read(body: &[u8], required: &[&str]) -> ApiResult<Vec<(u32, Row)>> {
    let table = super::sheetfile::csv_table(body)?;
    let headers: Vec<String> =
        table.header.iter().map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase()).collect();
    let missing: Vec<FieldError> = required
        .iter()
        .filter(|r| !headers.iter().any(|h| h == *r))
        .map(|r| {
            let row = table.header_row;
            FieldError::new(
                format!("/rows/{row}/{r}"),
                ErrorCode::MissingColumn,
                format!("row {row} has no '{r}' column"),
            )
            .located()
        })
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::invalid("the CSV header lacks required columns", missing));
    }
    Ok(table.rows.into_iter().map(|(row, cells)| (row, headers.iter().cloned().zip(cells).collect())).collect())
}

/// A refusal of a CSV import with every error's row and column filled in from its pointer.
pub fn locate(error: ApiError) -> ApiError {
    match error {
        ApiError::Rejected(Rejection::Invalid { detail, errors }) => ApiError::Rejected(Rejection::Invalid {
            detail,
            errors: errors.into_iter().map(FieldError::located).collect(),
        }),
        other => other,
    }
}

/// The items of a list cell (`a; b; c`).
pub fn list(cell: Option<&String>) -> Vec<String> {
    cell.map(|c| c.split(';').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()).unwrap_or_default()
}

/// A CSV download. Every cell goes through [`defuse`]: exports carry names users typed.
pub fn response(name: &str, rows: Vec<Vec<String>>) -> ApiResult<HttpResponse> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for mut row in rows {
        row.iter_mut().for_each(defuse);
        writer.write_record(row).map_err(ApiError::internal)?;
    }
    let bytes = writer.into_inner().map_err(|e| ApiError::internal_msg(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}.csv\"")))
        .body(bytes))
}

/// Spreadsheets run a cell that starts with `=`, `+`, `-`, `@` (or a tab or carriage return
/// before one) as a formula: such a cell gets a leading `'`, which they show as text
/// (OWASP's advice on CSV injection). A plain number (`-1.50`) is left alone: it is no
/// formula, and a leading `'` would turn it into text.
fn defuse(cell: &mut String) {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_plain_number(cell) {
        cell.insert(0, '\'');
    }
}

/// `-` digits, optionally `.` digits.
fn is_plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix('-').unwrap_or(cell);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && all_digits(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_defused_and_numbers_are_not() {
        let defused = |cell: &str| {
            let mut cell = cell.to_owned();
            defuse(&mut cell);
            cell
        };
        for risky in ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1", "-", "=", "-1.", "-.5"] {
            assert_eq!(defused(risky), format!("'{risky}"));
        }
        for safe in ["CHN", "1", "-1", "-1.50", "12.00", "", "a=b", " =1", "'=1"] {
            assert_eq!(defused(safe), safe);
        }
    }
}
