//! The review reports (R-RV-01, R-RV-03, R-RV-04, R-RV-06, R-RV-07, R-AC-04, R-LG-03): dormant
//! and orphan IDs, grants, exceptions, findings, campaigns and the compliance report, each as a
//! [`Table`]. Exceptions in force appear in every report row they cover.

use super::exceptions::{self, Row as ExceptionRow};
use super::table::Table;
use super::{campaign, dormant::use_of};
use crate::app::review::table::when;
use crate::app::AppError;
use crate::store::{self, schema, DbConnection};
use diesel::prelude::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use tobira_domain::catalogue;
use tobira_domain::policy::Policy;
use tobira_domain::review::dormant;
use tobira_domain::time_util::jst_display;

mod accounts;
pub use accounts::{passwords, vendors};

/// Employee number, name and department of a person.
type PersonFacts = (String, String, Option<String>);

/// person id → its facts.
fn people(c: &mut DbConnection) -> Result<HashMap<String, PersonFacts>, AppError> {
    use schema::people as p;
    let rows: Vec<(String, String, String, Option<String>)> =
        p::table.select((p::id, p::employee_number, p::name_kanji, p::department_name)).load(c)?;
    Ok(rows.into_iter().map(|(id, en, name, d)| (id, (en, name, d))).collect())
}

fn subjects(login: &str, en: Option<&str>, system: Option<&str>) -> Vec<String> {
    let mut s = vec![format!("account:{login}")];
    s.extend(en.map(|e| format!("person:{e}")));
    s.extend(system.map(|x| format!("system:{x}")));
    s
}

/// Dormant IDs (R-RV-03, R-LC-04): every active account past its kind's threshold, with any notice.
pub fn dormant(c: &mut DbConnection, policy: &Policy, now: i64) -> Result<Table, AppError> {
    let mut t = Table::new(
        "dormant",
        "休眠ID報告 / Dormant IDs",
        vec![
            ("login", "ID"),
            ("kind", "種別 / kind"),
            ("employee_number", "職員番号"),
            ("name", "氏名 / name"),
            ("department", "所属 / department"),
            ("last_sign_in", "最終サインイン / last sign-in"),
            ("idle_days", "未使用日数 / idle days"),
            ("threshold_days", "基準日数 / threshold"),
            ("never_used", "未使用 / never used"),
            ("notice", "通知日 / noticed"),
            ("suspend_at", "停止予定 / suspension due"),
            ("exceptions", "例外措置 / exceptions"),
        ],
    );
    let people = people(c)?;
    let notices: HashMap<String, store::review::DormantNotice> =
        store::review::notices(c)?.into_iter().map(|n| (n.account_id.clone(), n)).collect();
    let ex = exceptions::rows(c, policy, now)?;
    let accounts = store::review::active_accounts(c)?;
    let mut by_kind: HashMap<&str, usize> = HashMap::new();
    for a in &accounts {
        let u = use_of(a);
        let Some(d) = dormant::assess(&policy.review, u, now) else { continue };
        let person = a.person_id.as_ref().and_then(|p| people.get(p));
        let n = notices.get(&a.id).filter(|n| n.settled_at.is_none());
        *by_kind.entry(u.kind.as_str()).or_default() += 1;
        t.push(json!({
            "login": a.login_id, "kind": format!("{} {}", u.kind.label_ja(), u.kind.as_str()), "employee_number": person.map(|p| &p.0), "name": person.map(|p| &p.1), "department": person.and_then(|p| p.2.clone()),
            "last_sign_in": when(a.last_login_at), "idle_days": d.idle_days, "threshold_days": d.threshold_days, "never_used": d.never_used,
            "notice": when(n.map(|n| n.noticed_at)), "suspend_at": when(n.map(|n| n.suspend_at)),
            "exceptions": exceptions::in_force_for(&ex, &subjects(&a.login_id, person.map(|p| p.0.as_str()), None)),
        }));
    }
    t.summary.insert("active_accounts".into(), json!(accounts.len()));
    t.summary.insert("dormant".into(), json!(t.rows.len()));
    t.summary.insert("by_kind".into(), json!(by_kind));
    t.summary.insert("action".into(), json!(policy.review.dormant_action));
    Ok(t)
}

