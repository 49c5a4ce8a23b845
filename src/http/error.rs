//! The one place where failures become HTTP responses. A 500 shows an error id and logs the cause
//! under that id; database or other internal text never reaches the client. Messages are Japanese
//! first, with English beside them.

pub use super::error_body::{AwaitingApproval, ErrorBody, Failures, Referred};
use crate::app::refusal::Refusal;
use crate::app::signin::authz::Denied;
use crate::app::signin::SigninError;
use crate::app::words::Words;
use crate::app::AppError;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {0}")]
    BadRequest(Words),
    /// No such route or page.
    #[error("not found")]
    NotFound,
    /// A record the request names does not exist: 404 saying which.
    #[error("not found: {0}")]
    Missing(Words),
    /// No session, or not enough of one.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(Words),
    /// A domain rule refused: its own code and words; 400 when the request itself is malformed,
    /// 403 when a rule forbids it.
    #[error("refused: {}", .0.en())]
    Rule(Refusal),
    #[error("conflict: {0}")]
    Conflict(Words),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Recorded as a request that takes effect when a second person approves (R-AC-02).
    #[error("awaiting approval: {0}")]
    Accepted(String),
    /// The argon2 queue is full: `503` with `Retry-After` (seconds).
    #[error("busy")]
    Busy(u64),
    /// Too many failures from this address: `429` with `Retry-After` (seconds).
    #[error("too many attempts")]
    TooMany(u64),
    /// The cause is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(m) => ApiError::BadRequest(m),
            AppError::Refused(m) => ApiError::Forbidden(m),
            AppError::Rule(r) => ApiError::Rule(r),
            AppError::Conflict(m) => ApiError::Conflict(m),
            AppError::NotFound(w) => ApiError::Missing(w),
            AppError::AwaitingApproval(id) => ApiError::Accepted(id),
            AppError::Busy { retry_after } => ApiError::Busy(retry_after),
            AppError::TooMany { retry_after } => ApiError::TooMany(retry_after),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// A session that may not use an `/api` route: 401 without one, 403 with the reason in words (never
/// Rust's form) otherwise. Pages send the person on instead ([`crate::http::pages::guard`]), and
/// answer with this status where they refuse.
impl From<Denied> for ApiError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::SignIn => ApiError::Unauthorized("sign in first".into()),
            Denied::Forbidden => ApiError::Forbidden(Denied::Forbidden.words()),
            d => {
                let (w, code) = (d.words(), denied_code(&d));
                ApiError::Forbidden(
                    Words::new(
                        format!("このセッションではこの操作はできません：{}", w.ja),
                        format!("this session may not do this: {}", w.en),
                    )
                    .coded(code),
                )
            }
        }
    }
}

/// What the session still lacks, as the `error` of a 403.
fn denied_code(d: &Denied) -> &'static str {
    match d {
        Denied::SignIn => "unauthorized",
        Denied::Forbidden => "forbidden",
        Denied::ChangePassword => "password_change_due",
        Denied::StepUp { .. } => "step_up_required",
        Denied::Reauthenticate => "reauthentication_required",
        Denied::Enrol => "second_factor_required",
        Denied::Network { .. } => "network_not_allowed",
        Denied::Onboarding => "onboarding_due",
    }
}

/// The status of a refused sign-in step: 403 for a locked account, 401 otherwise (the words are the
/// page's, in its language; an internal failure is answered as such).
pub fn signin_status(e: &SigninError) -> StatusCode {
    match e {
        SigninError::App(_) => StatusCode::INTERNAL_SERVER_ERROR,
        SigninError::Locked { .. } => StatusCode::FORBIDDEN,
        SigninError::Invalid | SigninError::Unavailable(_) | SigninError::FactorRefused | SigninError::Expired => {
            StatusCode::UNAUTHORIZED
        }
    }
}

