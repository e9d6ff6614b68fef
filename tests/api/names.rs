//! Names in every language: carried by packages, edited over the API (even on a signed-off
//! skill, since no result depends on them), imported from CSV, refused when malformed; and
//! the public progress that shows activity without ranks.
use crate::helpers::{TestApp, fixture, mark, small_package};
use crate::on_both_databases;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn with_names(mut package: Value) -> Value {
    package["competition"]["names"] = json!({"zh": "小型测试赛", "ru": "Малое тестовое соревнование"});
    package["delegations"][0]["names"] = json!({"en": "Aland", "zh": "奥兰", "ru": "Аланд"});
    let s1 = &mut package["skills"][0];
    s1["names"] = json!({"zh": "技能一", "ru": "Навык один"});
    s1["criteria"][0]["names"] = json!({"zh": "模块 A", "ru": "Модуль A"});
    s1["criteria"][0]["aspects"][0]["description"] = json!("Length");
    s1["criteria"][0]["aspects"][0]["names"] = json!({"zh": "长度", "ru": "Длина"});
    package
}

async fn a_package_round_trip_keeps_every_translation(app: TestApp) {
    let package = with_names(small_package());
    let (status, body) = app.import(&package).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["names"]["zh"], "小型测试赛");
    assert_eq!(body["skills"][0]["names"]["ru"], "Навык один");
    let exported = app.admin_get("/api/v1/competitions/SMALL/export").await;
    assert_eq!(exported["competition"]["names"], package["competition"]["names"]);
    assert_eq!(exported["delegations"][0]["names"], package["delegations"][0]["names"]);
    assert_eq!(exported["skills"][0]["names"], package["skills"][0]["names"]);
    assert_eq!(exported["skills"][0]["criteria"][0]["names"], package["skills"][0]["criteria"][0]["names"]);
    assert_eq!(
        exported["skills"][0]["criteria"][0]["aspects"][0]["names"],
        package["skills"][0]["criteria"][0]["aspects"][0]["names"]
    );
    // No translation, no `names` in the package.
    assert!(exported["skills"][1].get("names").is_none(), "{}", exported["skills"][1]);
    // The export imports again as the same names, under another code.
    let mut again = exported.clone();
    again["competition"]["code"] = json!("SMALL2");
    let (status, body) = app.import(&again).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let second = app.admin_get("/api/v1/competitions/SMALL2/export").await;
    assert_eq!(second["skills"], exported["skills"]);
    assert_eq!(second["competition"]["names"], exported["competition"]["names"]);
    // Public views carry them too.
    let (_, list) = app.get("/api/v1/competitions", None).await;
    let small = list.as_array().unwrap().iter().find(|c| c["code"] == "SMALL").cloned().unwrap();
    assert_eq!(small["names"], package["competition"]["names"]);
    let (_, results) = app.get("/api/v1/competitions/SMALL/skills/S1/results", None).await;
    assert_eq!(results["names"]["zh"], "技能一");
    let (_, progress) = app.get("/api/v1/competitions/SMALL/progress", None).await;
    assert_eq!(progress[0]["names"]["zh"], "技能一");
    assert_eq!(progress[0]["criteria"][0]["names"]["ru"], "Модуль A");
}