/// Every grant in force, with its source, approver, last sign-in and any exception (R-RV-05, R-RV-06).
pub fn grants(c: &mut DbConnection, policy: &Policy, now: i64) -> Result<Table, AppError> {
    use schema::{accounts, grants as g, roles};
    let mut t = Table::new(
        "grants",
        "権限付与一覧 / Grants in force",
        vec![
            ("login", "ID"),
            ("employee_number", "職員番号"),
            ("name", "氏名 / name"),
            ("department", "所属 / department"),
            ("system", "システム / system"),
            ("role", "ロール / role"),
            ("source", "根拠 / source"),
            ("since", "付与日 / since"),
            ("until", "期限 / until"),
            ("approved_by", "承認者 / approved by"),
            ("last_sign_in", "最終サインイン / last sign-in"),
            ("review_flag", "要確認 / flagged"),
            ("exceptions", "例外措置 / exceptions"),
        ],
    );
    type Row =
        (String, Option<String>, Option<i64>, String, String, String, i64, Option<i64>, Option<String>, Option<String>);
    let rows: Vec<Row> = g::table
        .inner_join(accounts::table.on(accounts::id.eq(g::account_id)))
        .inner_join(roles::table.on(roles::id.eq(g::role_id)))
        .filter(g::revoked_at.is_null())
        .filter(g::valid_from.le(now))
        .filter(g::valid_until.is_null().or(g::valid_until.gt(now)))
        .select((
            accounts::login_id,
            accounts::person_id,
            accounts::last_login_at,
            roles::system_id,
            g::role_id,
            g::source,
            g::valid_from,
            g::valid_until,
            g::approved_by,
            g::review_flag,
        ))
        .order((roles::system_id, accounts::login_id, g::role_id))
        .load(c)?;
    let people = people(c)?;
    let ex = exceptions::rows(c, policy, now)?;
    for (login, pid, last, system, role, source, from, until, approved, flag) in rows {
        let person = pid.as_ref().and_then(|p| people.get(p));
        t.push(json!({
            "login": login, "employee_number": person.map(|p| &p.0), "name": person.map(|p| &p.1), "department": person.and_then(|p| p.2.clone()), "system": system, "role": role,
            "source": source, "since": when(Some(from)), "until": when(until), "approved_by": approved, "last_sign_in": when(last), "review_flag": flag,
            "exceptions": exceptions::in_force_for(&ex, &subjects(&login, person.map(|p| p.0.as_str()), Some(&system))),
        }));
    }
    t.summary.insert("grants".into(), json!(t.rows.len()));
    Ok(t)
}

pub fn exceptions_report(c: &mut DbConnection, policy: &Policy, now: i64) -> Result<Table, AppError> {
    let mut t = Table::new(
        "exceptions",
        "例外措置台帳 / Exceptions register",
        vec![
            ("id", "ID"),
            ("rule", "規則 / rule"),
            ("subjects", "対象 / subjects"),
            ("reason", "理由 / reason"),
            ("standing", "状態 / standing"),
            ("emergency", "緊急 / emergency"),
            ("requested_by", "申請者 / requested by"),
            ("decided_by", "判断者 / decided by"),
            ("valid_until", "期限 / until"),
            ("review_due", "次回見直し / review due"),
        ],
    );
    let rows: Vec<ExceptionRow> = exceptions::rows(c, policy, now)?;
    for r in &rows {
        let e = &r.exception;
        t.push(json!({
            "id": e.id, "rule": e.rule, "subjects": r.subjects_list, "reason": e.reason, "standing": r.standing.as_str(), "emergency": e.emergency,
            "requested_by": e.requested_by, "decided_by": e.decided_by, "valid_until": when(Some(e.valid_until)), "review_due": when(r.review_due),
        }));
    }
    t.summary.insert("in_force".into(), json!(rows.iter().filter(|r| r.standing.in_force()).count()));
    t.summary
        .insert("review_overdue".into(), json!(rows.iter().filter(|r| r.review_due.is_some_and(|d| d <= now)).count()));
    Ok(t)
}

