//! Reading the audit log (R-LG-11, R-RV-09): the auditor, the security officers and the CISO's
//! office read it by filter, newest first, a page at a time (keyset on `seq`, `[console]
//! audit_page_size`), or export the selection as CSV (UTF-8 with BOM, at most `[console]
//! audit_export_max_rows` records). Filtering by a person or account is a search of staff usage
//! (R-LG-11): only for `[approvals] audit_search`, and it states its reason.
//!
//! Invariant: every reading, export and refusal is itself audited (`audit.read`, `audit.exported`),
//! with the filter, before any record is returned.

use crate::app::review::readers;
use crate::app::signin::session::Current;
use crate::app::signin::{target, Origin};
use crate::app::{dates, App, AppError};
use crate::store::{self, audit_search::AuditFilter};
use serde_json::json;
use tobira_domain::audit::{AuditRecord, Outcome};
use tobira_domain::console::scope::READ_ALL;

const DAY_MS: i64 = 86_400_000;

/// The filter as the page's form and the API's query give it; empty fields are not filters.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, utoipa::IntoParams)]
pub struct Query {
    /// An employee number (all of the person's accounts) or a login ID.
    #[serde(default)]
    pub person: String,
    /// One login ID.
    #[serde(default)]
    pub account: String,
    /// An action, or a family ending in `.` (`auth.`).
    #[serde(default)]
    pub action: String,
    /// success, failure or denied.
    #[serde(default)]
    pub outcome: String,
    /// A system of the register (its OAuth clients).
    #[serde(default)]
    pub system: String,
    /// A source IP address.
    #[serde(default)]
    pub source: String,
    /// First day, `YYYY-MM-DD` (JST).
    #[serde(default)]
    pub from: String,
    /// Last day, `YYYY-MM-DD` (JST), included.
    #[serde(default)]
    pub to: String,
    /// The reason for a search by person or account (R-LG-11).
    #[serde(default)]
    pub reason: String,
    /// Records before this `seq` (the next page).
    #[serde(default)]
    pub before: Option<i64>,
}

impl Query {
    fn concerns_people(&self) -> bool {
        !self.person.trim().is_empty() || !self.account.trim().is_empty()
    }
}

/// One page of records.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Page {
    pub records: Vec<AuditRecord>,
    /// The `before` of the next page, when there is one.
    pub next: Option<i64>,
    pub page_size: u32,
}

/// The store filter of `q`, with the people it names resolved; or why not.
fn filter(
    c: &mut store::DbConnection,
    app_policy: &tobira_domain::policy::Policy,
    q: &Query,
) -> Result<AuditFilter, AppError> {
    let mut f = AuditFilter::default();
    let (person, account) = (q.person.trim(), q.account.trim());
    if !person.is_empty() || !account.is_empty() {
        let mut logins = Vec::new();
        if !person.is_empty() {
            match store::org::person_by_employee_number(c, person)? {
                Some(p) => logins.extend(
                    store::console::accounts_of(c, std::slice::from_ref(&p.id))?.into_iter().map(|a| a.login_id),
                ),
                None => logins.push(person.to_string()),
            }
        }
        if !account.is_empty() {
            logins = if person.is_empty() {
                vec![account.to_string()]
            } else {
                logins.into_iter().filter(|l| l == account).collect()
            };
        }
        let targets = logins.iter().map(|l| target(l)).collect();
        f.person = Some((logins, targets));
    }
    f.action = Some(q.action.trim().to_string()).filter(|a| !a.is_empty());
    f.outcome = match q.outcome.trim() {
        "" => None,
        o => Some(
            Outcome::parse(o)
                .ok_or_else(|| {
                    AppError::invalid(
                        "unknown_outcome",
                        format!("結果 `{o}` は不明です（success、failure、denied のいずれか）"),
                        format!("unknown outcome `{o}`: success, failure or denied"),
                    )
                })?
                .as_str()
                .to_string(),
        ),
    };
    f.clients = match q.system.trim() {
        "" => None,
        s => {
            if app_policy.system(s).is_none() {
                return Err(AppError::invalid(
                    "unknown_system",
                    format!("システム `{s}` は不明です"),
                    format!("unknown system `{s}`"),
                ));
            }
            Some(
                app_policy.clients.iter().filter(|k| k.system.get_ref() == s).map(|k| k.id.get_ref().clone()).collect(),
            )
        }
    };
    f.source_ip = match q.source.trim() {
        "" => None,
        s => Some(
            s.parse::<std::net::IpAddr>()
                .map_err(|_| {
                    AppError::invalid(
                        "not_an_ip_address",
                        format!("`{s}` はIPアドレスではありません"),
                        format!("`{s}` is not an IP address"),
                    )
                })?
                .to_string(),
        ),
    };
    let (from, to) = (dates::optional_day(&q.from, "from")?, dates::optional_day(&q.to, "to")?);
    f.from = from.map(|d| tobira_domain::time_util::end_of_jst_day(d) - DAY_MS);
    f.to = to.map(tobira_domain::time_util::end_of_jst_day);
    if let (Some(a), Some(b)) = (f.from, f.to) {
        if a >= b {
            return Err(AppError::invalid(
                "period_reversed",
                "開始日（from）は終了日（to）より後にできません",
                "from must not be after to",
            ));
        }
    }
    Ok(f)
}

