//! Spreadsheets in: a CSV file or an XLSX workbook (read with `calamine`) becomes a
//! [`Table`] of text cells whose rows keep the numbers the spreadsheet shows them under.
use crate::domain::sheet::Table;
use crate::error::{ApiError, ApiResult, ErrorCode};
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use std::io::Cursor;

/// How many non-empty rows of a sheet are searched for its header.
const HEADER_SEARCH: usize = 20;

pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What a request body holds, by its Content-Type (or, without one, by its first bytes: an
/// XLSX file is a ZIP archive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// The format, or why the Content-Type is neither (for a 415 answer).
    pub fn of(content_type: Option<&str>, body: &[u8]) -> Result<Format, String> {
        let essence = content_type.map(|c| c.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
        match essence.as_deref() {
            Some(XLSX_MIME) => Ok(Format::Xlsx),
            Some("text/csv" | "application/csv" | "text/plain") => Ok(Format::Csv),
            None | Some("" | "application/octet-stream") => {
                Ok(if body.starts_with(b"PK\x03\x04") { Format::Xlsx } else { Format::Csv })
            }
            Some(other) => Err(format!("'{other}' is neither text/csv nor {XLSX_MIME}")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

/// A CSV file as a table: the first row is the header (row 1); a row's number counts every
/// row above it, blank ones too, as a spreadsheet opening the file shows it.
pub fn csv_table(body: &[u8]) -> ApiResult<Table> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(body);
    let mut table = Table { sheet: None, header_row: 1, header: Vec::new(), rows: Vec::new() };
    let mut first = true;
    for (i, record) in reader.records().enumerate() {
        // The line the record starts on, counted from its byte offset: the reader skips
        // blank lines without counting them (its offset is where the skipping began).
        let row = match record.as_ref().ok().and_then(|r| r.position()) {
            Some(p) => {
                let mut start = usize::try_from(p.byte()).unwrap_or(usize::MAX).min(body.len());
                while start < body.len() && matches!(body[start], b'\r' | b'\n') {
                    start += 1;
                }
                body[..start].iter().filter(|&&b| b == b'\n').count() + 1
            }
            None => i + 1,
        };
        let row = u32::try_from(row).unwrap_or(u32::MAX);
        let record = record
            .map_err(|e| ApiError::field(&format!("/rows/{row}"), ErrorCode::InvalidCsv, format!("row {row}: {e}")))?;
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_owned()).collect();
        if first {
            table.header_row = row;
            table.header = cells;
            first = false;
        } else if cells.iter().any(|c| !c.is_empty()) {
            table.rows.push((row, cells));
        }
    }
    if first {
        return Err(ApiError::field("/rows/1", ErrorCode::InvalidCsv, "the file is empty: row 1 must be the header"));
    }
    Ok(table)
}

/// A cell as text: whole numbers without a decimal point, others in their shortest form.
fn text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(d) => d.as_f64().to_string(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// One sheet of an XLSX workbook as a table: `sheet` if named, else the first whose first
/// non-empty row is a header `wanted` accepts, else the first sheet.
pub fn xlsx_table(body: &[u8], sheet: Option<&str>, wanted: impl Fn(&[String]) -> bool) -> ApiResult<Table> {
    let unreadable = |e: calamine::XlsxError| {
        ApiError::bad_request(ErrorCode::InvalidFormat, format!("the file is not a readable XLSX workbook: {e}"))
    };
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(body)).map_err(unreadable)?;
    let names = workbook.sheet_names();
    if let Some(name) = sheet
        && !names.iter().any(|n| n == name)
    {
        let detail = format!("the workbook has no sheet '{name}'; it has: {}", names.join(", "));
        return Err(ApiError::bad_request(ErrorCode::InvalidQuery, detail));
    }
    let candidates: Vec<String> = match sheet {
        Some(name) => vec![name.to_owned()],
        None => names.clone(),
    };
    let mut first = None;
    for name in candidates {
        let range = workbook.worksheet_range(&name).map_err(unreadable)?;
        let (top, _) = range.start().unwrap_or((0, 0));
        let mut table = Table { sheet: Some(name), header_row: 1, header: Vec::new(), rows: Vec::new() };
        let (_, left) = range.start().unwrap_or((0, 0));
        let rows: Vec<(u32, Vec<String>)> = range
            .rows()
            .enumerate()
            .map(|(i, cells)| {
                // Columns keep their letters: cells left of the used range are blank.
                let cells = std::iter::repeat_n(String::new(), left as usize).chain(cells.iter().map(text)).collect();
                (top + i as u32 + 1, cells)
            })
            .filter(|(_, cells): &(u32, Vec<String>)| cells.iter().any(|c| !c.is_empty()))
            .collect();
        // The header is the first row `wanted` accepts among the first few (a title may
        // stand above it), else the first row.
        let header_at = rows.iter().take(HEADER_SEARCH).position(|(_, cells)| wanted(cells));
        let found = header_at.is_some();
        let mut rows = rows.into_iter().skip(header_at.unwrap_or(0));
        if let Some((row, cells)) = rows.next() {
            table.header_row = row;
            table.header = cells;
        }
        table.rows = rows.collect();
        if sheet.is_some() || found {
            return Ok(table);
        }
        first.get_or_insert(table);
    }
    first.ok_or_else(|| ApiError::bad_request(ErrorCode::InvalidFormat, "the workbook has no sheets"))
}

/// The body as a table, whichever format it is in.
pub fn table(format: Format, body: &[u8], sheet: Option<&str>, wanted: impl Fn(&[String]) -> bool) -> ApiResult<Table> {
    match format {
        Format::Csv => csv_table(body),
        Format::Xlsx => xlsx_table(body, sheet, wanted),
    }
}
