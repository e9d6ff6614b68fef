//! Setup from spreadsheets: marking schemes from XLSX and CSV (preview, save, every error by
//! sheet, row and column), delegations from CSV, and row numbers in every CSV error.
use crate::helpers::{TestApp, mark};
use crate::on_both_databases;
use reqwest::StatusCode;
use rust_xlsxwriter::{Format, Workbook};
use serde_json::{Value, json};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn upload(app: &TestApp, path: &str, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(&app.admin_token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// criterion, name, aspect, description, kind, max, mode, panel
type SchemeRow = (&'static str, &'static str, &'static str, &'static str, &'static str, f64, &'static str, Option<f64>);

/// A workbook shaped like a WorldSkills marking scheme export: a cover sheet first, then the
/// scheme under a title row, with extra columns, merged criterion cells and numeric cells.
fn worldskills_workbook() -> Vec<u8> {
    let mut book = Workbook::new();
    let cover = book.add_worksheet();
    cover.set_name("Cover").unwrap();
    cover.write_string(0, 0, "Marking Scheme — Web Technologies").unwrap();
    cover.write_string(2, 0, "Version").unwrap();
    cover.write_number(2, 1, 3).unwrap();
    let sheet = book.add_worksheet();
    sheet.set_name("Marking Scheme").unwrap();
    sheet.write_string(0, 0, "WS2026 Web Technologies – Marking Scheme").unwrap();
    let header =
        ["Criterion", "Criterion Name", "Aspect", "Description", "Kind", "Max Mark", "Mode", "Panel", "WSOS Section"];
    for (col, title) in header.iter().enumerate() {
        sheet.write_string(2, col as u16, *title).unwrap();
    }
    let rows: [SchemeRow; 6] = [
        ("A", "Design", "A1", "Layout follows the brief", "M", 2.5, "", None),
        ("A", "Design", "A2", "Colour contrast AA", "M", 1.0, "binary", None),
        ("A", "Design", "A3", "Overall visual impression", "J", 3.0, "", Some(3.0)),
        ("B", "Build", "B1", "Pages validate", "Measurement", 2.25, "", None),
        ("B", "Build", "B2", "Responsive at 3 widths", "measurement", 4.0, "", None),
        ("B", "Build", "B3", "Code quality", "Judgement", 5.0, "", Some(4.0)),
    ];
    let merged = Format::new();
    for (i, (criterion, name, aspect, description, kind, max, mode, panel)) in rows.iter().enumerate() {
        let row = 3 + i as u32;
        // Criterion cells merged over each criterion's rows, as schemes are often laid out.
        if i % 3 == 0 {
            sheet.merge_range(row, 0, row + 2, 0, criterion, &merged).unwrap();
            sheet.merge_range(row, 1, row + 2, 1, name, &merged).unwrap();
        }
        sheet.write_string(row, 2, *aspect).unwrap();
        sheet.write_string(row, 3, *description).unwrap();
        sheet.write_string(row, 4, *kind).unwrap();
        sheet.write_number(row, 5, *max).unwrap();
        if !mode.is_empty() {
            sheet.write_string(row, 6, *mode).unwrap();
        }
        if let Some(panel) = panel {
            sheet.write_number(row, 7, *panel).unwrap();
        }
        sheet.write_string(row, 8, "1.2").unwrap();
    }
    book.save_to_buffer().unwrap()
}

async fn a_worldskills_shaped_workbook_previews_then_saves(app: TestApp) {
    app.small().await;
    let path = "/api/v1/competitions/SMALL/skills/S2/scheme/import";
    let (status, body) = app.post(&format!("{path}?preview=true"), None, &json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, preview) = upload(&app, &format!("{path}?preview=true"), XLSX, worldskills_workbook()).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["errors"], json!([]), "{preview}");
    assert_eq!((preview["valid"].as_bool(), preview["format"].as_str()), (Some(true), Some("xlsx")));
    assert_eq!(preview["sheet"], "Marking Scheme", "the scheme's sheet is found past the cover");
    assert_eq!((preview["aspects"].as_u64(), preview["total_max"].as_str()), (Some(6), Some("17.75")));
    let a = &preview["criteria"][0];
    assert_eq!((a["code"].as_str(), a["name"].as_str()), (Some("A"), Some("Design")));
    assert_eq!(
        a["aspects"][1],
        json!({"code": "A2", "description": "Colour contrast AA", "kind": "measurement", "max": "1.00", "mode": "binary"})
    );
    assert_eq!(a["aspects"][2]["panel"], 3);
    assert_eq!(
        preview["criteria"][1]["aspects"][2],
        json!({"code": "B3", "description": "Code quality", "kind": "judgement", "max": "5.00", "panel": 4})
    );
    // A preview stores nothing.
    let skill = app.admin_get("/api/v1/competitions/SMALL/skills/S2").await;
    assert_eq!(skill["criteria"].as_array().unwrap().len(), 1);
    // Saved, the skill keeps its settings and gets the scheme.
    let (status, saved) = upload(&app, path, XLSX, worldskills_workbook()).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let skill = app.admin_get("/api/v1/competitions/SMALL/skills/S2").await;
    assert_eq!(
        (skill["name"].as_str(), skill["criteria"][1]["aspects"][0]["max"].as_str()),
        (Some("Skill two"), Some("2.25"))
    );
    let codes: Vec<_> = skill["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["aspects"].as_array().unwrap().iter().map(|a| a["code"].clone()))
        .collect();
    assert_eq!(codes, [json!("A1"), json!("A2"), json!("A3"), json!("B1"), json!("B2"), json!("B3")]);
    // A sheet asked for by name must exist.
    let (status, body) = upload(&app, &format!("{path}?preview=true&sheet=Nope"), XLSX, worldskills_workbook()).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")), "{body}");
    let (status, body) = upload(&app, path, XLSX, b"PK\x03\x04 not really a zip".to_vec()).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_format")), "{body}");
}

const CSV_SCHEME: &str = "criterion,criterion name,aspect,description,kind,max,mode,panel
A,Preparation,A1,Tools laid out,M,1,binary,
,,A2,Work plan,J,2,,2

B,Result,B1,\"Dimensions, within 1 mm\",measurement,6.5,,
";

async fn a_csv_scheme_saves_and_a_marked_skill_refuses_it(app: TestApp) {
    app.small().await;
    let (status, skill) =
        upload(&app, "/api/v1/competitions/SMALL/skills/S2/scheme/import", "text/csv", CSV_SCHEME.into()).await;
    assert_eq!(status, StatusCode::OK, "{skill}");
    assert_eq!(skill["criteria"][0]["aspects"][1]["kind"], "judgement");
    assert_eq!(skill["criteria"][0]["aspects"][1]["panel"], 2);
    assert_eq!(skill["criteria"][1]["aspects"][0]["description"], "Dimensions, within 1 mm");
    // S1 has a mark: its scheme is frozen, as for any scheme edit; the preview says so.
    let ja = app.judge_token("SMALL", "JA").await;
    let (status, body) = app.marks(&ja, &[mark("S1-BBB", "M1", json!("5"))]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let path = "/api/v1/competitions/SMALL/skills/S1/scheme/import";
    let (status, preview) = upload(&app, &format!("{path}?preview=true"), "text/csv", CSV_SCHEME.into()).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!((preview["valid"].as_bool(), preview["refused"]["status"].as_u64()), (Some(false), Some(409)));
    assert_eq!(preview["refused"]["code"], "scheme_locked");
    let (status, body) = upload(&app, path, "text/csv", CSV_SCHEME.into()).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("scheme_locked")), "{body}");
    let (status, body) = upload(&app, path, "application/json", CSV_SCHEME.into()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_media_type")),
        "{body}"
    );
}

async fn errors_in_three_rows_are_all_named_with_row_and_column(app: TestApp) {
    app.small().await;
    // Rows 3, 5 and 6 are wrong (row 4 is fine); row numbers count the header as row 1.
    let csv = "criterion,criterion name,aspect,description,kind,max,mode,panel
A,Design,A1,ok,M,2,,
A,Design,A2,unknown kind,X,1,,
A,Design,A3,ok,J,3,,
B,Build,A1,aspect code twice,M,1,,
B,Build,B2,max too precise,M,1.005,,
";
    let path = "/api/v1/competitions/SMALL/skills/S2/scheme/import";
    let (status, preview) = upload(&app, &format!("{path}?preview=true"), "text/csv", csv.into()).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let located = |errors: &Value| -> Vec<(u64, String, String)> {
        errors
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["row"].as_u64().unwrap(),
                    e["column"].as_str().unwrap().to_owned(),
                    e["code"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let wanted = vec![
        (3, "kind".to_owned(), "invalid_choice".to_owned()),
        (5, "aspect".to_owned(), "duplicate_code".to_owned()),
        (6, "max".to_owned(), "too_precise".to_owned()),
    ];
    assert_eq!(located(&preview["errors"]), wanted, "{preview}");
    assert_eq!(preview["errors"][0]["pointer"], "/rows/3/kind");
    assert_eq!(preview["valid"], false);
    // Saving answers the same errors and stores nothing.
    let (status, problem) = upload(&app, path, "text/csv", csv.into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(located(&problem["errors"]), wanted);
    let skill = app.admin_get("/api/v1/competitions/SMALL/skills/S2").await;
    assert_eq!(skill["criteria"][0]["aspects"][0]["code"], "M1", "the old scheme stands");
    // The same errors in a workbook also name the sheet.
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Scheme").unwrap();
    for (r, line) in csv.lines().enumerate() {
        for (col, cell) in line.split(',').enumerate() {
            if let Ok(n) = cell.parse::<f64>() {
                sheet.write_number(r as u32, col as u16, n).unwrap();
            } else if !cell.is_empty() {
                sheet.write_string(r as u32, col as u16, cell).unwrap();
            }
        }
    }
    let (status, problem) = upload(&app, path, XLSX, book.save_to_buffer().unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(located(&problem["errors"]), wanted);
    assert!(problem["errors"].as_array().unwrap().iter().all(|e| e["sheet"] == "Scheme"), "{problem}");
    assert_eq!(problem["errors"][0]["pointer"], "/sheets/Scheme/rows/3/kind");
}

async fn delegations_import_from_csv_and_csv_errors_name_spreadsheet_rows(app: TestApp) {
    app.small().await;
    let path = "/api/v1/competitions/SMALL/delegations.csv";
    let csv = "code,name,name_zh\nDDD,Dorland,多兰\nAAA,Again,\nE E,,\n";
    let (status, problem) = upload(&app, path, "text/csv", csv.into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let errors: Vec<_> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].clone(), e["column"].clone(), e["pointer"].clone()))
        .collect();
    assert_eq!(
        errors,
        [
            (json!(3), json!("code"), json!("/rows/3/code")),
            (json!(4), json!("code"), json!("/rows/4/code")),
            (json!(4), json!("name"), json!("/rows/4/name"))
        ],
        "{problem}"
    );
    let (status, body) =
        upload(&app, path, "text/csv", "code,name,name_zh\nDDD,Dorland,多兰\nEEE,Estland,\n".into()).await;
    assert_eq!((status, body["created"].as_u64()), (StatusCode::CREATED, Some(2)), "{body}");
    let list = app.admin_get("/api/v1/competitions/SMALL/delegations").await;
    let d = list.as_array().unwrap().iter().find(|d| d["code"] == "DDD").unwrap();
    assert_eq!(d["names"]["zh"], "多兰", "{d}");
    // A missing column is named on the header row; entries and judges count rows alike.
    let (status, problem) = upload(&app, path, "text/csv", "code\nFFF\n".into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (problem["errors"][0]["row"].as_u64(), problem["errors"][0]["column"].as_str()),
        (Some(1), Some("name"))
    );
    let judges = "code,name,delegation,skills\nJX,Judge X,AAA,S1\n\nJY,Judge Y,ZZZ,S1\n";
    let (status, problem) = upload(&app, "/api/v1/competitions/SMALL/judges.csv", "text/csv", judges.into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        (problem["errors"][0]["row"].as_u64(), problem["errors"][0]["column"].as_str()),
        (Some(4), Some("delegation")),
        "a blank line is a row too: {problem}"
    );
}

on_both_databases!(
    a_worldskills_shaped_workbook_previews_then_saves,
    a_csv_scheme_saves_and_a_marked_skill_refuses_it,
    errors_in_three_rows_are_all_named_with_row_and_column,
    delegations_import_from_csv_and_csv_errors_name_spreadsheet_rows
);
