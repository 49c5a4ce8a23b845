//! The console's provisioning pages (issue 22) as use cases: every provisioned system's queue and
//! last reconciliation ([`overview`]), one system's waiting and stopped items a page at a time
//! (`[console] person_list_size`, [`system`]), and putting its stopped items back ([`retry`]) through
//! the same function as `tobira provisioning retry`, audited with the officer's reason.
//!
//! Invariant: only a reader who sees everyone (security officers, the CISO's office, the auditor)
//! reads these pages; a 所属長's section scope does not reach them; only a security officer retries.

use super::Reader;
use crate::app::provisioning::{self, ops};
use crate::app::{App, AppError};
use crate::store::{self, provisioning::QueueStats, provisioning_runs::LastRun};
use tobira_domain::console::scope::Scope;

/// One provisioned system's line on `/console/provisioning`.
#[derive(Debug, Clone)]
pub struct SystemRow {
    pub system: String,
    pub name: String,
    pub queue: QueueStats,
    /// Seconds since the oldest waiting item was queued (0: none waits).
    pub oldest_age_seconds: i64,
    pub last: Option<LastRun>,
}

/// One waiting or stopped item.
#[derive(Debug, Clone)]
pub struct OpenItem {
    pub created_at: i64,
    /// The account's login ID, or its id when the account is gone.
    pub login: String,
    pub event: String,
    pub why: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// `/console/provisioning/{system}`'s data.
#[derive(Debug, Clone)]
pub struct SystemView {
    pub row: SystemRow,
    pub items: Vec<OpenItem>,
    /// 1-based.
    pub page: u32,
    pub has_next: bool,
}

fn sees_all(reader: &Reader) -> Result<(), AppError> {
    if reader.scope == Scope::All {
        Ok(())
    } else {
        Err(AppError::refused(
            "provisioning_page_not_permitted",
            "プロビジョニングの画面を利用できるのはセキュリティ担当、CISO等と監査人です",
            "the provisioning pages are for security officers, the CISO's office and the auditor",
        ))
    }
}

fn row(c: &mut store::DbConnection, system: &str, name: &str, now: i64) -> Result<SystemRow, AppError> {
    let queue = store::provisioning::stats(c, system)?;
    let oldest_age_seconds = queue.oldest_pending_at.map_or(0, |t| (now - t).max(0) / 1000);
    let last = store::provisioning_runs::last(c, system)?;
    Ok(SystemRow { system: system.into(), name: name.into(), queue, oldest_age_seconds, last })
}

/// Every provisioned system, in the policy's order.
pub async fn overview(app: &App, reader: &Reader, ja: bool) -> Result<Vec<SystemRow>, AppError> {
    sees_all(reader)?;
    let (policy, now) = (app.policy.clone(), app.clock.now_ms());
    app.db(move |c| {
        let mut out = Vec::new();
        for (s, _, _) in provisioning::systems(&policy) {
            out.push(row(c, s.id.get_ref(), if ja { &s.name } else { &s.name_en }, now)?);
        }
        Ok(out)
    })
    .await
}

/// One system's waiting and stopped items, oldest first, page `page` (1-based).
pub async fn system(app: &App, reader: &Reader, system: &str, page: u32, ja: bool) -> Result<SystemView, AppError> {
    sees_all(reader)?;
    let (policy, now, size, system) =
        (app.policy.clone(), app.clock.now_ms(), app.policy.console.person_list_size.max(1), system.to_string());
    let page = page.max(1);
    app.db(move |c| {
        ops::provisioned(&policy, &system)?;
        let name = policy
            .systems
            .iter()
            .find(|s| s.id.get_ref() == &system)
            .map(|s| if ja { s.name.clone() } else { s.name_en.clone() })
            .unwrap_or_default();
        let row = row(c, &system, &name, now)?;
        let offset = i64::from(page - 1) * i64::from(size);
        let mut items: Vec<OpenItem> = store::provisioning::open_items(c, &system, i64::from(size) + 1, offset)?
            .into_iter()
            .map(|(i, login)| OpenItem {
                created_at: i.created_at,
                login: login.unwrap_or(i.account_id),
                event: i.event,
                why: i.why,
                status: i.status,
                attempts: i.attempts,
                last_error: i.last_error,
            })
            .collect();
        let has_next = items.len() > size as usize;
        items.truncate(size as usize);
        Ok(SystemView { row, items, page, has_next })
    })
    .await
}

/// Puts the system's stopped items back in the queue: security officers only, with a reason.
pub async fn retry(app: &App, reader: &Reader, system: &str, reason: &str) -> Result<usize, AppError> {
    sees_all(reader)?;
    if !reader.acts {
        return Err(AppError::refused(
            "retry_not_permitted",
            "停止した項目を送信待ちに戻せるのはセキュリティ担当だけです",
            "only a security officer puts stopped items back in the queue",
        ));
    }
    let reason = reason.trim().to_string();
    if reason.is_empty() {
        return Err(AppError::invalid("no_reason", "理由を入力してください", "a reason is required"));
    }
    let (policy, now, system, actor) =
        (app.policy.clone(), app.clock.now_ms(), system.to_string(), reader.login.clone());
    app.db(move |c| ops::retry(c, &policy, &system, &actor, Some(&reason), now)).await
}
