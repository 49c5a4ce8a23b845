//! Access requests as the service runs them (R-LC-02, R-AC-01, R-AC-02): a member of staff asks for
//! a requestable role until an end date; the approvers of `[approvals] access_request` decide in
//! order, each told by mail through the notifications outbox; the last approval makes a grant with
//! source `request` and that validity (tokens carry the role from `valid_from` to `valid_until`); a
//! request may be withdrawn by its requester, and one nobody decides lapses (`sweep`). The rules are
//! the domain's (`tobira_domain::access_request`); each use case writes its outcome and audit record
//! in one transaction, and refusals are audited too.

pub mod decide;
pub mod sod;
pub mod view;

use super::signin::{session::Current, Origin};
use super::{approvers, App, AppError};
use crate::app::privileged::{refused, role_target};
/// The record an access request use case returns.
pub use crate::store::access_requests::AccessRequest;
use crate::store::{self, DbConnection};
use serde_json::json;
use tobira_domain::access_request::{self as rules, status, Ask, Asker, DAY_MS};
use tobira_domain::policy::{Approver, Policy};

/// What a member of staff asks for. Dates are `YYYY-MM-DD` (JST); `from` is today when empty.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewRequest {
    pub role: String,
    pub reason: String,
    #[serde(default)]
    pub from: String,
    #[schema(format = Date, example = "2027-03-31")]
    pub until: String,
    #[serde(default)]
    pub contract: String,
}

/// The requester's facts the rules need, read from HR and the grants.
pub(crate) struct Requester {
    pub key: String,
    pub departments: Vec<String>,
    pub is_vendor: bool,
    pub contract: Option<String>,
    pub contract_ends: Option<i64>,
    pub accounts: Vec<String>,
    pub holds: Vec<String>,
    pub open: u32,
}

fn date(s: &str, (what_ja, what_en): (&str, &str)) -> Result<time::Date, AppError> {
    time::Date::parse(s.trim(), time::macros::format_description!("[year]-[month]-[day]")).map_err(|_| {
        AppError::invalid(
            "not_a_date",
            format!("{what_ja}：日付は YYYY-MM-DD で入力してください（`{s}`）"),
            format!("{what_en}: `{s}` is not a date (YYYY-MM-DD)"),
        )
    })
}

/// The requester behind `account_id`; `None` for an account with no person (nobody heads it).
pub(crate) fn requester(c: &mut DbConnection, account_id: &str, now: i64) -> Result<Option<Requester>, AppError> {
    let Some(account) = store::accounts::by_id(c, account_id)? else { return Ok(None) };
    let Some(person) = account.person_id.as_deref().map(|p| store::org::person_by_id(c, p)).transpose()?.flatten()
    else {
        return Ok(None);
    };
    let primary = tobira_domain::org::Membership::Primary.as_str();
    let departments =
        store::org::memberships(c, &person.id)?.into_iter().filter(|(_, m)| m == primary).map(|(d, _)| d).collect();
    let mut accounts = store::access_requests::accounts_of_person(c, &person.id)?;
    if !accounts.contains(&account.id) {
        accounts.push(account.id.clone());
    }
    let open = store::access_requests::open_of(c, &accounts)?;
    let mut holds = store::access_requests::held_roles(c, &accounts, now)?;
    holds.extend(open.iter().map(|r| r.role_id.clone()));
    let contract = person.contract_id.clone().filter(|c| !c.is_empty());
    let contract_ends = match &contract {
        Some(n) => store::contracts::by_number(c, n)?
            .and_then(|row| {
                time::Date::parse(&row.end_date, time::macros::format_description!("[year]-[month]-[day]")).ok()
            })
            .map(tobira_domain::time_util::end_of_jst_day),
        None => None,
    };
    Ok(Some(Requester {
        key: person.employee_number.clone(),
        departments,
        is_vendor: person.employment_type == "vendor" || account.is_vendor,
        contract,
        contract_ends,
        accounts,
        holds,
        open: open.len() as u32,
    }))
}

