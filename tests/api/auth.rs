//! Authentication, authorization and problem responses, actix's own errors included.
use crate::helpers::{TestApp, fixture};
use crate::on_both_databases;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn assert_problem(response: reqwest::Response, status: StatusCode, code: &str) {
    assert_eq!(response.status(), status);
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(content_type.starts_with("application/problem+json"), "content type {content_type}");
    let body: serde_json::Value = response.json().await.expect("problem JSON");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status.as_u16());
    assert!(body["type"].is_string() && body["title"].is_string() && body["detail"].is_string(), "{body}");
}

async fn anonymous_writes_are_refused(app: TestApp) {
    assert_eq!(app.import(&fixture("mini.json")).await.0, StatusCode::CREATED);
    let writes = [
        (Method::POST, "/api/v1/competitions", json!({"code": "X", "name": "X"})),
        (Method::POST, "/api/v1/competitions/import", fixture("mini.json")),
        (Method::PUT, "/api/v1/competitions/MINI2025", json!({"code": "MINI2025", "name": "renamed"})),
        (Method::DELETE, "/api/v1/competitions/MINI2025", json!({})),
        (Method::POST, "/api/v1/competitions/MINI2025/delegations", json!({"code": "FRA", "name": "France"})),
        (
            Method::POST,
            "/api/v1/competitions/MINI2025/marks",
            json!({"marks": [{"id": uuid::Uuid::new_v4(), "entry": "IR-CHN", "aspect": "A1", "value": 1, "judge": "J-IR-RUS"}]}),
        ),
        (Method::POST, "/api/v1/competitions/MINI2025/skills/IR/unlock", json!({"reason": "x"})),
        (Method::POST, "/api/v1/competitions/MINI2025/judges/J-IR-RUS/code", json!({})),
    ];
    for (method, path, body) in writes {
        let response = app.request(method.clone(), path, None, Some(&body)).await;
        assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    // Nothing changed.
    let (_, c) = app.get("/api/v1/competitions/MINI2025", None).await;
    assert_eq!(c["name"], "Generated skills competition 2");
    let (_, skills) = app.get("/api/v1/competitions/MINI2025/skills/IR", None).await;
    assert_eq!(skills["state"], "published");
    // A judge is not an organizer.
    let judge = app.judge_token("MINI2025", "J-IR-RUS").await;
    let response =
        app.request(Method::POST, "/api/v1/competitions", Some(&judge), Some(&json!({"code": "X", "name": "X"}))).await;
    assert_problem(response, StatusCode::FORBIDDEN, "admin_only").await;
}

async fn wrong_passwords_and_codes_get_problems(app: TestApp) {
    let response = app
        .request(Method::POST, "/api/v1/session", None, Some(&json!({"username": "admin", "password": "nope"})))
        .await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let response = app
        .request(Method::POST, "/api/v1/session", None, Some(&json!({"username": "ghost", "password": "nope"})))
        .await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let response = app.request(Method::POST, "/api/v1/session", None, Some(&json!({"code": "ABCDEFGHJK"}))).await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let response = app.request(Method::GET, "/api/v1/session/me", Some("forged-token"), None).await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    // Repeated failures are rate-limited.
    let mut limited = false;
    for _ in 0..12 {
        let response = app
            .request(Method::POST, "/api/v1/session", None, Some(&json!({"username": "admin", "password": "guess"})))
            .await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(limited, "log-in is rate-limited");
}

async fn a_judge_code_is_single_use_and_log_out_revokes(app: TestApp) {
    assert_eq!(app.import(&fixture("mini.json")).await.0, StatusCode::CREATED);
    let (_, body) = app.admin_post("/api/v1/competitions/MINI2025/judges/J-IR-RUS/code", &json!({})).await;
    let code = body["code"].as_str().unwrap().to_owned();
    let (status, session) = app.post("/api/v1/session", None, &json!({"code": code.to_lowercase()})).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    assert_eq!(session["role"], "judge");
    let (status, _) = app.post("/api/v1/session", None, &json!({"code": code})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a code works once");
    let token = session["token"].as_str().unwrap();
    let (status, me) = app.get("/api/v1/session/me", Some(token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["judge"], "J-IR-RUS");
    let response = app.request(Method::DELETE, "/api/v1/session", Some(token), None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, _) = app.get("/api/v1/session/me", Some(token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a revoked token stops working");
}

async fn actix_errors_are_problems_too(app: TestApp) {
    let token = app.admin_token.clone();
    // Malformed JSON.
    let response = app
        .client
        .post(app.url("/api/v1/competitions"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"code\": ")
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST, "malformed_json").await;
    // A well-formed body of the wrong shape.
    let response = app.request(Method::POST, "/api/v1/competitions", Some(&token), Some(&json!({"code": 5}))).await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    // Not JSON at all.
    let response =
        app.client.post(app.url("/api/v1/competitions")).bearer_auth(&token).body("code=X").send().await.unwrap();
    assert_problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
    // Too large.
    let big = format!("{{\"code\": \"{}\"}}", "x".repeat(33 * 1024 * 1024));
    let response = app
        .client
        .post(app.url("/api/v1/competitions"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    // Unknown route and wrong method.
    assert_problem(
        app.request(Method::GET, "/api/v1/nothing-here", None, None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.request(Method::PATCH, "/api/v1/competitions", None, None).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
    // Validation lists every bad field.
    let response = app
        .request(
            Method::POST,
            "/api/v1/competitions",
            Some(&token),
            Some(&json!({"code": "bad code", "name": " ", "medal_order": "alphabetical"})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    let pointers: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
    assert_eq!(pointers, ["/code", "/name", "/medal_order"], "{body}");
    // The OpenAPI document and health check answer.
    let (status, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["paths"]["/api/v1/competitions/{code}/marks"]["post"].is_object());
    assert_eq!(app.get("/healthz", None).await.0, StatusCode::OK);
}

async fn issue_code(app: &TestApp, judge: &str) -> String {
    let (status, body) =
        app.admin_post(&format!("/api/v1/competitions/MINI2025/judges/{judge}/code"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["code"].as_str().unwrap().to_owned()
}

async fn a_valid_code_logs_in_after_ten_wrong_codes_from_the_same_address(app: TestApp) {
    assert_eq!(app.import(&fixture("mini.json")).await.0, StatusCode::CREATED);
    let code = issue_code(&app, "J-IR-RUS").await;
    // Every tablet of a venue comes from one address: their typos must not lock out the rest.
    for i in 0..12 {
        let response =
            app.request(Method::POST, "/api/v1/session", None, Some(&json!({"code": format!("WRONG{i:05}")}))).await;
        assert_problem(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    let (status, body) = app.post("/api/v1/session", None, &json!({"code": code})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // One same wrong code, retried, is limited on its own.
    let mut limited = None;
    for _ in 0..12 {
        let response = app.request(Method::POST, "/api/v1/session", None, Some(&json!({"code": "TYPO23TYPO"}))).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(response);
            break;
        }
    }
    let response = limited.expect("a retried wrong code is limited");
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    let other = issue_code(&app, "J-IR-CHN").await;
    assert_eq!(app.post("/api/v1/session", None, &json!({"code": other})).await.0, StatusCode::CREATED);
}

async fn a_used_code_answers_code_used(app: TestApp) {
    assert_eq!(app.import(&fixture("mini.json")).await.0, StatusCode::CREATED);
    let first = issue_code(&app, "J-IR-RUS").await;
    assert_eq!(app.post("/api/v1/session", None, &json!({"code": first})).await.0, StatusCode::CREATED);
    let response = app.request(Method::POST, "/api/v1/session", None, Some(&json!({"code": first}))).await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "code_used").await;
    // A new code works once. Only a judge's last used code is remembered: an older one is
    // just wrong, like any code that never was.
    let second = issue_code(&app, "J-IR-RUS").await;
    assert_eq!(app.post("/api/v1/session", None, &json!({"code": second.to_lowercase()})).await.0, StatusCode::CREATED);
    for (code, answer) in
        [(second.as_str(), "code_used"), (&first, "invalid_credentials"), ("ZZZZZZZZZZ", "invalid_credentials")]
    {
        let response = app.request(Method::POST, "/api/v1/session", None, Some(&json!({"code": code}))).await;
        assert_problem(response, StatusCode::UNAUTHORIZED, answer).await;
    }
    // Two tablets racing with one code: one session, and the other hears "used".
    let third = json!({"code": issue_code(&app, "J-IR-RUS").await});
    let (a, b) = tokio::join!(
        app.request(Method::POST, "/api/v1/session", None, Some(&third)),
        app.request(Method::POST, "/api/v1/session", None, Some(&third))
    );
    let (winner, loser) = if a.status() == StatusCode::CREATED { (a, b) } else { (b, a) };
    assert_eq!(winner.status(), StatusCode::CREATED);
    assert_problem(loser, StatusCode::UNAUTHORIZED, "code_used").await;
}

async fn rotating_user_names_from_one_address_is_limited(app: TestApp) {
    let mut limited = None;
    for i in 0..40 {
        let body = json!({"username": format!("user{i}"), "password": "guess"});
        let response = app.request(Method::POST, "/api/v1/session", None, Some(&body)).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some((i, response));
            break;
        }
        assert_problem(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    let (tries, response) = limited.expect("rotating user names is limited");
    assert!(tries <= 30, "limited after {tries} tries");
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
}

async fn concurrent_failures_never_exceed_the_budget(app: TestApp) {
    // Twenty wrong passwords at once: the check and the charge are one step, so no more
    // than the account's budget of ten reach argon2.
    let body = json!({"username": "admin", "password": "guess"});
    let attempts = (0..20).map(|_| app.request(Method::POST, "/api/v1/session", None, Some(&body)));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts).await.iter().map(|r| r.status()).collect();
    let wrong = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let limited = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((wrong, limited), (10, 10), "{statuses:?}");
}

on_both_databases!(
    anonymous_writes_are_refused,
    a_valid_code_logs_in_after_ten_wrong_codes_from_the_same_address,
    a_used_code_answers_code_used,
    rotating_user_names_from_one_address_is_limited,
    concurrent_failures_never_exceed_the_budget,
    wrong_passwords_and_codes_get_problems,
    a_judge_code_is_single_use_and_log_out_revokes,
    actix_errors_are_problems_too,
);