/// Checks that `reader` may read with `q`, audits the reading (or the refusal) as `action`, and
/// returns the store filter.
async fn admitted(
    app: &App,
    cur: &Current,
    q: &Query,
    action: &'static str,
    origin: &Origin,
) -> Result<AuditFilter, AppError> {
    let reader = match super::reader(app, cur).await {
        Ok(r) => Some(r),
        Err(AppError::Refused(_)) => None,
        Err(e) => return Err(e),
    };
    let reads = reader.as_ref().is_some_and(|r| READ_ALL.iter().any(|f| r.facts.holds(*f)) || r.acts);
    let refusal = if !reads {
        Some(AppError::refused(
            "audit_log_not_permitted",
            "監査記録を閲覧できるのは監査人、セキュリティ担当とCISO等です（R-RV-09）",
            "the audit log is read by the auditor, the security officers and the CISO's office (R-RV-09)",
        ))
    } else if q.concerns_people() && !reader.as_ref().is_some_and(|r| readers::may_search_audit(&app.policy, &r.facts))
    {
        Some(AppError::refused("person_search_not_permitted",
            "個人の記録を検索できるのはCISO、統括情報セキュリティ責任者とCISOが指名した人です（R-LG-11）",
            "searching a person's records is for the CISO, the 統括情報セキュリティ責任者 and those the CISO names (R-LG-11)",
        ))
    } else if q.concerns_people() && q.reason.trim().is_empty() {
        Some(AppError::invalid(
            "no_reason",
            "職員またはアカウントで検索するときは理由を入力してください（R-LG-11）",
            "a search by person or account states its reason (R-LG-11)",
        ))
    } else {
        None
    };
    let (policy, query) = (app.policy.clone(), q.clone());
    let built = match refusal {
        Some(e) => Err(e),
        None => app.db(move |c| filter(c, &policy, &query)).await,
    };
    let mut e = origin.event(cur.account.login_id.clone(), action, "audit_log").with_details(json!({ "filter": q }));
    if let Err(err) = &built {
        e = e.with_outcome(if matches!(err, AppError::Refused(_)) { Outcome::Denied } else { Outcome::Failure });
        e.details["refused"] = json!(err.english());
    }
    app.audit.record(e).await?;
    built
}

/// One page of the records `q` selects.
pub async fn read(app: &App, cur: &Current, q: &Query, origin: &Origin) -> Result<Page, AppError> {
    let f = admitted(app, cur, q, "audit.read", origin).await?;
    let (size, before) = (app.policy.console.audit_page_size, q.before);
    app.db(move |c| {
        let mut records = store::audit_search::search(c, &f, before, i64::from(size) + 1)?;
        let next = (records.len() > size as usize).then(|| records[size as usize - 1].seq);
        records.truncate(size as usize);
        Ok(Page { records, next, page_size: size })
    })
    .await
}

/// Every record `q` selects, newest first, read in pages; refused (nothing returned) when there are
/// more than `[console] audit_export_max_rows`.
pub async fn export(app: &App, cur: &Current, q: &Query, origin: &Origin) -> Result<Vec<AuditRecord>, AppError> {
    let f = admitted(app, cur, q, "audit.exported", origin).await?;
    let max = app.policy.console.audit_export_max_rows as usize;
    app.db(move |c| {
        let mut out: Vec<AuditRecord> = Vec::new();
        let mut before = None;
        loop {
            let page = store::audit_search::search(c, &f, before, 1_000)?;
            let Some(last) = page.last() else { break };
            before = Some(last.seq);
            out.extend(page);
            if out.len() > max {
                return Err(AppError::invalid("too_many_records",
                    format!("該当する記録が {max} 件を超えます。条件を絞り込む（期間を短くする等）か、[console] audit_export_max_rows を引き上げてください"),
                    format!("more than {max} records match: narrow the filter (e.g. a shorter time range) or raise [console] audit_export_max_rows"),
                ));
            }
        }
        Ok(out)
    })
    .await
}

/// The records as CSV: UTF-8 with a byte-order mark (so spreadsheet software reads the Japanese),
/// times in JST and UTC, every field quoted.
pub fn csv(records: &[AuditRecord]) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = String::from(
        "\u{feff}seq,occurred_jst,occurred_utc,actor,action,target,outcome,source_ip,request_id,details,hash\r\n",
    );
    for r in records {
        let cells = [
            r.seq.to_string(),
            tobira_domain::time_util::jst_display(r.occurred_at),
            tobira_domain::time_util::rfc3339_utc(r.occurred_at),
            r.event.actor.clone(),
            r.event.action.clone(),
            r.event.target.clone(),
            r.event.outcome.as_str().to_string(),
            r.event.source_ip.clone().unwrap_or_default(),
            r.event.request_id.clone().unwrap_or_default(),
            r.event.details.to_string(),
            r.hash.clone(),
        ];
        out.push_str(&cells.iter().map(|c| q(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}
