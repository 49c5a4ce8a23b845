//! A SCIM 2.0 client (RFC 7644) for one system: find a User by externalId or userName, create,
//! replace or patch it, delete it and read the deletion back. Errors say whether a retry may heal
//! them (5xx, 429, 401/403, timeouts, a refused connection) or not (other 4xx).
//!
//! The bearer token (fixed, or an OAuth access token, [`super::oauth`]) is sent in the Authorization
//! header only; it is never part of an error. A 401 with OAuth fetches a new token once.

use super::oauth::Credentials;
use serde_json::{json, Value};
use std::time::Duration;
use tobira_domain::policy::provisioning::Provisioning;

pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const MEDIA: &str = "application/scim+json";

pub use super::scim_error::ScimError;

/// A found User: its id, userName and externalId.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub id: String,
    pub user_name: String,
    pub external_id: Option<String>,
}

pub struct Client {
    http: reqwest::Client,
    base: String,
    auth: Credentials,
}

/// The HTTP client of a system: its timeout, no redirects, the system trust store plus the city CA.
pub fn http_client(p: &Provisioning) -> Result<reqwest::Client, String> {
    let mut b = reqwest::Client::builder()
        .timeout(Duration::from_secs(u64::from(p.timeout_seconds)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("tobira-provisioning");
    if let Some(ca) = p.ca_file() {
        let pem = std::fs::read(ca).map_err(|e| format!("provisioning.ca_file {ca}: {e}"))?;
        for cert in
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| format!("provisioning.ca_file {ca}: {e}"))?
        {
            b = b.add_root_certificate(cert);
        }
    }
    b.build().map_err(|e| format!("provisioning HTTP client: {e}"))
}

/// A SCIM filter's string literal (RFC 7644 §3.4.2.2): quotes and backslashes escaped.
pub fn quoted(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Client {
    pub fn new(http: reqwest::Client, p: &Provisioning, auth: Credentials) -> Client {
        Client { http, base: p.base_url().trim_end_matches('/').to_string(), auth }
    }

    /// The client of a system for a round at `now`: its HTTP client and its credentials.
    pub fn of(p: &Provisioning, now: i64) -> Result<Client, String> {
        Ok(Client::new(http_client(p)?, p, Credentials::of(p, now)?))
    }

    /// One request (a 404 is an answer unless it is a POST); the caller reads the status.
    pub(super) async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), ScimError> {
        self.send_once(method, path, body, true).await
    }

    async fn send_once(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        renew: bool,
    ) -> Result<(u16, Value), ScimError> {
        let url = format!("{}{path}", self.base);
        let token = self.auth.token(&self.http).await?;
        let mut r = self.http.request(method.clone(), &url).bearer_auth(&token).header("Accept", MEDIA);
        if let Some(b) = body {
            r = r.header("Content-Type", MEDIA).body(b.to_string());
        }
        let resp = r.send().await.map_err(|e| {
            ScimError::Retry(format!(
                "{method} {path}: {}",
                if e.is_timeout() {
                    "timed out".to_string()
                } else if e.is_connect() {
                    "connection refused or unreachable".to_string()
                } else {
                    "request failed".to_string()
                }
            ))
        })?;
        let status = resp.status().as_u16();
        if status == 401 && renew && self.auth.forget() {
            // An access token the system no longer takes: a new one, once.
            return Box::pin(self.send_once(method, path, body, false)).await;
        }
        let bytes =
            resp.bytes().await.map_err(|_| ScimError::Retry(format!("{method} {path}: the answer was cut short")))?;
        let v: Value =
            if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
        if status < 300 || status == 404 && method != reqwest::Method::POST {
            return Ok((status, v));
        }
        let detail = v.get("detail").and_then(Value::as_str).unwrap_or("").chars().take(300).collect::<String>();
        let scim_type = v.get("scimType").and_then(Value::as_str).map(String::from);
        if status >= 500 || matches!(status, 401 | 403 | 408 | 429) {
            return Err(ScimError::Retry(format!("{method} {path}: HTTP {status} {detail}")));
        }
        Err(ScimError::Stop { status, scim_type, detail: format!("{method} {path}: {detail}") })
    }

    /// Whether the service provider offers PATCH (its ServiceProviderConfig).
    pub async fn patch_supported(&self) -> Result<bool, ScimError> {
        let (_, v) = self.send(reqwest::Method::GET, "/ServiceProviderConfig", None).await?;
        Ok(v.pointer("/patch/supported").and_then(Value::as_bool).unwrap_or(false))
    }

    async fn find(&self, attr: &str, value: &str) -> Result<Option<Found>, ScimError> {
        let filter = format!("{attr} eq {}", quoted(value));
        let q = url::form_urlencoded::Serializer::new(String::new()).append_pair("filter", &filter).finish();
        let (_, v) = self.send(reqwest::Method::GET, &format!("/Users?{q}"), None).await?;
        Ok(v.get("Resources").and_then(Value::as_array).and_then(|r| r.first()).and_then(found))
    }

    pub async fn by_external_id(&self, external_id: &str) -> Result<Option<Found>, ScimError> {
        self.find("externalId", external_id).await
    }

    pub async fn by_user_name(&self, user_name: &str) -> Result<Option<Found>, ScimError> {
        self.find("userName", user_name).await
    }

    /// A User by id; `None` when the server answers 404.
    pub async fn get(&self, id: &str) -> Result<Option<Value>, ScimError> {
        let (status, v) = self.send(reqwest::Method::GET, &format!("/Users/{id}"), None).await?;
        Ok((status != 404).then_some(v))
    }

    pub async fn create(&self, user: &Value) -> Result<String, ScimError> {
        let (_, v) = self.send(reqwest::Method::POST, "/Users", Some(user)).await?;
        v.get("id")
            .and_then(Value::as_str)
            .map(String::from)
            .ok_or_else(|| ScimError::Retry("POST /Users: the answer has no id".into()))
    }

    /// PUT: the whole User replaced. `false` when the User is gone (404).
    pub async fn replace(&self, id: &str, user: &Value) -> Result<bool, ScimError> {
        Ok(self.send(reqwest::Method::PUT, &format!("/Users/{id}"), Some(user)).await?.0 != 404)
    }

    /// PATCH: every mapped attribute replaced (or removed when tobira has no value), and `active`.
    pub async fn patch(&self, id: &str, user: &Value, mapped: &[&str]) -> Result<bool, ScimError> {
        let mut ops = vec![json!({ "op": "replace", "path": "active", "value": user["active"] })];
        for path in mapped {
            let v = lookup(user, path);
            ops.push(match v {
                Some(v) => json!({ "op": "replace", "path": path, "value": v }),
                None => json!({ "op": "remove", "path": path }),
            });
        }
        let body = json!({ "schemas": [PATCH_OP], "Operations": ops });
        Ok(self.send(reqwest::Method::PATCH, &format!("/Users/{id}"), Some(&body)).await?.0 != 404)
    }

    /// One page of the User list (RFC 7644 §3.4.2.4): `totalResults` and the Users from `start` (1-based).
    pub async fn list(&self, start: usize, count: usize) -> Result<(usize, Vec<Value>), ScimError> {
        let (_, v) = self.send(reqwest::Method::GET, &format!("/Users?startIndex={start}&count={count}"), None).await?;
        let users = v.get("Resources").and_then(Value::as_array).cloned().unwrap_or_default();
        let total = v.get("totalResults").and_then(Value::as_u64).map_or(users.len(), |t| t as usize);
        Ok((total, users))
    }

    /// Every User, page by page of `count`, until `totalResults` (or an empty page).
    pub async fn list_all(&self, count: usize) -> Result<Vec<Value>, ScimError> {
        let mut all = Vec::new();
        loop {
            let (total, page) = self.list(all.len() + 1, count).await?;
            if page.is_empty() {
                return Ok(all);
            }
            all.extend(page);
            if all.len() >= total {
                return Ok(all);
            }
        }
    }

    /// Only `active` of a User tobira did not make (an orphan): PATCH when offered, otherwise the
    /// User as read with `active` changed, PUT back. `false` when the User is gone.
    pub async fn set_active(&self, id: &str, active: bool, patch: bool) -> Result<bool, ScimError> {
        if patch {
            let body = json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "replace", "path": "active", "value": active }] });
            return Ok(self.send(reqwest::Method::PATCH, &format!("/Users/{id}"), Some(&body)).await?.0 != 404);
        }
        let Some(mut user) = self.get(id).await? else { return Ok(false) };
        if let Some(u) = user.as_object_mut() {
            u.insert("active".into(), Value::Bool(active));
            u.remove("meta");
        }
        self.replace(id, &user).await
    }

    /// DELETE, then a read-back that the User is gone. `Ok(())` also when it was already gone.
    pub async fn delete(&self, id: &str) -> Result<(), ScimError> {
        self.send(reqwest::Method::DELETE, &format!("/Users/{id}"), None).await?;
        match self.get(id).await? {
            None => Ok(()),
            Some(_) => Err(ScimError::Retry(format!("DELETE /Users/{id}: the User is still there when read back"))),
        }
    }
}

fn found(v: &Value) -> Option<Found> {
    Some(Found {
        id: v.get("id")?.as_str()?.to_string(),
        user_name: v.get("userName").and_then(Value::as_str).unwrap_or("").to_string(),
        external_id: v.get("externalId").and_then(Value::as_str).map(String::from),
    })
}

/// The value at a mapped path of a SCIM User made by `scim_user`.
pub fn lookup<'a>(user: &'a Value, path: &str) -> Option<&'a Value> {
    tobira_domain::provisioning::reconcile::at(user, path)
}
