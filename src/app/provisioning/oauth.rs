//! How tobira authenticates to a system's SCIM service: a fixed bearer token from `token_file`, or
//! OAuth 2.0 client credentials (RFC 6749 §4.4): an access token from `token_url` for `client_id`
//! and the secret in `client_secret_file` (HTTP Basic, §2.3.1), cached per system until shortly
//! before `expires_in` and fetched again once when the system answers 401.
//!
//! Neither the secret nor a token is ever part of an error, a log line or an audit record.

use super::scim_error::ScimError;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use tobira_domain::policy::provisioning::Auth;
use tobira_domain::policy::provisioning::Provisioning;

/// A cached token is not used in its last minute (or last tenth, when it lives less than ten minutes).
fn margin_ms(expires_in_s: i64) -> i64 {
    (expires_in_s * 1000 / 10).min(60_000)
}

/// Access tokens by (token_url, client_id): the token and when it stops being used.
type Cache = Mutex<HashMap<(String, String), (String, i64)>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The first line of a secret file, trimmed; the error names the setting and the file only.
fn read_secret(setting: &str, path: &str) -> Result<String, String> {
    let t = std::fs::read_to_string(path).map_err(|e| format!("provisioning.{setting} {path}: {}", e.kind()))?;
    let t = t.lines().next().unwrap_or("").trim().to_string();
    if t.is_empty() {
        return Err(format!("provisioning.{setting} {path} is empty"));
    }
    Ok(t)
}

/// The credentials of one round (or one reconciliation).
pub enum Credentials {
    Bearer(String),
    Client(ClientCredentials),
}

pub struct ClientCredentials {
    token_url: String,
    client_id: String,
    secret: String,
    scope: String,
    /// The round's time (the application clock), for the cache.
    now: i64,
}

impl Credentials {
    /// Reads the token file or the client secret file of `p`; `now` is the application clock's time.
    pub fn of(p: &Provisioning, now: i64) -> Result<Credentials, String> {
        match p.auth {
            Auth::Bearer => read_secret("token_file", p.token_file()).map(Credentials::Bearer),
            Auth::ClientCredentials => Ok(Credentials::Client(ClientCredentials {
                token_url: p.token_url.clone(),
                client_id: p.client_id.clone(),
                secret: read_secret("client_secret_file", &p.client_secret_file)?,
                scope: p.scope.clone(),
                now,
            })),
        }
    }

    /// The token to send: the fixed one, or a cached or newly fetched access token.
    pub async fn token(&self, http: &reqwest::Client) -> Result<String, ScimError> {
        match self {
            Credentials::Bearer(t) => Ok(t.clone()),
            Credentials::Client(c) => c.token(http).await,
        }
    }

    /// After a 401: forgets the cached access token; `true` when a new one may help.
    pub fn forget(&self) -> bool {
        match self {
            Credentials::Bearer(_) => false,
            Credentials::Client(c) => {
                if let Ok(mut m) = cache().lock() {
                    m.remove(&c.key());
                }
                true
            }
        }
    }
}

impl ClientCredentials {
    fn key(&self) -> (String, String) {
        (self.token_url.clone(), self.client_id.clone())
    }

    async fn token(&self, http: &reqwest::Client) -> Result<String, ScimError> {
        if let Some((t, until)) = cache().lock().ok().and_then(|m| m.get(&self.key()).cloned()) {
            if self.now < until {
                return Ok(t);
            }
        }
        let (token, expires_in) = self.fetch(http).await?;
        if let (Some(s), Ok(mut m)) = (expires_in, cache().lock()) {
            m.insert(self.key(), (token.clone(), self.now + s * 1000 - margin_ms(s)));
        }
        Ok(token)
    }

    /// POST grant_type=client_credentials to the token endpoint (RFC 6749 §4.4.2, §5.1).
    async fn fetch(&self, http: &reqwest::Client) -> Result<(String, Option<i64>), ScimError> {
        let fail = |m: String| ScimError::Retry(format!("token endpoint {}: {m}", self.token_url));
        let mut form = vec![("grant_type", "client_credentials")];
        if !self.scope.is_empty() {
            form.push(("scope", self.scope.as_str()));
        }
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        // §2.3.1: the client id and secret are form-encoded before Basic encoding.
        let enc = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
        let resp = http
            .post(&self.token_url)
            .basic_auth(enc(&self.client_id), Some(enc(&self.secret)))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                fail(if e.is_timeout() { "timed out".into() } else { "connection refused or unreachable".into() })
            })?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|_| fail("the answer was cut short".into()))?;
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status != 200 {
            // Only the error code (invalid_client, …), never the request.
            let code = v
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("")
                .chars()
                .filter(|c| c.is_ascii_graphic())
                .take(60)
                .collect::<String>();
            return Err(fail(format!("HTTP {status} {code}")));
        }
        let token = v
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| fail("the answer has no access_token".into()))?;
        if !v.get("token_type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("bearer")) {
            return Err(fail("the token_type is not Bearer".into()));
        }
        let expires_in = v
            .get("expires_in")
            .and_then(|e| e.as_i64().or_else(|| e.as_str().and_then(|s| s.parse().ok())))
            .filter(|s| *s > 0);
        Ok((token.to_string(), expires_in))
    }
}
