//! A spreadsheet as text (a CSV file or one sheet of a workbook), and a marking scheme read
//! from one: one row per aspect, columns criterion, criterion name, aspect, description,
//! kind (M/J, or measurement/judgement), max, and optionally mode and panel. Every error is
//! named by sheet, row (as the spreadsheet numbers it: the header is row 1) and column, and
//! all of them are found at once. Pure: reading the file's bytes is the API's business.
use super::code::Code;
use super::decimal::{Centi, DecimalError};
use super::input::{AspectInput, CriterionInput};
use crate::error::{ErrorCode, FieldError};
use std::collections::HashMap;

/// A sheet's cells as text, rows numbered as the spreadsheet shows them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// The sheet's name (workbooks), `None` for a CSV file.
    pub sheet: Option<String>,
    /// The header row: its number and its cells.
    pub header_row: u32,
    pub header: Vec<String>,
    /// The rows below the header that have any text, with their numbers.
    pub rows: Vec<(u32, Vec<String>)>,
}

impl Table {
    /// The column index of each header name (lower case, `_`, `-` and runs of spaces read
    /// as one space).
    pub fn columns(&self) -> HashMap<String, usize> {
        let mut columns = HashMap::new();
        for (i, name) in self.header.iter().enumerate() {
            columns.entry(normalise(name)).or_insert(i);
        }
        columns
    }

    /// An error in a cell; the detail starts with the cell's spreadsheet reference (`E4`).
    pub fn error(&self, row: u32, column: &str, code: ErrorCode, detail: impl Into<String>) -> FieldError {
        let letter = self.columns().get(column).map(|&i| column_letter(i)).unwrap_or_default();
        let escaped = column.replace('~', "~0").replace('/', "~1");
        let pointer = match &self.sheet {
            Some(sheet) => {
                format!("/sheets/{}/rows/{row}/{escaped}", sheet.replace('~', "~0").replace('/', "~1"))
            }
            None => format!("/rows/{row}/{escaped}"),
        };
        let place = match &self.sheet {
            Some(sheet) => format!("{sheet}!{letter}{row}"),
            None if letter.is_empty() => format!("row {row}"),
            None => format!("{letter}{row}"),
        };
        FieldError {
            sheet: self.sheet.clone(),
            row: Some(row),
            column: Some(column.to_owned()),
            ..FieldError::new(pointer, code, format!("{place} ({column}): {}", detail.into()))
        }
    }
}

/// `criterion_name`, `Criterion-Name` and ` criterion  name ` all read `criterion name`.
pub fn normalise(name: &str) -> String {
    let name = name.trim_start_matches('\u{feff}').to_lowercase().replace(['_', '-'], " ");
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `A` for column 0, `Z` for 25, `AA` for 26.
pub fn column_letter(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// The scheme's columns, with the other names a header may give them.
const COLUMNS: [(&str, &[&str], bool); 8] = [
    ("criterion", &["criterion code", "criterion id"], true),
    ("criterion name", &["criterion title"], true),
    ("aspect", &["aspect code", "aspect id"], true),
    ("description", &["aspect description"], true),
    ("kind", &["type", "aspect type"], true),
    ("max", &["max mark", "max marks", "maximum"], true),
    ("mode", &[], false),
    ("panel", &["panel size"], false),
];

/// The names of the columns a scheme needs, in order.
pub fn required_columns() -> impl Iterator<Item = &'static str> {
    COLUMNS.iter().filter(|c| c.2).map(|c| c.0)
}

/// Whether a header names every column a scheme needs (to find the scheme's sheet).
pub fn has_scheme_header(header: &[String]) -> bool {
    let table = Table { header: header.to_vec(), ..Table::default() };
    let found = column_map(&table);
    required_columns().all(|c| found.contains_key(c))
}

fn column_map(table: &Table) -> HashMap<&'static str, usize> {
    let columns = table.columns();
    let mut found = HashMap::new();
    for (name, aliases, _) in COLUMNS {
        let at = std::iter::once(name).chain(aliases.iter().copied()).find_map(|n| columns.get(n).copied());
        if let Some(i) = at {
            found.insert(name, i);
        }
    }
    found
}

fn kind(text: &str) -> Option<&'static str> {
    match text.trim().to_lowercase().as_str() {
        "m" | "measurement" => Some("measurement"),
        "j" | "judgement" | "judgment" => Some("judgement"),
        _ => None,
    }
}