/// Who is told that `step` of `req` waits: employee numbers (or `account:<login>`).
pub(crate) fn approvers_of_step(
    c: &mut DbConnection,
    policy: &Policy,
    req: &AccessRequest,
    departments: &[String],
    step: Approver,
    now: i64,
) -> Result<Vec<String>, AppError> {
    let mut to = match step {
        Approver::HeadOfSection => store::access_requests::heads_of(c, departments)?,
        Approver::SystemOwner => {
            policy.system(&req.system_id).map(|s| vec![s.owner.employee_number.clone()]).unwrap_or_default()
        }
        other => other.officer().map(|f| approvers::holders_of(c, policy, &[f], now)).transpose()?.unwrap_or_default(),
    };
    to.retain(|k| *k != req.requester_key);
    Ok(to)
}

/// Queues the mail telling the approvers of the next step that a request waits for them.
pub(crate) fn notify_step(
    c: &mut DbConnection,
    policy: &Policy,
    req: &AccessRequest,
    departments: &[String],
    step: Approver,
    login: &str,
    now: i64,
) -> Result<Vec<String>, AppError> {
    let to = approvers_of_step(c, policy, req, departments, step, now)?;
    let role = policy.role(&req.role_id).map_or(req.role_id.as_str(), |r| r.name.as_str());
    let subject = format!("【アクセス申請】承認待ち: {login} / {role}");
    let body = format!(
        "{login} さんから {role}（{}）の利用申請があります。\n理由: {}\n期間: {} 〜 {}\n承認期限: {}\n/requests/queue で承認または却下してください。\n\nAn access request by {login} for {} waits for your decision at /requests/queue.",
        req.role_id,
        req.reason,
        tobira_domain::time_util::jst_display(req.valid_from),
        tobira_domain::time_util::jst_display(req.valid_until),
        tobira_domain::time_util::jst_display(req.lapses_at),
        req.role_id
    );
    approvers::notify(c, &to, "access.request_waiting", &subject, &body, now)?;
    Ok(to)
}

/// Asks for a role.
pub async fn ask(app: &App, cur: &Current, new: NewRequest, origin: &Origin) -> Result<AccessRequest, AppError> {
    let (policy, cur, origin, now) = (app.policy.clone(), cur.clone(), origin.clone(), app.clock.now_ms());
    app.db(move |c| {
        let role = policy.role(&new.role).ok_or_else(|| AppError::invalid("unknown_role", format!("ロール {} はありません", new.role), format!("no role `{}`", new.role)))?;
        let until = tobira_domain::time_util::end_of_jst_day(date(&new.until, ("終了日", "until"))?);
        let from = if new.from.trim().is_empty() { now } else { (tobira_domain::time_util::end_of_jst_day(date(&new.from, ("開始日", "from"))?) - DAY_MS).max(now) };
        let Some(who) = requester(c, &cur.account.id, now)? else {
            return Err(AppError::invalid("no_person", "人事情報のないアカウントは申請できません", "an account with no person in HR cannot ask"));
        };
        let contract = Some(new.contract.trim()).filter(|s| !s.is_empty());
        let asker = Asker {
            employee_number: &who.key,
            departments: &who.departments,
            is_vendor: who.is_vendor,
            contract: who.contract.as_deref(),
            contract_ends: who.contract_ends,
            holds: &who.holds,
            open_requests: who.open,
        };
        let what = Ask { reason: &new.reason, valid_from: from, valid_until: until, contract };
        let plan = match rules::ask(&policy, role, &asker, &what, now) {
            Ok(p) => p,
            Err(e) => return Err(refused(c, &cur, ("access.request_refused", &role_target(&new.role)), e, json!({ "until": until, "from": from }), &origin, now)),
        };
        let req = AccessRequest {
            id: store::new_id(),
            account_id: cur.account.id.clone(),
            requester_key: who.key.clone(),
            role_id: new.role.clone(),
            system_id: role.system.get_ref().clone(),
            reason: new.reason.trim().to_string(),
            contract_id: contract.map(String::from),
            valid_from: from,
            valid_until: until,
            steps: rules::steps_text(&plan.steps),
            steps_done: 0,
            status: status::ASKED.into(),
            requested_at: now,
            lapses_at: plan.lapses_at,
            closed_at: None,
            grant_id: None,
        };
        store::write_tx(c, |c| {
            // The SoD and one-at-a-time checks again, inside the transaction that inserts.
            let again = requester(c, &cur.account.id, now)?.map(|r| r.holds).unwrap_or_default();
            if again.contains(&req.role_id) || !rules::sod_conflicts(&policy, &again, &req.role_id).is_empty() {
                return Err(AppError::conflict("asked_meanwhile", "同じロールまたは職務の分離に反するロールが同時に申請されました", "the role, or one it may not be held with, was asked for meanwhile"));
            }
            store::access_requests::insert(c, &req)?;
            let notified = notify_step(c, &policy, &req, &who.departments, plan.steps[0], &cur.account.login_id, now)?;
            let e = origin.event(cur.account.login_id.clone(), "access.request_asked", role_target(&req.role_id)).with_details(json!({
                "request": req.id, "account": cur.account.login_id, "reason": req.reason, "from": req.valid_from, "until": req.valid_until,
                "contract": req.contract_id, "steps": req.steps, "lapses_at": req.lapses_at, "notified": notified,
            }));
            store::audit::append(c, now, vec![e])?;
            Ok(req)
        })
    })
    .await
}

