//! The separate privileged account of a person (R-PR-01, R-PR-06): `<prefix><staff login>`, linked to
//! the same person, never a default or generic name, with a temporary password shown once. Made by
//! a security officer; a vendor makes none (R-PR-04).

use super::{account_target, refused};
use crate::app::signin::{session::Current, Origin};
use crate::app::{approvers, bootstrap::TEMP_PASSWORD_LEN, App, AppError};
use crate::crypto::password as pw;
use crate::store::{self, accounts::Account, schema::accounts as a};
use diesel::prelude::*;
use serde_json::json;
use tobira_domain::authn::password as rules;

/// The new account's login ID and temporary password.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = PrivilegedAccountCreated)]
pub struct Created {
    pub login_id: String,
    pub temporary_password: String,
}

/// Creates the privileged account of the person with `employee_number`.
pub async fn create(app: &App, cur: &Current, employee_number: &str, origin: &Origin) -> Result<Created, AppError> {
    let temporary = pw::temporary(TEMP_PASSWORD_LEN)?;
    let (t, cost) = (temporary.clone(), app.policy.password.hashing.clone());
    let hash = app.argon2.run(move || pw::hash(&t, &cost)).await??;
    let (policy, number, cur, origin, now) =
        (app.policy.clone(), employee_number.trim().to_string(), cur.clone(), origin.clone(), app.clock.now_ms());
    let login = app
        .db(move |c| {
            let actor = approvers::of_account(c, &policy, &cur.account, now)?;
            let person =
                store::org::person_by_employee_number(c, &number)?.ok_or_else(|| AppError::not_found("person_not_found", format!("職員番号 {number} の職員が見つかりません"), format!("person {number} not found")))?;
            if actor.is_vendor {
                return Err(refused(
                    c,
                    &cur,
                    ("privileged.account_refused", &format!("person:{number}")),
                    AppError::refused("vendor_privileged_change", "委託事業者は特権IDを作成できません（R-PR-04）", "a vendor creates no privileged ID (R-PR-04)"),
                    json!({}),
                    &origin,
                    now,
                ));
            }
            let staff: Vec<Account> = a::table.filter(a::person_id.eq(&person.id)).select(Account::as_select()).load(c)?;
            if staff.iter().any(|x| x.is_privileged && x.status() == Some(tobira_domain::rbac::AccountStatus::Active)) {
                return Err(AppError::conflict("privileged_account_exists", format!("職員番号 {number} の職員は既に特権IDを持っています"), format!("person {number} already has a privileged account")));
            }
            let base = staff
                .iter()
                .find(|x| !x.is_privileged && !x.is_shared)
                .ok_or_else(|| AppError::invalid("no_staff_account", format!("職員番号 {number} の職員には紐付ける職員アカウントがありません"), format!("person {number} has no staff account to link to")))?;
            let login = format!("{}{}", policy.privileged.account_prefix, base.login_id);
            if policy.privileged.is_forbidden_name(&login) {
                return Err(AppError::invalid("generic_login_id", format!("`{login}` は既定または汎用の名前のため使えません（R-PR-06）"), format!("`{login}` is a default or generic name (R-PR-06)")));
            }
            if store::accounts::by_login_id(c, &login)?.is_some() {
                return Err(AppError::login_id_taken(&login));
            }
            store::write_tx(c, |c| {
                let mut acct = Account::new(store::new_id(), login.clone(), Some(person.id.clone()), now);
                acct.is_privileged = true;
                acct.is_vendor = base.is_vendor || person.employment_type == "vendor";
                store::accounts::insert(c, &acct)?;
                // A vendor may not change a privileged ID's password (R-PR-04): theirs is not temporary.
                let temporary = !acct.is_vendor;
                store::accounts::set_password(c, &acct.id, &hash, temporary, now, rules::expires_at(policy.password.for_account(acct.is_privileged), now))?;
                let e = origin.event(cur.account.login_id.clone(), "account.created", account_target(&login)).with_details(json!({
                    "privileged": true, "linked_to": base.login_id, "employee_number": number, "vendor": acct.is_vendor, "temporary_password": "issued", "must_change_password": temporary,
                }));
                store::audit::append(c, now, vec![e])?;
                Ok::<_, AppError>(login)
            })
        })
        .await?;
    Ok(Created { login_id: login, temporary_password: temporary })
}