/// Reads the criteria of a marking scheme from a table. A blank criterion cell continues
/// the criterion above (merged cells read that way). Returns the criteria read and every
/// error; the criteria are whole only when there are no errors.
pub fn scheme(table: &Table) -> (Vec<CriterionInput>, Vec<FieldError>) {
    let mut errors = Vec::new();
    let found = column_map(table);
    for name in required_columns() {
        if !found.contains_key(name) {
            let mut error =
                table.error(table.header_row, name, ErrorCode::MissingColumn, "the header has no such column");
            error.detail = format!("row {} lacks a '{name}' column", table.header_row);
            errors.push(error);
        }
    }
    if !errors.is_empty() {
        return (Vec::new(), errors);
    }
    // Errors name the column as the header spells it.
    let header_name = |name: &str| found.get(name).map_or(name.to_owned(), |&i| normalise(&table.header[i]));
    let mut criteria: Vec<CriterionInput> = Vec::new();
    let mut names: HashMap<String, (String, u32)> = HashMap::new();
    let mut aspects: HashMap<String, u32> = HashMap::new();
    let mut current: Option<usize> = None;
    for (row, cells) in &table.rows {
        let row = *row;
        let cell = |name: &str| found.get(name).and_then(|&i| cells.get(i)).map_or("", |c| c.trim());
        let mut fail = |name: &str, code: ErrorCode, detail: String| {
            errors.push(table.error(row, &header_name(name), code, detail));
        };
        // The criterion: this row's, or the one above.
        let criterion_text = cell("criterion");
        let criterion = if criterion_text.is_empty() {
            if current.is_none() {
                fail("criterion", ErrorCode::Required, "the first aspect needs its criterion".into());
            }
            current
        } else {
            match Code::parse(criterion_text) {
                Ok(code) => {
                    let at = criteria.iter().position(|c| c.code == code.as_str()).unwrap_or_else(|| {
                        criteria.push(CriterionInput {
                            code: code.to_string(),
                            name: String::new(),
                            aspects: Vec::new(),
                        });
                        criteria.len() - 1
                    });
                    current = Some(at);
                    Some(at)
                }
                Err(why) => {
                    fail("criterion", ErrorCode::InvalidCode, format!("'{criterion_text}' {why}"));
                    None
                }
            }
        };
        let name = cell("criterion name");
        if let Some(ci) = criterion
            && !name.is_empty()
        {
            let code = criteria[ci].code.clone();
            match names.get(&code) {
                Some((first, first_row)) if first != name => fail(
                    "criterion name",
                    ErrorCode::Inconsistent,
                    format!("criterion '{code}' is named '{first}' on row {first_row}, not '{name}'"),
                ),
                Some(_) => {}
                None => {
                    names.insert(code, (name.to_owned(), row));
                    criteria[ci].name = name.to_owned();
                }
            }
        }
        let aspect_text = cell("aspect");
        let aspect = match Code::parse(aspect_text) {
            Ok(code) => {
                if let Some(first) = aspects.get(code.as_str()) {
                    fail("aspect", ErrorCode::DuplicateCode, format!("aspect '{code}' is on row {first} already"));
                } else {
                    aspects.insert(code.to_string(), row);
                }
                Some(code)
            }
            Err(why) => {
                fail("aspect", ErrorCode::InvalidCode, format!("'{aspect_text}' {why}"));
                None
            }
        };
        let kind_text = cell("kind");
        let kind = kind(kind_text);
        if kind.is_none() {
            fail("kind", ErrorCode::InvalidChoice, format!("'{kind_text}' is not M, J, measurement or judgement"));
        }
        let max_text = cell("max");
        let max = match Centi::parse(max_text) {
            Ok(max) if max <= Centi::ZERO => {
                fail("max", ErrorCode::OutOfRange, format!("{max_text} is not greater than 0"));
                None
            }
            Ok(max) => Some(max),
            Err(DecimalError::TooPrecise) => {
                fail("max", ErrorCode::TooPrecise, format!("{max_text} has more than 2 decimals"));
                None
            }
            Err(_) => {
                fail("max", ErrorCode::InvalidNumber, format!("'{max_text}' is not a number"));
                None
            }
        };
        let mode = match cell("mode").to_lowercase().as_str() {
            "" => None,
            "binary" if kind == Some("measurement") => Some("binary".to_owned()),
            other => {
                fail(
                    "mode",
                    ErrorCode::InvalidChoice,
                    format!("'{other}' is allowed only as 'binary' on a measurement"),
                );
                None
            }
        };
        let panel_text = cell("panel");
        let panel = match (panel_text.parse::<u32>(), kind) {
            _ if panel_text.is_empty() => None,
            (Ok(0), _) => {
                fail("panel", ErrorCode::OutOfRange, "a panel has at least 1 judge".into());
                None
            }
            (Ok(n), Some("judgement")) => Some(n),
            (Ok(_), _) => {
                fail("panel", ErrorCode::Inconsistent, "a panel is given for judgement aspects only".into());
                None
            }
            (Err(_), _) => {
                fail("panel", ErrorCode::InvalidNumber, format!("'{panel_text}' is not a whole number"));
                None
            }
        };
        if let (Some(ci), Some(code), Some(kind), Some(max)) = (criterion, aspect, kind, max) {
            criteria[ci].aspects.push(AspectInput {
                code: code.to_string(),
                description: cell("description").to_owned(),
                kind: kind.to_owned(),
                max: serde_json::Value::String(max.to_string()),
                panel: if kind == "judgement" { Some(panel.unwrap_or(3)) } else { None },
                mode,
            });
        }
    }
    if table.rows.is_empty() {
        errors.push(table.error(table.header_row + 1, &header_name("aspect"), ErrorCode::Required, "no aspects"));
    }
    (criteria, errors)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn table(sheet: Option<&str>, header: &str, rows: &[&str]) -> Table {
        let split = |line: &str| line.split(',').map(str::to_owned).collect::<Vec<_>>();
        Table {
            sheet: sheet.map(str::to_owned),
            header_row: 1,
            header: split(header),
            rows: rows.iter().enumerate().map(|(i, r)| (i as u32 + 2, split(r))).collect(),
        }
    }

    const HEADER: &str = "Criterion,Criterion name,Aspect,Description,Kind,Max,Mode,Panel";

    #[test]
    fn a_scheme_reads_with_continued_criteria_and_both_spellings_of_kind() {
        let t = table(
            None,
            HEADER,
            &[
                "A,Design,A1,Layout matches the brief,M,2.5,,",
                ",,A2,Overall impression,judgement,3,,3",
                "A,,A3,Safety check,measurement,1,binary,",
                "B,Build,B1,Finish,J,4.00,,5",
            ],
        );
        let (criteria, errors) = scheme(&t);
        assert_eq!(errors, []);
        assert_eq!(criteria.len(), 2);
        assert_eq!((criteria[0].name.as_str(), criteria[0].aspects.len()), ("Design", 3));
        let a2 = &criteria[0].aspects[1];
        assert_eq!((a2.kind.as_str(), a2.panel, a2.max.as_str()), ("judgement", Some(3), Some("3.00")));
        assert_eq!(criteria[0].aspects[2].mode.as_deref(), Some("binary"));
        assert_eq!((criteria[1].aspects[0].panel, criteria[1].aspects[0].max.as_str()), (Some(5), Some("4.00")));
    }

    #[test]
    fn every_bad_cell_is_named_by_sheet_row_and_column() {
        let t = table(
            Some("Scheme"),
            HEADER,
            &["A,Design,A1,ok,M,2,,", "A,Other name,A 2,bad code,X,0,,", "B,Build,A1,duplicate,J,1.005,binary,0"],
        );
        let (_, errors) = scheme(&t);
        let found: Vec<_> = errors.iter().map(|e| (e.row.unwrap(), e.column.clone().unwrap(), e.code)).collect();
        assert_eq!(
            found,
            [
                (3, "criterion name".to_owned(), ErrorCode::Inconsistent),
                (3, "aspect".to_owned(), ErrorCode::InvalidCode),
                (3, "kind".to_owned(), ErrorCode::InvalidChoice),
                (3, "max".to_owned(), ErrorCode::OutOfRange),
                (4, "aspect".to_owned(), ErrorCode::DuplicateCode),
                (4, "max".to_owned(), ErrorCode::TooPrecise),
                (4, "mode".to_owned(), ErrorCode::InvalidChoice),
                (4, "panel".to_owned(), ErrorCode::OutOfRange),
            ]
        );
        assert!(errors.iter().all(|e| e.sheet.as_deref() == Some("Scheme")));
        assert_eq!(errors[2].pointer, "/sheets/Scheme/rows/3/kind");
        assert!(errors[2].detail.starts_with("Scheme!E3 (kind):"), "{}", errors[2].detail);
    }

    #[test]
    fn missing_columns_are_named_on_the_header_row() {
        let (_, errors) = scheme(&table(None, "criterion,aspect,max", &["A,A1,1"]));
        let missing: Vec<_> = errors.iter().map(|e| (e.row, e.column.clone().unwrap())).collect();
        assert_eq!(
            missing,
            [(Some(1), "criterion name".to_owned()), (Some(1), "description".to_owned()), (Some(1), "kind".to_owned())]
        );
    }

    #[test]
    fn column_letters_go_past_z() {
        assert_eq!([column_letter(0), column_letter(25), column_letter(26), column_letter(27)], ["A", "Z", "AA", "AB"]);
        assert_eq!(column_letter(701), "ZZ");
    }
}
