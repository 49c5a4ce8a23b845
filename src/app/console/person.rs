//! A person's page in the console: HR facts as last synced, their accounts (staff, privileged,
//! development) with grants (source, validity, who approved), factors, open sessions, locks,
//! remote-access grants, recent sign-ins and failures; the shared IDs they use; officer requests
//! awaiting a second person and review items awaiting a decision; and the audit trail of actions
//! on their accounts, keyset-paged. Every list is bounded by `[console] person_list_size`.
//!
//! Invariant: a reader outside the person's sections is refused exactly as if the person did not
//! exist for them (and the refusal is audited); each reading is audited (`console.person_viewed`).

use super::Reader;
use crate::app::signin::{factors, target, Origin};
use crate::app::{App, AppError};
use crate::store::{self, accounts::Account, accounts::Grant, console as cs, org::Person, sessions::Session};
use serde::Serialize;
use serde_json::json;
use tobira_domain::audit::{AuditRecord, Outcome};

#[derive(Debug, Clone, Serialize)]
pub struct RemoteAccess {
    pub id: String,
    pub valid_from: i64,
    pub valid_until: i64,
    pub approved_by: String,
    pub reason: String,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct AccountView {
    pub account: Account,
    /// Locks in force: (scope, until).
    pub locks: Vec<(String, Option<i64>)>,
    /// A password is set; whether it is temporary.
    pub password: Option<bool>,
    pub grants: Vec<Grant>,
    pub factors: Vec<factors::Listed>,
    pub sessions: Vec<Session>,
    pub remote_access: Vec<RemoteAccess>,
    pub sign_ins: Vec<AuditRecord>,
    pub failures: Vec<AuditRecord>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pending {
    pub id: String,
    pub kind: String,
    pub login_id: String,
    pub requested_by: String,
    pub requested_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReviewItem {
    pub login_id: String,
    pub role_id: String,
    pub system_id: String,
    pub deadline: i64,
}

#[derive(Debug, Clone)]
pub struct PersonView {
    pub person: Person,
    /// (code, name, membership), primary first.
    pub departments: Vec<(String, String, String)>,
    pub accounts: Vec<AccountView>,
    /// Shared IDs the person uses: (login ID, permitted by).
    pub shared_uses: Vec<(String, String)>,
    pub requests: Vec<Pending>,
    pub reviews: Vec<ReviewItem>,
    /// Records about the person's accounts, newest first.
    pub trail: Vec<AuditRecord>,
    /// The `before` of the trail's next page, when there is one.
    pub trail_next: Option<i64>,
}

/// The person `id` as `reader` may see them; `before` pages the audit trail.
pub async fn view(
    app: &App,
    reader: &Reader,
    id: &str,
    before: Option<i64>,
    origin: &Origin,
) -> Result<PersonView, AppError> {
    let (id, scope, n, now) =
        (id.to_string(), reader.scope.clone(), i64::from(app.policy.console.person_list_size), app.clock.now_ms());
    let found = app
        .db(move |c| {
            let Some(person) = store::org::person_by_id(c, &id)? else { return Ok(None) };
            let memberships = store::org::memberships(c, &person.id)?;
            let codes: Vec<String> = memberships.iter().map(|(code, _)| code.clone()).collect();
            if !scope.sees(&codes) {
                return Ok(Some(Err(person.employee_number)));
            }
            let mut departments = Vec::new();
            for (code, m) in memberships {
                let name = store::org::department(c, &code)?.map_or_else(|| code.clone(), |d| d.name);
                departments.push((code, name, m));
            }
            let mut accounts = Vec::new();
            for a in cs::accounts_of(c, std::slice::from_ref(&person.id))? {
                let t = target(&a.login_id);
                accounts.push(AccountView {
                    locks: cs::locks_of(c, &a.id, now)?,
                    password: store::accounts::password(c, &a.id)?.map(|(_, temporary)| temporary),
                    grants: cs::grants_of(c, &a.id, n)?,
                    factors: factors::list(c, &a.id)?,
                    sessions: store::sessions::open_of_account(c, &a.id, now)?,
                    remote_access: cs::remote_access_of(c, &a.id, n)?
                        .into_iter()
                        .map(|(id, valid_from, valid_until, approved_by, reason, revoked_at)| RemoteAccess {
                            id,
                            valid_from,
                            valid_until,
                            approved_by,
                            reason,
                            revoked_at,
                        })
                        .collect(),
                    sign_ins: store::audit::by_target(c, &t, &["auth.sign_in"], 0, n)?,
                    failures: store::audit::by_target(c, &t, &["auth.sign_in_failed", "auth.factor_failed"], 0, n)?,
                    account: a,
                });
            }
            let shared_uses = store::shared_ids::current_uses(c)?
                .into_iter()
                .filter(|(p, ..)| *p == person.id)
                .map(|(_, _, login, by)| (login, by))
                .take(n as usize)
                .collect();
            let ids: Vec<&str> = accounts.iter().map(|a| a.account.id.as_str()).collect();
            let requests = store::officer_requests::open(c)?
                .into_iter()
                .filter(|r| ids.contains(&r.account_id.as_str()))
                .map(|r| Pending {
                    login_id: accounts
                        .iter()
                        .find(|a| a.account.id == r.account_id)
                        .map(|a| a.account.login_id.clone())
                        .unwrap_or_default(),
                    id: r.id,
                    kind: r.kind,
                    requested_by: r.requested_by,
                    requested_at: r.requested_at,
                })
                .collect();
            let reviews = store::review::open_items(c, None, Some(std::slice::from_ref(&person.employee_number)))?
                .into_iter()
                .take(n as usize)
                .map(|(i, deadline)| ReviewItem {
                    login_id: i.login_id,
                    role_id: i.role_id,
                    system_id: i.system_id,
                    deadline,
                })
                .collect();
            let targets: Vec<String> = accounts.iter().map(|a| target(&a.account.login_id)).collect();
            let filter = store::audit_search::AuditFilter { person: Some((Vec::new(), targets)), ..Default::default() };
            let mut trail =
                if accounts.is_empty() { Vec::new() } else { store::audit_search::search(c, &filter, before, n + 1)? };
            let trail_next = (trail.len() > n as usize).then(|| trail[n as usize - 1].seq);
            trail.truncate(n as usize);
            Ok(Some(Ok(PersonView {
                person,
                departments,
                accounts,
                shared_uses,
                requests,
                reviews,
                trail,
                trail_next,
            })))
        })
        .await?;
    let subject = |en: &str| format!("person:{en}");
    match found {
        None => Err(AppError::not_found("person_not_found", "職員が見つかりません", "person not found")),
        Some(Err(en)) => {
            let e = origin
                .event(reader.login.clone(), "console.person_viewed", subject(&en))
                .with_outcome(Outcome::Denied)
                .with_details(json!({ "refused": "outside the reader's sections" }));
            app.audit.record(e).await?;
            Err(AppError::not_found("person_not_found", "職員が見つかりません", "person not found"))
        }
        Some(Ok(v)) => {
            app.audit
                .record(origin.event(reader.login.clone(), "console.person_viewed", subject(&v.person.employee_number)))
                .await?;
            Ok(v)
        }
    }
}