/// R-PR-04: whether the signed-in person may change the privileged ID `target` (its password, its
/// credentials). Staff may. A vendor may not, unless the policy allows it under supervision and a
/// staff member (not a vendor, not the vendor themselves) confirms it there and then with a one-time
/// code from their own authenticator; the supervisor is then returned for the audit record. Every
/// refusal is recorded.
pub async fn vendor_guard(
    app: &App,
    cur: &Current,
    target: &Account,
    action: &str,
    supervision: Option<&Supervision>,
    origin: &Origin,
) -> Result<Option<String>, AppError> {
    if !target.is_privileged {
        return Ok(None);
    }
    let (policy, cur2, target2, action2, named, origin2, now) = (
        app.policy.clone(),
        cur.clone(),
        target.clone(),
        action.to_string(),
        supervision.map(|s| s.employee_number.trim().to_string()).filter(|s| !s.is_empty()),
        origin.clone(),
        app.clock.now_ms(),
    );
    // Who must confirm: nobody (not a vendor), or the named staff supervisor's own account.
    let needed: Option<(String, Account)> = app
        .db(move |c| {
            let actor = approvers::of_account(c, &policy, &cur2.account, now)?;
            if !actor.is_vendor {
                return Ok(None);
            }
            let why = if !policy.privileged.vendors_may_change_under_supervision {
                AppError::refused("vendor_privileged_change",
                    "委託事業者は特権IDとそのパスワードを変更できません。職員が行います（R-PR-04）",
                    "a vendor does not change privileged IDs or their passwords (R-PR-04); a staff member does it",
                )
            } else {
                match &named {
                    None => AppError::refused("supervisor_required",
                        "このポリシーでは、委託事業者が特権IDを変更するには監督する職員の確認が必要です（R-PR-04）",
                        "under this policy a vendor changes a privileged ID only with a staff supervisor who confirms it (R-PR-04)",
                    ),
                    Some(s) => match (approvers::of_person(c, &policy, s, now), staff_account_of(c, s)?) {
                        (Ok(f), Some(acc)) if !f.is_vendor && f.employee_number != actor.employee_number => return Ok(Some((f.employee_number, acc))),
                        _ => AppError::refused("supervisor_not_staff",
                            format!("{s} は監督者になれません。監督者は委託事業者本人以外の職員です（R-PR-04）"),
                            format!("{s} cannot supervise: the supervisor is a staff member other than the vendor (R-PR-04)"),
                        ),
                    },
                }
            };
            Err(refused(c, &cur2, (&format!("{action2}_refused"), &account_target(&target2.login_id)), why, json!({ "vendor": true, "supervisor": named }), &origin2, now))
        })
        .await?;
    let Some((supervisor, account)) = needed else { return Ok(None) };
    // The supervisor confirms in person with their own second factor (TOTP), under their lockout.
    let code = supervision.map(|s| s.code.trim().to_string()).unwrap_or_default();
    let confirmed = !code.is_empty()
        && crate::app::signin::factors::check_totp(app, &account, &code, origin).await.ok().flatten().is_some();
    if confirmed {
        return Ok(Some(supervisor));
    }
    let (cur, target, action, origin, now) =
        (cur.clone(), target.clone(), action.to_string(), origin.clone(), app.clock.now_ms());
    app.db(move |c| {
        let why = AppError::refused("supervisor_code_refused",
            "監督者のコードを受け付けられませんでした。監督者本人の認証アプリのワンタイムコードで確認してください（R-PR-04）",
            "the supervisor's code was not accepted; the supervisor confirms with their own one-time code (R-PR-04)",
        );
        Err(refused(c, &cur, (&format!("{action}_refused"), &account_target(&target.login_id)), why, json!({ "vendor": true, "supervisor": supervisor }), &origin, now))
    })
    .await
}

/// A staff supervisor's confirmation of a vendor's change: their employee number and a one-time
/// code from their own authenticator.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct Supervision {
    pub employee_number: String,
    #[serde(default)]
    pub code: String,
}

/// The person's active staff account (not a privileged or shared one).
fn staff_account_of(c: &mut crate::store::DbConnection, employee_number: &str) -> Result<Option<Account>, AppError> {
    let Some(p) = store::org::person_by_employee_number(c, employee_number)? else { return Ok(None) };
    Ok(a::table
        .filter(a::person_id.eq(&p.id))
        .filter(a::is_privileged.eq(false))
        .filter(a::is_shared.eq(false))
        .filter(a::status.eq("active"))
        .select(Account::as_select())
        .first(c)
        .optional()?)
}
