//! The few Podium API calls the load generator needs: log-in, import, one-time codes.
use crate::Result;
use reqwest::{Client, StatusCode, Url};
use serde_json::{Value, json};
use std::net::IpAddr;
use std::time::Duration;

/// Refuses anything but a loopback host: this tool is meant to load a server on this machine.
pub fn loopback_url(text: &str, schemes: &[&str]) -> Result<Url> {
    let url = Url::parse(text).map_err(|e| format!("bad URL '{text}': {e}"))?;
    if !schemes.contains(&url.scheme()) {
        return Err(format!("URL '{text}' must start with {}", schemes.join(":// or ") + "://").into());
    }
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        return Err(format!("'{text}' is not a loopback address: podium-load only loads 127.0.0.1").into());
    }
    Ok(url)
}

/// A client for the set-up calls and the mark requests: no proxy (loopback), bounded waits.
pub fn client(connections: usize) -> Result<Client> {
    Ok(Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(connections.max(1))
        .tcp_nodelay(true)
        .build()?)
}

/// One API base (`http://127.0.0.1:8080/api/v1`).
pub struct Api {
    pub http: Client,
    pub base: Url,
}

async fn expect_json(response: reqwest::Response, what: &str) -> Result<Value> {
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        let brief: String = text.chars().take(2000).collect();
        return Err(format!("{what}: HTTP {status}: {brief}").into());
    }
    Ok(serde_json::from_str(&text).map_err(|e| format!("{what}: bad JSON ({e}): {text}"))?)
}

fn text_field(value: &Value, field: &str, what: &str) -> Result<String> {
    value
        .get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("{what}: no \"{field}\" in the answer {value}").into())
}

impl Api {
    pub fn new(http: Client, base: &Url) -> Result<Api> {
        let base = base.join("/api/v1/").map_err(|e| format!("bad base URL: {e}"))?;
        Ok(Api { http, base })
    }

    pub fn url(&self, path: &str) -> Result<Url> {
        Ok(self.base.join(path).map_err(|e| format!("bad path '{path}': {e}"))?)
    }

    /// `POST /session {"username":"admin","password"}` → the admin's bearer token.
    pub async fn login_admin(&self, password: &str) -> Result<String> {
        let response = self
            .http
            .post(self.url("session")?)
            .json(&json!({"username": "admin", "password": password}))
            .send()
            .await
            .map_err(|e| format!("cannot reach {}: {e}", self.base))?;
        if response.status() == StatusCode::UNAUTHORIZED {
            return Err("admin log-in refused: wrong --password / PODIUM_ADMIN_PASSWORD".into());
        }
        let body = expect_json(response, "admin log-in").await?;
        text_field(&body, "token", "admin log-in")
    }

    /// `POST /competitions/import` with a generated package.
    pub async fn import(&self, admin: &str, package: &Value) -> Result<()> {
        let response = self.http.post(self.url("competitions/import")?).bearer_auth(admin).json(package).send().await?;
        expect_json(response, "import of the generated competition").await.map(|_| ())
    }

    /// Issues a judge's one-time code and logs in with it → the judge's bearer token.
    pub async fn login_judge(&self, admin: &str, competition: &str, judge: &str) -> Result<String> {
        let what = format!("one-time code of judge {judge}");
        let response = self
            .http
            .post(self.url(&format!("competitions/{competition}/judges/{judge}/code"))?)
            .bearer_auth(admin)
            .send()
            .await?;
        let code = text_field(&expect_json(response, &what).await?, "code", &what)?;
        let what = format!("log-in of judge {judge}");
        let response = self.http.post(self.url("session")?).json(&json!({"code": code})).send().await?;
        text_field(&expect_json(response, &what).await?, "token", &what)
    }
}

/// A short random suffix so that reruns import a fresh competition code.
pub fn random_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_ascii_uppercase()
}