pub fn findings(c: &mut DbConnection, since: i64) -> Result<Table, AppError> {
    let mut t = Table::new(
        "findings",
        "ログ分析・突合の検知 / Findings",
        vec![
            ("kind", "種類 / kind"),
            ("subject", "対象 / subject"),
            ("at", "発生 / at"),
            ("events", "件数 / events"),
            ("detail", "内容 / detail"),
            ("found_at", "検知日時 / found"),
            ("evidence", "監査記録番号 / audit records"),
        ],
    );
    for f in store::review::findings(c, since)? {
        t.push(json!({
            "kind": f.kind, "subject": f.subject, "at": when(Some(f.at)), "events": f.events, "detail": f.detail,
            "found_at": when(Some(f.found_at)), "evidence": serde_json::from_str::<Value>(&f.evidence).unwrap_or(Value::Null),
        }));
    }
    t.summary.insert("findings".into(), json!(t.rows.len()));
    Ok(t)
}

pub fn campaigns(c: &mut DbConnection, now: i64) -> Result<Table, AppError> {
    let mut t = Table::new(
        "campaigns",
        "権限棚卸しの進捗 / Recertification campaigns",
        vec![
            ("id", "ID"),
            ("title", "名称 / title"),
            ("status", "状態 / status"),
            ("deadline", "期限 / deadline"),
            ("items", "件数 / items"),
            ("kept", "継続 / kept"),
            ("removed", "削除 / removed"),
            ("removed_at_deadline", "期限切れ削除 / removed at deadline"),
            ("open", "未回答 / open"),
            ("escalated", "エスカレーション / escalated"),
            ("overdue", "期限超過 / overdue"),
        ],
    );
    for k in store::review::campaigns(c)? {
        let p = campaign::progress(c, k, now)?;
        t.push(json!({
            "id": p.campaign.id, "title": p.campaign.title, "status": p.campaign.status, "deadline": when(Some(p.campaign.deadline)), "items": p.items, "kept": p.kept,
            "removed": p.removed, "removed_at_deadline": p.removed_at_deadline, "open": p.open, "escalated": p.escalated, "overdue": p.overdue,
        }));
    }
    Ok(t)
}

/// Counts of audit actions since `since`.
fn action_counts(c: &mut DbConnection, since: i64) -> Result<HashMap<String, i64>, AppError> {
    use diesel::dsl::count_star;
    use schema::audit_events as a;
    let rows: Vec<(String, i64)> =
        a::table.filter(a::occurred_at.ge(since)).group_by(a::action).select((a::action, count_star())).load(c)?;
    Ok(rows.into_iter().collect())
}

/// Evidence for a requirement from the period's audit actions (names and counts), where tobira
/// records some.
fn evidence_actions(id: &str) -> &'static [&'static str] {
    match id {
        "R-AU-01" | "R-AU-11" => &["auth.sign_in", "auth.sign_in_failed"],
        "R-AU-12" => &["account.locked", "account.unlocked"],
        "R-AU-14" | "R-AU-15" => &["auth.sign_in", "auth.factor_failed"],
        "R-LC-01" | "R-LC-02" | "R-LC-03" => {
            &["sync.applied", "sync.held", "account.created", "account.disabled", "grant.revoked"]
        }
        "R-LC-04" | "R-RV-03" => &["review.dormant_noticed", "account.suspended", "review.dormant_restored"],
        "R-LC-05" | "R-RV-05" | "R-RV-08" => {
            &["review.campaign_created", "review.item_decided", "review.deadline_pass"]
        }
        "R-AC-04" => &[
            "review.exception_requested",
            "review.exception_emergency",
            "review.exception_decided",
            "review.exception_expired",
        ],
        "R-PR-02" => &["privileged.elevation_requested", "privileged.elevation_started", "privileged.elevation_ended"],
        "R-PR-03" => &["privileged.delegate_nominated", "privileged.delegate_approved"],
        "R-LG-03" => &["review.finding"],
        "R-LG-11" => &["audit.searched"],
        "R-AC-05" | "R-AC-10" => &["token.issued", "token.refused"],
        _ => &[],
    }
}

