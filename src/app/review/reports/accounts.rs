//! The account reports: vendors per contract (R-RV-10, R-LC-07) and passwords that break the rules
//! or are overdue (R-AU-16).

use super::{when, Table};
use crate::app::AppError;
use crate::store::{self, schema, DbConnection};
use diesel::prelude::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use tobira_domain::policy::Policy;

/// Vendors per contract (R-RV-10, R-LC-07): each vendor account with its contract, end date,
/// status, last sign-in, grants in force, and in the period its sign-ins, failures and elevations.
pub fn vendors(c: &mut DbConnection, since: i64, now: i64) -> Result<Table, AppError> {
    use diesel::dsl::count_star;
    use schema::{accounts, audit_events as ae, elevations, grants as g, people};
    let mut t = Table::new(
        "vendors",
        "委託事業者の利用状況（契約別） / Vendors per contract",
        vec![
            ("contract", "契約 / contract"),
            ("vendor", "事業者 / vendor"),
            ("login", "ID"),
            ("employee_number", "職員番号"),
            ("name", "氏名 / name"),
            ("end_date", "契約期間終了 / ends"),
            ("information_returned", "情報の返却・消去 / information returned"),
            ("status", "状態 / status"),
            ("privileged", "特権ID / privileged"),
            ("last_sign_in", "最終サインイン / last sign-in"),
            ("grants", "付与 / grants"),
            ("sign_ins", "期間内サインイン / sign-ins"),
            ("failures", "期間内失敗 / failures"),
            ("elevations", "期間内昇格 / elevations"),
        ],
    );
    type Row = (String, String, String, bool, Option<i64>, String, String, Option<String>, Option<String>);
    let rows: Vec<Row> = accounts::table
        .inner_join(people::table.on(people::id.nullable().eq(accounts::person_id)))
        .filter(accounts::is_vendor.eq(true).or(people::employment_type.eq("vendor")))
        .select((
            accounts::id,
            accounts::login_id,
            accounts::status,
            accounts::is_privileged,
            accounts::last_login_at,
            people::employee_number,
            people::name_kanji,
            people::contract_id,
            people::end_date,
        ))
        .order((people::contract_id, accounts::login_id))
        .load(c)?;
    let register: HashMap<String, store::contracts::ContractRow> =
        store::contracts::all(c)?.into_iter().map(|r| (r.number.clone(), r)).collect();
    let today = tobira_domain::time_util::from_millis(now).to_offset(tobira_domain::time_util::JST).date();
    let ended = |r: &store::contracts::ContractRow| {
        tobira_domain::time_util::parse_iso_date(&r.end_date).is_some_and(|end| end < today)
    };
    // The period's activity of every listed account, in one grouped read each (chunks of 500).
    let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let targets: Vec<String> = rows.iter().map(|r| crate::app::signin::target(&r.1)).collect();
    let mut events: HashMap<(String, String), i64> = HashMap::new();
    let (mut grants_of, mut elevations_of): (HashMap<String, i64>, HashMap<String, i64>) = Default::default();
    for chunk in targets.chunks(500) {
        let found: Vec<(String, String, i64)> = ae::table
            .filter(ae::target.eq_any(chunk))
            .filter(ae::action.eq_any(["auth.sign_in", "auth.sign_in_failed"]))
            .filter(ae::occurred_at.ge(since))
            .group_by((ae::target, ae::action))
            .select((ae::target, ae::action, count_star()))
            .load(c)?;
        events.extend(found.into_iter().map(|(t, a, n)| ((t, a), n)));
    }
    for chunk in ids.chunks(500) {
        let held: Vec<(String, i64)> = g::table
            .filter(g::account_id.eq_any(chunk))
            .filter(g::revoked_at.is_null())
            .filter(g::valid_until.is_null().or(g::valid_until.gt(now)))
            .group_by(g::account_id)
            .select((g::account_id, count_star()))
            .load(c)?;
        grants_of.extend(held);
        let asked: Vec<(String, i64)> = elevations::table
            .filter(elevations::account_id.eq_any(chunk))
            .filter(elevations::requested_at.ge(since))
            .group_by(elevations::account_id)
            .select((elevations::account_id, count_star()))
            .load(c)?;
        elevations_of.extend(asked);
    }
    let mut by_contract: HashMap<String, usize> = HashMap::new();
    for ((id, login, status, privileged, last, en, name, contract, end), target) in rows.into_iter().zip(targets) {
        let listed = contract.as_ref().and_then(|n| register.get(n));
        // R-LC-13: once a contract has ended, the return or erasure of its information is confirmed.
        let returned = match listed {
            Some(r) if r.return_confirmed_at.is_some() => json!(format!(
                "{} {}",
                when(r.return_confirmed_at),
                r.return_confirmed_by.as_deref().unwrap_or_default()
            )),
            Some(r) if ended(r) => json!("未確認 / not confirmed"),
            _ => Value::Null,
        };
        let count = |action: &str| events.get(&(target.clone(), action.to_string())).copied().unwrap_or(0);
        let (sign_ins, failures) = (count("auth.sign_in"), count("auth.sign_in_failed"));
        let grants = grants_of.get(&id).copied().unwrap_or(0);
        let elevated = elevations_of.get(&id).copied().unwrap_or(0);
        let contract = contract.unwrap_or_else(|| "（契約未登録 / none）".into());
        *by_contract.entry(contract.clone()).or_default() += 1;
        t.push(json!({
            "contract": contract, "vendor": listed.map(|r| r.vendor.clone()), "login": login, "employee_number": en, "name": name, "end_date": end,
            "information_returned": returned, "status": status, "privileged": privileged,
            "last_sign_in": when(last), "grants": grants, "sign_ins": sign_ins, "failures": failures, "elevations": elevated,
        }));
    }
    t.summary.insert("accounts_per_contract".into(), json!(by_contract));
    let unconfirmed: Vec<&str> =
        register.values().filter(|r| ended(r) && r.return_confirmed_at.is_none()).map(|r| r.number.as_str()).collect();
    t.summary.insert("ended_contracts_without_return_confirmed".into(), json!(unconfirmed));
    Ok(t)
}