impl ApiError {
    /// The sentence a page shows for a refusal the person can act on (bad input, a rule, a
    /// conflict, a record that is not there, a forbidden action), in both languages; `None` for a
    /// failure (internal, unavailable, busy…), which stays an error. Pages answer with
    /// [`ResponseError::status_code`] beside it, so a page and the API agree on both.
    pub fn shown(&self) -> Option<String> {
        match self {
            ApiError::BadRequest(w) | ApiError::Missing(w) | ApiError::Forbidden(w) | ApiError::Conflict(w) => {
                Some(w.to_string())
            }
            ApiError::Rule(r) => Some(r.to_string()),
            _ => None,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound | ApiError::Missing(_) => StatusCode::NOT_FOUND,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Rule(r) if r.is_invalid_input() => StatusCode::BAD_REQUEST,
            ApiError::Rule(_) => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Accepted(_) => StatusCode::ACCEPTED,
            ApiError::Unavailable(_) | ApiError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let body = |error: &'static str, message: &str, message_en: &str| ErrorBody {
            error,
            message: message.into(),
            message_en: message_en.into(),
            error_id: None,
        };
        let mut res = HttpResponse::build(self.status_code());
        if let ApiError::Busy(s) | ApiError::TooMany(s) = self {
            res.insert_header(("Retry-After", s.to_string()));
        }
        match self {
            ApiError::BadRequest(w) => res.json(body(w.code.unwrap_or("bad_request"), &w.ja, &w.en)),
            ApiError::NotFound => res.json(body("not_found", "ページが見つかりません。", "Not found.")),
            ApiError::Missing(w) => res.json(body(w.code.unwrap_or("not_found"), &w.ja, &w.en)),
            ApiError::Unauthorized(m) => res.json(body("unauthorized", "サインインが必要です。", m)),
            ApiError::Forbidden(w) => res.json(body(w.code.unwrap_or("forbidden"), &w.ja, &w.en)),
            ApiError::Rule(r) => res.json(body(r.code(), &r.ja(), &r.en())),
            ApiError::Conflict(w) => res.json(body(w.code.unwrap_or("conflict"), &w.ja, &w.en)),
            ApiError::Unavailable(m) => res.json(body("unavailable", "一時的に利用できません。", m)),
            ApiError::Accepted(id) => res.json(AwaitingApproval {
                status: "awaiting_approval",
                request: id.clone(),
                message: "申請を記録しました。別の担当者の承認後に実行されます。",
                message_en: "Recorded as a request: it takes effect when a second person approves.",
                approve_at: "/console/approvals",
            }),
            ApiError::Busy(_) => res.json(body(
                "busy",
                "混み合っています。しばらくしてからもう一度お試しください。",
                "Busy; please try again shortly.",
            )),
            ApiError::TooMany(_) => res.json(body(
                "too_many_attempts",
                "この端末からの失敗が多すぎます。しばらくしてからお試しください。",
                "Too many failed attempts from this address; try again later.",
            )),
            ApiError::Internal(cause) => {
                let error_id = uuid::Uuid::new_v4().to_string();
                tracing::error!(error_id = %error_id, cause = %cause, "internal error");
                res.json(ErrorBody {
                    error: "internal_error",
                    message: format!(
                        "内部エラーが発生しました。問い合わせの際はエラーID {error_id} をお伝えください。"
                    ),
                    message_en: format!("An internal error occurred. Quote error id {error_id} when reporting it."),
                    error_id: Some(error_id),
                })
            }
        }
    }
}