async fn malformed_translations_are_refused_naming_each(app: TestApp) {
    let mut package = with_names(small_package());
    package["skills"][0]["names"] = json!({"de": "Fertigkeit eins", "zh": "  "});
    package["skills"][0]["criteria"][0]["aspects"][1]["names"] = json!({"fr": "Jugement"});
    package["delegations"][1]["names"] = json!({"ru": ""});
    let (status, body) = app.import(&package).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let mut got: Vec<(String, String)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["pointer"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
        .collect();
    got.sort();
    let expected = [
        ("/delegations/1/names/ru", "required"),
        ("/skills/0/criteria/0/aspects/1/names/fr", "unknown_language"),
        ("/skills/0/names/de", "unknown_language"),
        ("/skills/0/names/zh", "required"),
    ];
    assert_eq!(got, expected.map(|(p, c)| (p.to_owned(), c.to_owned())), "{body}");
}

async fn names_are_updated_over_the_api_even_on_a_locked_skill(app: TestApp) {
    app.small().await;
    let jc = app.judge_token("SMALL", "JC").await;
    let ja = app.judge_token("SMALL", "JA").await;
    let marks: Vec<Value> = ["S1-AAA", "S1-BBB"].iter().map(|e| mark(e, "M1", json!(5))).collect();
    assert_eq!(app.marks(&jc, &marks).await.0, StatusCode::OK);
    assert_eq!(app.marks(&ja, &[mark("S1-CCC", "M1", json!(4))]).await.0, StatusCode::OK);
    let accept = json!({"accept_missing": true, "reason": "a short test"});
    let (status, body) = app.post("/api/v1/competitions/SMALL/skills/S1/lock", Some(&jc), &accept).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let results_before = app.admin_get("/api/v1/competitions/SMALL/skills/S1/results").await;

    // Translations of the skill, its criterion and an aspect: allowed on a locked skill.
    let mut skill = app.admin_get("/api/v1/competitions/SMALL/skills/S1").await;
    skill["names"] = json!({"zh": "技能一", "ru": "Навык один"});
    skill["criteria"][0]["names"] = json!({"zh": "模块 A"});
    skill["criteria"][0]["aspects"][0]["names"] = json!({"ru": "Длина"});
    let response =
        app.request(Method::PUT, "/api/v1/competitions/SMALL/skills/S1", Some(&app.admin_token), Some(&skill)).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["names"]["zh"], "技能一");
    let stored = app.admin_get("/api/v1/competitions/SMALL/skills/S1").await;
    assert_eq!(stored["names"], json!({"zh": "技能一", "ru": "Навык один"}));
    assert_eq!(stored["criteria"][0]["names"], json!({"zh": "模块 A"}));
    assert_eq!(stored["criteria"][0]["aspects"][0]["names"], json!({"ru": "Длина"}));
    assert_eq!(stored["marks"], 3, "the marks are kept");
    let results_after = app.admin_get("/api/v1/competitions/SMALL/skills/S1/results").await;
    assert_eq!(results_after["results"], results_before["results"]);
    // A change of what results depend on is still refused while locked.
    let mut rescaled = stored.clone();
    rescaled["criteria"][0]["aspects"][0]["max"] = json!("11");
    let response =
        app.request(Method::PUT, "/api/v1/competitions/SMALL/skills/S1", Some(&app.admin_token), Some(&rescaled)).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);

    // The competition's and a delegation's translations.
    let update = json!({"code": "SMALL", "name": "Small test competition", "timezone": "UTC",
        "names": {"zh": "小型测试赛"}});
    let response = app.request(Method::PUT, "/api/v1/competitions/SMALL", Some(&app.admin_token), Some(&update)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let (_, detail) = app.get("/api/v1/competitions/SMALL", None).await;
    assert_eq!(detail["names"], json!({"zh": "小型测试赛"}));
    let response = app
        .request(
            Method::PUT,
            "/api/v1/competitions/SMALL/delegations/AAA",
            Some(&app.admin_token),
            Some(&json!({"code": "AAA", "name": "Aland", "names": {"zh": "奥兰"}})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (_, delegations) = app.get("/api/v1/competitions/SMALL/delegations", None).await;
    assert_eq!(delegations[0]["names"], json!({"zh": "奥兰"}));
    // The audit log keeps the change.
    let audit = app.admin_get("/api/v1/competitions/SMALL/audit?action=skill.updated").await;
    assert_eq!(audit["events"][0]["after"]["names"]["zh"], "技能一", "{audit}");
}

async fn delegations_come_from_csv_with_translated_names(app: TestApp) {
    app.small().await;
    let post = |csv: &'static str| {
        app.client
            .post(app.url("/api/v1/competitions/SMALL/delegations.csv"))
            .bearer_auth(&app.admin_token)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
    };
    // A language nobody speaks here and an unnamed row: nothing stored, both named (the
    // header is row 1).
    let response = post("code,name,name_zh,name_de\nDDD,Dorland,多兰,Dorland\nEEE,,,\n").await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    let pointers: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
    assert_eq!(pointers, ["/rows/2/names/de", "/rows/3/name"], "{body}");
    let (_, delegations) = app.get("/api/v1/competitions/SMALL/delegations", None).await;
    assert_eq!(delegations.as_array().unwrap().len(), 3);
    let response = post("code,name,name_zh,name_ru\nDDD,Dorland,多兰,Дорланд\n").await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let (_, delegations) = app.get("/api/v1/competitions/SMALL/delegations", None).await;
    let ddd = delegations.as_array().unwrap().iter().find(|d| d["code"] == "DDD").cloned().unwrap();
    assert_eq!(ddd["names"], json!({"zh": "多兰", "ru": "Дорланд"}));
}

async fn public_progress_shows_activity_and_no_ranks(app: TestApp) {
    app.small().await;
    let ja = app.judge_token("SMALL", "JA").await;
    let marks = [mark("S1-BBB", "M1", json!(5)), mark("S1-CCC", "M1", json!(7)), mark("S1-BBB", "B1", json!(2))];
    assert_eq!(app.marks(&ja, &marks).await.0, StatusCode::OK);
    let (status, progress) = app.get("/api/v1/competitions/SMALL/progress", None).await;
    assert_eq!(status, StatusCode::OK);
    let s1 = &progress[0];
    assert_eq!(s1["skill"], "S1");
    assert_eq!(s1["recent_marks"], 3, "{s1}");
    let in_buckets: u64 = s1["activity"].as_array().unwrap().iter().map(|b| b["marks"].as_u64().unwrap()).sum();
    assert_eq!(in_buckets, 3, "{s1}");
    assert_eq!(s1["criteria"][0]["code"], "A");
    assert_eq!(s1["criteria"][0]["marked"], 3);
    assert_eq!(s1["criteria"][0]["expected"], s1["expected"]);
    assert_eq!(s1["criteria_done"], 0);
    assert_eq!(progress[1]["recent_marks"], 0);
    // Marks loaded from a package are no activity at the venue.
    let (status, body) = app.import(&fixture("mini.json")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, mini) = app.get("/api/v1/competitions/MINI2025/progress", None).await;
    for skill in mini.as_array().unwrap() {
        assert_eq!(skill["recent_marks"], 0, "{skill}");
        assert_eq!(skill["activity"], json!([]), "{skill}");
        assert!(skill["marked"].as_u64().unwrap() > 0);
    }
    // Nothing that ranks or scores anyone.
    let text = progress.to_string();
    for word in ["rank", "medal", "raw", "scaled", "results"] {
        assert!(!text.contains(&format!("\"{word}\"")), "progress carries '{word}': {text}");
    }
}

on_both_databases!(
    a_package_round_trip_keeps_every_translation,
    malformed_translations_are_refused_naming_each,
    names_are_updated_over_the_api_even_on_a_locked_skill,
    delegations_come_from_csv_with_translated_names,
    public_progress_shows_activity_and_no_ranks,
);