/// Withdraws an open request: its requester only.
pub async fn withdraw(app: &App, cur: &Current, id: &str, origin: &Origin) -> Result<AccessRequest, AppError> {
    let (id, cur, origin, now) = (id.to_string(), cur.clone(), origin.clone(), app.clock.now_ms());
    app.db(move |c| {
        let mut req = store::access_requests::by_id(c, &id)?.ok_or_else(|| {
            AppError::not_found(
                "request_not_found",
                format!("申請 {id} が見つかりません"),
                format!("request {id} not found"),
            )
        })?;
        let me = store::privileged::employee_number_of(c, &cur.account.id)?
            .unwrap_or_else(|| format!("account:{}", cur.account.id));
        if let Err(e) = rules::withdraw(&req.status, &req.requester_key, &me) {
            return Err(refused(
                c,
                &cur,
                ("access.withdraw_refused", &role_target(&req.role_id)),
                e,
                json!({ "request": id }),
                &origin,
                now,
            ));
        }
        store::write_tx(c, |c| {
            if !store::access_requests::close(c, &req.id, req.steps_done, status::WITHDRAWN, None, now)? {
                return Err(AppError::request_decided_meanwhile());
            }
            req.status = status::WITHDRAWN.into();
            req.closed_at = Some(now);
            let e = origin
                .event(cur.account.login_id.clone(), "access.request_withdrawn", role_target(&req.role_id))
                .with_details(json!({ "request": req.id }));
            store::audit::append(c, now, vec![e])?;
            Ok(req)
        })
    })
    .await
}

pub const SWEEP_ACTOR: &str = "system:access-request-sweep";

/// Lapses the open requests nobody decided in time; how many.
pub fn sweep(c: &mut DbConnection, now: i64) -> Result<usize, AppError> {
    let origin = Origin::default();
    let mut lapsed = 0;
    for req in store::access_requests::due_to_lapse(c, now)? {
        store::write_tx(c, |c| {
            if store::access_requests::close(c, &req.id, req.steps_done, status::LAPSED, None, now)? {
                lapsed += 1;
                let e = origin
                    .event(SWEEP_ACTOR, "access.request_lapsed", role_target(&req.role_id))
                    .with_details(json!({ "request": req.id, "steps_done": req.steps_done }));
                store::audit::append(c, now, vec![e])?;
            }
            Ok::<_, AppError>(())
        })?;
    }
    Ok(lapsed)
}