/// Any route that does not exist.
pub async fn not_found(_req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;
    use serde_json::json;

    #[actix_web::test]
    async fn internal_errors_show_an_id_and_never_the_cause() {
        let cause = AppError::Store(StoreError::Integrity("relation \"accounts\" password=hunter2".into()));
        let res = ApiError::from(cause).error_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = actix_web::body::to_bytes(res.into_body()).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let id = v["error_id"].as_str().unwrap();
        assert_eq!(id.len(), 36);
        assert!(v["message"].as_str().unwrap().contains(id));
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains("hunter2") && !text.contains("accounts"), "{text}");
    }

    #[actix_web::test]
    async fn our_own_data_failing_to_serialize_is_internal_not_the_clients_fault() {
        // A map with non-string keys cannot be JSON: a fault of ours, answered 500 with an id.
        let bad = std::collections::BTreeMap::from([((1u8, 2u8), 3u8)]);
        let e: AppError = serde_json::to_string(&bad).unwrap_err().into();
        let res = ApiError::from(e).error_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let v: serde_json::Value =
            serde_json::from_slice(&actix_web::body::to_bytes(res.into_body()).await.unwrap()).unwrap();
        assert_eq!(v["error"], "internal_error");
        assert!(!v["message_en"].as_str().unwrap().contains("key must be a string"), "{v}");
    }

    #[actix_web::test]
    async fn a_rule_refusal_answers_its_code_and_words() {
        use tobira_domain::privileged::elevation;
        let res = ApiError::from(AppError::from(elevation::Refusal::Duration(60))).error_response();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let v: serde_json::Value =
            serde_json::from_slice(&actix_web::body::to_bytes(res.into_body()).await.unwrap()).unwrap();
        assert_eq!(v["error"], "duration");
        assert_eq!(v["message"], "時間は 1 分から 60 分の間にしてください（R-PR-07）");
        assert_eq!(v["message_en"], "the duration must be between 1 and 60 minutes (R-PR-07)");
        let bad = ApiError::from(AppError::from(tobira_domain::review::exception::Invalid::NoReason)).error_response();
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST, "malformed input stays a 400");
    }

    #[actix_web::test]
    async fn a_refused_session_answers_401_or_403_in_words() {
        assert_eq!(ApiError::from(Denied::SignIn).status_code(), StatusCode::UNAUTHORIZED);
        let res = ApiError::from(Denied::StepUp { have: 1, need: 2 }).error_response();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let v: serde_json::Value =
            serde_json::from_slice(&actix_web::body::to_bytes(res.into_body()).await.unwrap()).unwrap();
        let (ja, en) = (v["message"].as_str().unwrap(), v["message_en"].as_str().unwrap());
        assert!(
            ja.contains("認証要素が不足")
                && en.contains("1 factor kind(s) proved, 2 needed")
                && !en.contains("StepUp")
                && !en.contains("認証要素"),
            "each language in its field: {v}"
        );
        assert_eq!(signin_status(&SigninError::Locked { until: None }), StatusCode::FORBIDDEN);
        assert_eq!(signin_status(&SigninError::Invalid), StatusCode::UNAUTHORIZED);
    }

    #[actix_web::test]
    async fn domain_refusals_keep_their_message() {
        let missing = ApiError::from(AppError::not_found(
            "request_not_found",
            "申請 r1 が見つかりません",
            "request r1 not found",
        ))
        .error_response();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        let v: serde_json::Value =
            serde_json::from_slice(&actix_web::body::to_bytes(missing.into_body()).await.unwrap()).unwrap();
        assert_eq!(
            (&v["error"], &v["message"], &v["message_en"]),
            (&json!("request_not_found"), &json!("申請 r1 が見つかりません"), &json!("request r1 not found")),
            "its own code under 404, and which record: {v}"
        );
        // Words without a code of their own answer the kind.
        let res = ApiError::from(AppError::Conflict(Words::new("既にあります", "already exists"))).error_response();
        assert_eq!(res.status(), StatusCode::CONFLICT);
        let v: serde_json::Value =
            serde_json::from_slice(&actix_web::body::to_bytes(res.into_body()).await.unwrap()).unwrap();
        assert_eq!(
            (&v["error"], &v["message"], &v["message_en"]),
            (&json!("conflict"), &json!("既にあります"), &json!("already exists")),
            "each language in its own field"
        );
    }

    #[actix_web::test]
    async fn r_au_19_busy_and_capped_say_when_to_come_back() {
        let busy = ApiError::from(AppError::Busy { retry_after: 2 }).error_response();
        assert_eq!(
            (busy.status(), busy.headers().get("retry-after").and_then(|v| v.to_str().ok())),
            (StatusCode::SERVICE_UNAVAILABLE, Some("2"))
        );
        let capped = ApiError::from(AppError::TooMany { retry_after: 240 }).error_response();
        assert_eq!(
            (capped.status(), capped.headers().get("retry-after").and_then(|v| v.to_str().ok())),
            (StatusCode::TOO_MANY_REQUESTS, Some("240"))
        );
    }
}