/// The compliance report (R-RV-07, R-RV-01): every requirement of the catalogue with its scope,
/// status, the settings that decide it, its tests, exceptions in force against it and evidence
/// from the period since `since`, with the audit chain's last verification.
pub fn compliance(c: &mut DbConnection, policy: &Policy, since: i64, now: i64) -> Result<Table, AppError> {
    let mut t = Table::new(
        "compliance",
        "準拠状況報告 / Compliance",
        vec![
            ("id", "要件 / requirement"),
            ("scope", "範囲 / scope"),
            ("title_ja", "要件名"),
            ("title_en", "title"),
            ("status", "実装 / status"),
            ("settings", "設定 / settings"),
            ("tests", "試験数 / tests"),
            ("evidence", "期間内の記録 / evidence"),
            ("exceptions", "例外措置 / exceptions"),
            ("sources", "出典 / sources"),
            ("note", "備考 / note"),
        ],
    );
    let counts = action_counts(c, since)?;
    let ex = exceptions::rows(c, policy, now)?;
    let mut by_status: HashMap<&str, usize> = HashMap::new();
    for r in catalogue::catalogue() {
        *by_status.entry(r.status.as_str()).or_default() += 1;
        let evidence: Vec<String> =
            evidence_actions(&r.id).iter().map(|a| format!("{a} {}", counts.get(*a).copied().unwrap_or(0))).collect();
        let against: Vec<String> = ex
            .iter()
            .filter(|e| e.standing.in_force() && e.exception.rule == r.id)
            .map(|e| format!("{} {}", e.exception.id, e.subjects_list.join(" ")))
            .collect();
        t.push(json!({
            "id": r.id, "scope": r.scope.as_str(), "title_ja": r.title_ja, "title_en": r.title_en, "status": r.status.as_str(), "settings": r.settings,
            "tests": r.tests.len(), "evidence": evidence, "exceptions": against, "sources": r.sources, "note": r.note,
        }));
    }
    let verified = store::audit::last_of_action(c, "audit.verified")?;
    t.summary.insert("policy_digest".into(), json!(policy.digest));
    t.summary.insert("period_from".into(), when(Some(since)));
    t.summary.insert("requirements".into(), json!(t.rows.len()));
    t.summary.insert("by_status".into(), json!(by_status));
    t.summary.insert(
        "audit_chain_last_verified".into(),
        verified.map(|v| json!({ "at": jst_display(v.occurred_at), "outcome": v.event.outcome.as_str(), "details": v.event.details })).unwrap_or(Value::Null),
    );
    Ok(t)
}

/// Every review report by name, in the order the console and the evidence bundle list them.
pub const NAMES: &[&str] =
    &["dormant", "grants", "passwords", "exceptions", "findings", "campaigns", "compliance", "vendors"];

/// The report `name` (one of [`NAMES`]) over the last `days`; not found for any other name.
pub fn over_days(c: &mut DbConnection, policy: &Policy, name: &str, days: u32, now: i64) -> Result<Table, AppError> {
    let since = now - i64::from(days) * tobira_domain::review::DAY_MS;
    by_name(c, policy, name, since, now)?.ok_or_else(|| {
        AppError::not_found(
            "unknown_report",
            format!("報告 `{name}` はありません（{}）", NAMES.join(", ")),
            format!("no report `{name}` (one of {})", NAMES.join(", ")),
        )
    })
}

/// The report `name`, over the period from `since` where it has one; `None` for no such report.
pub fn by_name(
    c: &mut DbConnection,
    policy: &Policy,
    name: &str,
    since: i64,
    now: i64,
) -> Result<Option<Table>, AppError> {
    Ok(Some(match name {
        "dormant" => dormant(c, policy, now)?,
        "grants" => grants(c, policy, now)?,
        "passwords" => passwords(c, policy, now)?,
        "exceptions" => exceptions_report(c, policy, now)?,
        "findings" => findings(c, since)?,
        "campaigns" => campaigns(c, now)?,
        "compliance" => compliance(c, policy, since, now)?,
        "vendors" => vendors(c, since, now)?,
        _ => return Ok(None),
    }))
}