/// Passwords that break the rules or are overdue (R-AU-16): of every active or suspended account,
/// a password past its age, still temporary, or stored below the policy's hashing cost.
pub fn passwords(c: &mut DbConnection, policy: &Policy, now: i64) -> Result<Table, AppError> {
    use schema::{accounts, password_credentials as pc, people};
    use tobira_domain::review::passwords::{issues, PasswordIssue, Stored};
    let mut t = Table::new(
        "passwords",
        "規則に合わない・期限切れのパスワード / Passwords overdue or below the rules",
        vec![
            ("login", "ID"),
            ("employee_number", "職員番号"),
            ("name", "氏名 / name"),
            ("status", "状態 / status"),
            ("privileged", "特権ID / privileged"),
            ("issue", "問題 / issue"),
            ("since", "時点 / since"),
            ("set_at", "設定 / set"),
        ],
    );
    type Row = (String, String, bool, Option<String>, Option<String>, String, bool, i64, Option<i64>);
    let rows: Vec<Row> = accounts::table
        .inner_join(pc::table.on(pc::account_id.eq(accounts::id)))
        .left_join(people::table.on(people::id.nullable().eq(accounts::person_id)))
        .filter(accounts::status.eq_any(["active", "suspended"]))
        .order(accounts::login_id)
        .select((
            accounts::login_id,
            accounts::status,
            accounts::is_privileged,
            people::employee_number.nullable(),
            people::name_kanji.nullable(),
            pc::hash,
            pc::is_temporary,
            pc::set_at,
            pc::expires_at,
        ))
        .load(c)?;
    let mut by_issue: HashMap<&str, usize> = HashMap::new();
    for (login, status, privileged, en, name, hash, is_temporary, set_at, expires_at) in rows {
        for issue in issues(&Stored { hash: &hash, is_temporary, set_at, expires_at }, &policy.password.hashing, now) {
            *by_issue.entry(issue.code()).or_default() += 1;
            let since = match &issue {
                PasswordIssue::Expired { since } | PasswordIssue::Temporary { since } => when(Some(*since)),
                PasswordIssue::BelowCost { found } => json!(found),
            };
            t.push(json!({
                "login": login, "employee_number": en, "name": name, "status": status, "privileged": privileged,
                "issue": issue.label(), "since": since, "set_at": when(Some(set_at)),
            }));
        }
    }
    t.summary.insert("by_issue".into(), json!(by_issue));
    Ok(t)
}
