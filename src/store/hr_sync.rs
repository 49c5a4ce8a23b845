//! What the HR sync reads from and writes to the database: the people, accounts and grants tobira
//! holds, one step of a plan at a time, and held runs.
//!
//! Invariant: applying a step writes its rows and returns the audit event that describes it; the
//! caller appends the events in the same transaction.

use super::accounts::{self, Account, Grant};
use super::org::{self, Department, Person};
use super::schema::{accounts as acc, grants, password_credentials, people, person_departments, sessions, sync_runs, sync_state, webauthn_credentials};
use super::{DbConnection, StoreError};
use diesel::prelude::*;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use tobira_domain::audit::AuditEvent;
use tobira_domain::hr::{HrDepartment, HrPerson};
use tobira_domain::lifecycle::handback::{AuthenticatorKind, AuthenticatorView, SharedUse};
use tobira_domain::lifecycle::{AccountView, Action, GrantView, Known, Step, HR_REASON_PREFIX};
use tobira_domain::org::{EmploymentType, Membership, PersonStatus};
use tobira_domain::rbac::{AccountStatus, GrantSource};

fn date_str(d: Option<time::Date>) -> Option<String> {
    d.map(|d| d.to_string())
}

fn parse_date(s: &Option<String>) -> Option<time::Date> {
    s.as_deref().and_then(|s| tobira_domain::hr::parse_date(s, tobira_domain::policy::directory::DateFormat::Iso))
}

fn person_row(id: String, p: &HrPerson, now: i64) -> Person {
    Person {
        id,
        employee_number: p.employee_number.clone(),
        directory_key: p.directory_key.clone(),
        name_kanji: p.name_kanji.clone(),
        name_kana: p.name_kana.clone(),
        name_romaji: p.name_romaji.clone(),
        post_title: p.post.clone(),
        employment_type: p.employment_type.as_str().into(),
        status: p.status.as_str().into(),
        is_head_of_section: p.head_of_section,
        start_date: date_str(p.start_date),
        end_date: date_str(p.end_date),
        secondment_target: p.secondment_target.clone(),
        contract_id: p.contract_id.clone(),
        mail: p.mail.clone(),
        updated_at: now,
        department_name: p.department_name.clone(),
        birth_date: None,
        phone: None,
    }
}

/// A stored person as HR data; memberships give the departments. `None` for rows tobira cannot read.
fn hr_person(row: &Person, memberships: &[(String, String)]) -> Option<HrPerson> {
    let primary = memberships.iter().find(|(_, m)| m == Membership::Primary.as_str())?.0.clone();
    let mut concurrent: Vec<String> = memberships.iter().filter(|(_, m)| m == Membership::Concurrent.as_str()).map(|(c, _)| c.clone()).collect();
    concurrent.sort();
    Some(HrPerson {
        employee_number: row.employee_number.clone(),
        directory_key: row.directory_key.clone(),
        name_kanji: row.name_kanji.clone(),
        name_kana: row.name_kana.clone(),
        name_romaji: row.name_romaji.clone(),
        department_code: primary,
        department_name: row.department_name.clone(),
        concurrent,
        post: row.post_title.clone(),
        employment_type: EmploymentType::parse(&row.employment_type)?,
        status: PersonStatus::parse(&row.status)?,
        start_date: parse_date(&row.start_date),
        end_date: parse_date(&row.end_date),
        head_of_section: row.is_head_of_section,
        secondment_target: row.secondment_target.clone(),
        contract_id: row.contract_id.clone(),
        mail: row.mail.clone(),
    })
}

/// Whom a plan concerns when the read does not speak for everyone: the people it names and the
/// directory keys it reports gone.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub employee_numbers: BTreeSet<String>,
    pub directory_keys: BTreeSet<String>,
}

/// Values per `IN (…)` list, well under either backend's limit on bound parameters.
const IN_LIST: usize = 500;

/// Runs `q` on `values` in `IN`-list sized chunks and joins the results.
fn in_chunks<T>(values: &[String], mut q: impl FnMut(&[String]) -> Result<Vec<T>, StoreError>) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for chunk in values.chunks(IN_LIST) {
        out.extend(q(chunk)?);
    }
    Ok(out)
}

/// The kind of a stored WebAuthn credential, from the transports and backup-eligible flag that
/// webauthn-rs keeps in the passkey (`cred.transports`, `cred.backup_eligible`).
pub fn authenticator_kind(credential_json: &str) -> AuthenticatorKind {
    let v: serde_json::Value = serde_json::from_str(credential_json).unwrap_or_default();
    let transports: Vec<String> = v.pointer("/cred/transports").and_then(|t| t.as_array()).map(|a| a.iter().filter_map(|t| t.as_str().map(String::from)).collect()).unwrap_or_default();
    let backup_eligible = v.pointer("/cred/backup_eligible").and_then(serde_json::Value::as_bool).unwrap_or(false);
    AuthenticatorKind::classify(&transports, backup_eligible)
}

/// The WebAuthn credentials on every account of a person, and the shared IDs each person uses, by
/// person id.
type HandBack = (BTreeMap<String, Vec<AuthenticatorView>>, BTreeMap<String, Vec<SharedUse>>);

/// `person_ids`: only these people's (`None`: everyone's).
fn hand_back(conn: &mut DbConnection, person_ids: Option<&[String]>) -> Result<HandBack, StoreError> {
    let due: BTreeSet<String> = super::returns::due_credentials(conn)?.into_iter().collect();
    let credentials = webauthn_credentials::table
        .inner_join(acc::table.on(acc::id.eq(webauthn_credentials::account_id)))
        .filter(acc::person_id.is_not_null())
        .order(webauthn_credentials::created_at.asc())
        .select((acc::person_id, webauthn_credentials::id, acc::id, acc::login_id, webauthn_credentials::name, webauthn_credentials::credential_json));
    let rows: Vec<(Option<String>, String, String, String, String, String)> = match person_ids {
        None => credentials.load(conn)?,
        Some(ids) => in_chunks(ids, |c| Ok(credentials.filter(acc::person_id.eq_any(c)).load(conn)?))?,
    };
    let mut keys: BTreeMap<String, Vec<AuthenticatorView>> = BTreeMap::new();
    for (person, id, account_id, login_id, label, json) in rows {
        let listed = due.contains(&id);
        keys.entry(person.expect("filtered")).or_default().push(AuthenticatorView { kind: authenticator_kind(&json), credential_id: id, account_id, login_id, label, listed });
    }
    let mut shared: BTreeMap<String, Vec<SharedUse>> = BTreeMap::new();
    for (person, account_id, login_id, permitted_by) in super::shared_ids::current_uses(conn)? {
        shared.entry(person).or_default().push(SharedUse { account_id, login_id, permitted_by });
    }
    Ok((keys, shared))
}

/// The people tobira holds from HR (everyone, or those of `scope`), with their account and grants in
/// force at `now`, the WebAuthn credentials on their accounts and the shared IDs they use.
pub fn load_known(conn: &mut DbConnection, now: i64, scope: Option<&Scope>) -> Result<Vec<Known>, StoreError> {
    let rows: Vec<Person> = match scope {
        None => people::table.select(Person::as_select()).load(conn)?,
        Some(s) => {
            let numbers: Vec<String> = s.employee_numbers.iter().cloned().collect();
            let keys: Vec<String> = s.directory_keys.iter().cloned().collect();
            let mut rows = in_chunks(&numbers, |c| Ok(people::table.filter(people::employee_number.eq_any(c)).select(Person::as_select()).load(conn)?))?;
            rows.extend(in_chunks(&keys, |c| Ok(people::table.filter(people::directory_key.eq_any(c)).select(Person::as_select()).load(conn)?))?);
            let mut seen = BTreeSet::new();
            rows.retain(|p| seen.insert(p.id.clone()));
            rows
        }
    };
    let person_ids: Vec<String> = rows.iter().map(|p| p.id.clone()).collect();
    let membership_rows: Vec<(String, String, String)> = match scope {
        None => person_departments::table.select((person_departments::person_id, person_departments::department_code, person_departments::membership)).load(conn)?,
        Some(_) => in_chunks(&person_ids, |c| {
            Ok(person_departments::table
                .filter(person_departments::person_id.eq_any(c))
                .select((person_departments::person_id, person_departments::department_code, person_departments::membership))
                .load(conn)?)
        })?,
    };
    let mut members: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (pid, code, m) in membership_rows {
        members.entry(pid).or_default().push((code, m));
    }
    let staff = acc::is_privileged.eq(false).and(acc::is_shared.eq(false));
    let accounts: Vec<Account> = match scope {
        None => acc::table.filter(acc::person_id.is_not_null()).filter(staff).select(Account::as_select()).load(conn)?,
        Some(_) => in_chunks(&person_ids, |c| Ok(acc::table.filter(acc::person_id.eq_any(c)).filter(staff).select(Account::as_select()).load(conn)?))?,
    };
    let in_force = grants::revoked_at.is_null().and(grants::valid_until.is_null().or(grants::valid_until.gt(now)));
    let held: Vec<Grant> = match scope {
        None => grants::table.filter(in_force).select(Grant::as_select()).load(conn)?,
        Some(_) => {
            let account_ids: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
            in_chunks(&account_ids, |c| Ok(grants::table.filter(grants::account_id.eq_any(c)).filter(in_force).select(Grant::as_select()).load(conn)?))?
        }
    };
    let mut by_person: BTreeMap<String, Account> = BTreeMap::new();
    for a in accounts {
        by_person.insert(a.person_id.clone().expect("filtered"), a);
    }
    let mut grants_by_account: BTreeMap<String, Vec<GrantView>> = BTreeMap::new();
    for g in held {
        let source = match g.source.as_str() {
            "birthright" => GrantSource::Birthright,
            "request" => GrantSource::Request,
            "elevation" => GrantSource::Elevation,
            "delegate" => GrantSource::Delegate,
            _ => GrantSource::Bootstrap,
        };
        grants_by_account.entry(g.account_id.clone()).or_default().push(GrantView { id: g.id, role_id: g.role_id, source, valid_until: g.valid_until });
    }
    let (mut keys, mut shared) = hand_back(conn, scope.map(|_| person_ids.as_slice()))?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let Some(person) = hr_person(row, members.get(&row.id).map(Vec::as_slice).unwrap_or(&[])) else { continue };
        let account = by_person.get(&row.id);
        out.push(Known {
            person,
            account: account.map(|a| AccountView { id: a.id.clone(), login_id: a.login_id.clone(), status: a.status().unwrap_or(AccountStatus::Disabled), status_reason: a.status_reason.clone() }),
            grants: account.and_then(|a| grants_by_account.remove(&a.id)).unwrap_or_default(),
            authenticators: keys.remove(&row.id).unwrap_or_default(),
            shared_ids: shared.remove(&row.id).unwrap_or_default(),
        });
    }
    Ok(out)
}

/// Active staff accounts of people (not privileged or shared IDs): the base of the removal percentage.
pub fn active_staff_accounts(conn: &mut DbConnection) -> Result<usize, StoreError> {
    let n: i64 = acc::table
        .filter(acc::person_id.is_not_null())
        .filter(acc::is_privileged.eq(false))
        .filter(acc::is_shared.eq(false))
        .filter(acc::status.eq(AccountStatus::Active.as_str()))
        .count()
        .get_result(conn)?;
    Ok(n as usize)
}

/// Every login ID in use.
pub fn login_ids(conn: &mut DbConnection) -> Result<BTreeSet<String>, StoreError> {
    Ok(acc::table.select(acc::login_id).load::<String>(conn)?.into_iter().collect())
}

/// Stores departments that are new or changed; one event each.
pub fn save_departments(conn: &mut DbConnection, depts: &[HrDepartment], now: i64, actor: &str) -> Result<Vec<AuditEvent>, StoreError> {
    let mut events = Vec::new();
    // Parents first, so the foreign key to the parent holds.
    let known: BTreeSet<&str> = depts.iter().map(|d| d.code.as_str()).collect();
    let mut pending: Vec<&HrDepartment> = depts.iter().collect();
    let mut done: BTreeSet<String> = BTreeSet::new();
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for d in pending {
            let parent = d.parent_code.clone().filter(|p| known.contains(p.as_str()) && p != &d.code);
            if parent.as_ref().is_some_and(|p| !done.contains(p)) {
                rest.push(d);
                continue;
            }
            let row = Department { code: d.code.clone(), name: d.name.clone(), name_kana: None, parent_code: parent, body: None, updated_at: now };
            let old = org::department(conn, &d.code)?;
            if old.as_ref().is_none_or(|o| (o.name.as_str(), o.parent_code.as_deref()) != (row.name.as_str(), row.parent_code.as_deref())) {
                org::upsert_department(conn, &row)?;
                events.push(AuditEvent::new(actor, "department.saved", format!("department:{}", d.code)).with_details(json!({ "name": d.name, "parent": row.parent_code, "new": old.is_none() })));
            }
            done.insert(d.code.clone());
        }
        if rest.len() == before {
            // A cycle of parents: store the rest without parents rather than loop.
            for d in &rest {
                org::upsert_department(conn, &Department { code: d.code.clone(), name: d.name.clone(), name_kana: None, parent_code: None, body: None, updated_at: now })?;
            }
            break;
        }
        pending = rest;
    }
    Ok(events)
}

/// What one run has already written, so each step does not ask the database again. Valid for one
/// run: a failed batch ends the run.
#[derive(Debug, Default)]
pub struct ApplyCache {
    departments: BTreeSet<String>,
    /// Every stored person's id by employee number, loaded once per run.
    person_ids: Option<BTreeMap<String, String>>,
}

impl ApplyCache {
    /// Departments known to exist (e.g. just saved).
    pub fn with_departments(codes: impl IntoIterator<Item = String>) -> ApplyCache {
        ApplyCache { departments: codes.into_iter().collect(), person_ids: None }
    }

    fn person_ids(&mut self, conn: &mut DbConnection) -> Result<&mut BTreeMap<String, String>, StoreError> {
        if self.person_ids.is_none() {
            let rows: Vec<(String, String)> = people::table.select((people::employee_number, people::id)).load(conn)?;
            self.person_ids = Some(rows.into_iter().collect());
        }
        Ok(self.person_ids.as_mut().expect("loaded"))
    }
}

/// New rows queued by [`apply_step`] and written together by [`flush`], in foreign-key order.
#[derive(Debug, Default)]
pub struct Pending {
    people: Vec<Person>,
    memberships: Vec<MembershipRow>,
    accounts: Vec<Account>,
    grants: Vec<Grant>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = person_departments)]
struct MembershipRow {
    person_id: String,
    department_code: String,
    membership: String,
}

/// Writes the queued rows. Call before the transaction commits.
pub fn flush(conn: &mut DbConnection, p: &mut Pending) -> Result<(), StoreError> {
    super::insert_chunks!(conn, people::table, std::mem::take(&mut p.people));
    super::insert_chunks!(conn, person_departments::table, std::mem::take(&mut p.memberships));
    super::insert_chunks!(conn, acc::table, std::mem::take(&mut p.accounts));
    super::insert_chunks!(conn, grants::table, std::mem::take(&mut p.grants));
    Ok(())
}

/// Applies `steps` and flushes; returns their audit events.
pub fn apply_steps(conn: &mut DbConnection, cache: &mut ApplyCache, steps: &[Step], run_id: &str, now: i64, actor: &str) -> Result<Vec<AuditEvent>, StoreError> {
    let mut pending = Pending::default();
    let mut events = Vec::with_capacity(steps.len());
    for step in steps {
        events.extend(apply_step(conn, cache, &mut pending, step, run_id, now, actor)?);
    }
    flush(conn, &mut pending)?;
    Ok(events)
}

fn ensure_department(conn: &mut DbConnection, cache: &mut ApplyCache, code: &str, name: Option<&str>, now: i64) -> Result<(), StoreError> {
    if cache.departments.contains(code) {
        return Ok(());
    }
    if org::department(conn, code)?.is_none() {
        org::upsert_department(conn, &Department { code: code.into(), name: name.unwrap_or(code).into(), name_kana: None, parent_code: None, body: None, updated_at: now })?;
    }
    cache.departments.insert(code.into());
    Ok(())
}

fn person_id(conn: &mut DbConnection, cache: &mut ApplyCache, employee_number: &str) -> Result<Option<String>, StoreError> {
    Ok(cache.person_ids(conn)?.get(employee_number).cloned())
}

fn end_sessions(conn: &mut DbConnection, account_id: &str, reason: &str, now: i64) -> Result<usize, StoreError> {
    Ok(diesel::update(sessions::table.filter(sessions::account_id.eq(account_id)).filter(sessions::revoked_at.is_null()))
        .set((sessions::revoked_at.eq(now), sessions::revoked_reason.eq(reason)))
        .execute(conn)?)
}

/// The status reason of a privileged account stopped with its person's staff account.
const LINKED_REASON_PREFIX: &str = "hr-linked:";

/// The person's other accounts that are privileged IDs (`p-…`), which follow the staff account: a
/// leaver's are disabled with their eligibility and grants revoked, a person on leave's suspended
/// and, on return, re-enabled (R-LC-03, R-PR-01). Returns their logins.
fn follow_linked(conn: &mut DbConnection, account_id: &str, to: AccountStatus, reason: &str, delete_after: Option<i64>, now: i64) -> Result<Vec<String>, StoreError> {
    let Some(person) = acc::table.find(account_id).select(acc::person_id).first::<Option<String>>(conn).optional()?.flatten() else { return Ok(Vec::new()) };
    let linked: Vec<Account> = acc::table.filter(acc::person_id.eq(&person)).filter(acc::id.ne(account_id)).filter(acc::is_privileged.eq(true)).select(Account::as_select()).load(conn)?;
    let linked_reason = format!("{LINKED_REASON_PREFIX}{reason}");
    let mut changed = Vec::new();
    for a in linked {
        let applies = match to {
            AccountStatus::Disabled => matches!(a.status(), Some(AccountStatus::Active | AccountStatus::Suspended)),
            AccountStatus::Suspended => a.status() == Some(AccountStatus::Active),
            // Only what the sync itself suspended comes back; an officer's suspension stays.
            AccountStatus::Active => a.status() == Some(AccountStatus::Suspended) && a.status_reason.as_deref().is_some_and(|r| r.starts_with(LINKED_REASON_PREFIX)),
            AccountStatus::Deleted => false,
        };
        if !applies {
            continue;
        }
        accounts::set_status(conn, &a.id, to, &linked_reason, now)?;
        if to != AccountStatus::Active {
            end_sessions(conn, &a.id, &linked_reason, now)?;
        }
        if to == AccountStatus::Disabled {
            diesel::update(acc::table.find(&a.id)).set(acc::deletion_due_at.eq(delete_after)).execute(conn)?;
            diesel::update(grants::table.filter(grants::account_id.eq(&a.id)).filter(grants::revoked_at.is_null()))
                .set((grants::revoked_at.eq(now), grants::revoked_reason.eq(&linked_reason)))
                .execute(conn)?;
            use super::schema::privileged_eligibility as pe;
            diesel::update(pe::table.filter(pe::account_id.eq(&a.id)).filter(pe::revoked_at.is_null())).set((pe::revoked_at.eq(now), pe::revoked_by.eq("system:hr-sync"))).execute(conn)?;
        }
        changed.push(a.login_id);
    }
    Ok(changed)
}

/// Applies one step; new rows go to `pending` (see [`flush`]). Returns the step's audit event, or
/// `None` when there was nothing left to do.
fn apply_step(conn: &mut DbConnection, cache: &mut ApplyCache, pending: &mut Pending, step: &Step, run_id: &str, now: i64, actor: &str) -> Result<Option<AuditEvent>, StoreError> {
    let reason = format!("{HR_REASON_PREFIX}{}", step.reason.code());
    let details = |extra: serde_json::Value| {
        let mut d = json!({ "run": run_id, "reason": step.reason.code(), "reason_ja": step.reason.ja() });
        if let (Some(d), serde_json::Value::Object(e)) = (d.as_object_mut(), extra) {
            d.extend(e);
        }
        d
    };
    let event = match &step.action {
        Action::SavePerson { person } => {
            ensure_department(conn, cache, &person.department_code, person.department_name.as_deref(), now)?;
            for c in &person.concurrent {
                ensure_department(conn, cache, c, None, now)?;
            }
            match person_id(conn, cache, &person.employee_number)? {
                Some(id) => {
                    org::upsert_person(conn, &person_row(id.clone(), person, now))?;
                    org::set_memberships(conn, &id, &person.department_code, &person.concurrent)?;
                }
                None => {
                    let id = super::new_id();
                    pending.people.push(person_row(id.clone(), person, now));
                    let others = person.concurrent.iter().filter(|c| **c != person.department_code).map(|c| (c, Membership::Concurrent));
                    for (code, kind) in std::iter::once((&person.department_code, Membership::Primary)).chain(others) {
                        pending.memberships.push(MembershipRow { person_id: id.clone(), department_code: code.clone(), membership: kind.as_str().into() });
                    }
                    cache.person_ids(conn)?.insert(person.employee_number.clone(), id);
                }
            }
            AuditEvent::new(actor, "person.saved", format!("person:{}", person.employee_number)).with_details(details(
                json!({ "department": person.department_code, "concurrent": person.concurrent, "status": person.status.as_str(), "employment_type": person.employment_type.as_str() }),
            ))
        }
        Action::CreateAccount { employee_number, login_id, grants: roles, external } => {
            let pid = person_id(conn, cache, employee_number)?.ok_or_else(|| StoreError::Integrity(format!("person {employee_number} is not stored")))?;
            let mut a = Account::new(super::new_id(), login_id.clone(), Some(pid), now);
            a.must_change_password = true;
            a.is_vendor = *external;
            for (role, until) in roles {
                let mut g = Grant::new(&a.id, role, GrantSource::Birthright, now);
                g.valid_until = *until;
                g.reason = Some(reason.clone());
                pending.grants.push(g);
            }
            pending.accounts.push(a);
            AuditEvent::new(actor, "account.created", format!("account:{login_id}"))
                .with_details(details(json!({ "employee_number": employee_number, "vendor": external, "roles": roles.iter().map(|r| &r.0).collect::<Vec<_>>() })))
        }
        Action::Reenable { account_id, login_id, .. } => {
            accounts::set_status(conn, account_id, AccountStatus::Active, &reason, now)?;
            diesel::update(acc::table.find(account_id)).set(acc::deletion_due_at.eq(None::<i64>)).execute(conn)?;
            let linked = follow_linked(conn, account_id, AccountStatus::Active, &reason, None, now)?;
            AuditEvent::new(actor, "account.reenabled", format!("account:{login_id}")).with_details(details(json!({ "linked_privileged": linked })))
        }
        Action::Suspend { account_id, login_id, .. } => {
            accounts::set_status(conn, account_id, AccountStatus::Suspended, &reason, now)?;
            let ended = end_sessions(conn, account_id, &reason, now)?;
            let linked = follow_linked(conn, account_id, AccountStatus::Suspended, &reason, None, now)?;
            AuditEvent::new(actor, "account.suspended", format!("account:{login_id}")).with_details(details(json!({ "sessions_ended": ended, "linked_privileged": linked })))
        }
        Action::Disable { account_id, login_id, delete_after, .. } => {
            accounts::set_status(conn, account_id, AccountStatus::Disabled, &reason, now)?;
            diesel::update(acc::table.find(account_id)).set(acc::deletion_due_at.eq(Some(*delete_after))).execute(conn)?;
            let ended = end_sessions(conn, account_id, &reason, now)?;
            let linked = follow_linked(conn, account_id, AccountStatus::Disabled, &reason, Some(*delete_after), now)?;
            AuditEvent::new(actor, "account.disabled", format!("account:{login_id}"))
                .with_details(details(json!({ "sessions_ended": ended, "deletion_due_at": delete_after, "linked_privileged": linked })))
        }
        Action::Grant { account_id, role_id, valid_until, employee_number } => {
            let mut g = Grant::new(account_id, role_id, GrantSource::Birthright, now);
            g.valid_until = *valid_until;
            g.reason = Some(reason.clone());
            accounts::insert_grant(conn, &g)?;
            AuditEvent::new(actor, "grant.added", format!("person:{employee_number}")).with_details(details(json!({ "role": role_id, "grant_id": g.id, "valid_until": valid_until })))
        }
        Action::Revoke { grant_id, role_id, at, employee_number, .. } => {
            let changed = if *at <= now {
                accounts::revoke_grant(conn, grant_id, &reason, now)?
            } else {
                diesel::update(grants::table.find(grant_id).filter(grants::revoked_at.is_null())).set(grants::valid_until.eq(Some(*at))).execute(conn)? == 1
            };
            if !changed {
                return Ok(None);
            }
            AuditEvent::new(actor, "grant.revoked", format!("person:{employee_number}")).with_details(details(json!({ "role": role_id, "grant_id": grant_id, "effective_at": at })))
        }
        Action::FlagForReview { grant_id, role_id, employee_number } => {
            diesel::update(grants::table.find(grant_id)).set(grants::review_flag.eq(Some(reason.clone()))).execute(conn)?;
            AuditEvent::new(actor, "grant.flagged_for_review", format!("person:{employee_number}")).with_details(details(json!({ "role": role_id, "grant_id": grant_id })))
        }
        Action::ListForReturn { employee_number, account_id, login_id, credential_id, authenticator, label } => {
            let exists: i64 = webauthn_credentials::table.find(credential_id).count().get_result(conn)?;
            if exists == 0 || super::returns::is_due(conn, credential_id)? {
                return Ok(None); // removed meanwhile, or listed already
            }
            let row = super::returns::AuthenticatorReturn {
                id: super::new_id(),
                account_id: account_id.clone(),
                employee_number: employee_number.clone(),
                credential_id: Some(credential_id.clone()),
                kind: authenticator.as_str().into(),
                label: label.clone(),
                listed_at: now,
                listed_reason: step.reason.code().into(),
                sync_run_id: run_id.into(),
                status: "due".into(),
                recorded_by: None,
                recorded_at: None,
                note: None,
            };
            super::returns::insert(conn, &row)?;
            AuditEvent::new(actor, "authenticator.return_due", format!("account:{login_id}"))
                .with_details(details(json!({ "return": row.id, "employee_number": employee_number, "credential": credential_id, "kind": row.kind, "label": label })))
        }
        Action::SharedPasswordDue { employee_number, account_id, login_id, .. } => {
            let Some(pid) = person_id(conn, cache, employee_number)? else { return Ok(None) };
            let Some(permitted_by) = super::shared_ids::remove(conn, account_id, &pid, actor, &reason, now)? else { return Ok(None) };
            // As R-AU-07's expiry: the next sign-in must change the password first.
            let expired = diesel::update(password_credentials::table.find(account_id).filter(password_credentials::expires_at.is_null().or(password_credentials::expires_at.gt(now))))
                .set(password_credentials::expires_at.eq(Some(now)))
                .execute(conn)?
                == 1;
            let subject = format!("【共用ID】{login_id} のパスワード変更が必要です / shared ID password change due");
            let body = format!(
                "共用ID {login_id} の利用者（職員番号 {employee_number}）が{}のため利用者から外れました。次回サインイン時にパスワードの変更が必要です。\nA user of the shared ID {login_id} ({employee_number}) moved on ({}); its password must be changed at the next sign-in.",
                step.reason.ja(),
                step.reason.code()
            );
            let note =
                super::privileged::Notification { id: super::new_id(), recipient: permitted_by.clone(), kind: "shared_id.password_change_due".into(), subject, body, created_at: now, sent_at: None };
            super::notifications::queue(conn, vec![note])?;
            AuditEvent::new(actor, "shared_id.password_change_due", format!("account:{login_id}"))
                .with_details(details(json!({ "employee_number": employee_number, "permitted_by": permitted_by, "password_expired": expired, "notified": [permitted_by] })))
        }
    };
    Ok(Some(event))
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = sync_runs)]
pub struct SyncRun {
    pub id: String,
    pub created_at: i64,
    pub source: String,
    pub status: String,
    pub hold_reason: Option<String>,
    pub requested_by: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub plan_json: String,
}

pub fn insert_run(conn: &mut DbConnection, r: &SyncRun) -> Result<(), StoreError> {
    diesel::insert_into(sync_runs::table).values(r).execute(conn)?;
    Ok(())
}

pub fn run(conn: &mut DbConnection, id: &str) -> Result<Option<SyncRun>, StoreError> {
    Ok(sync_runs::table.find(id).select(SyncRun::as_select()).first(conn).optional()?)
}

/// Moves a held run to `status`; false when it is no longer held.
pub fn decide_run(conn: &mut DbConnection, id: &str, status: &str, by: &str, now: i64) -> Result<bool, StoreError> {
    let n = diesel::update(sync_runs::table.find(id).filter(sync_runs::status.eq("held")))
        .set((sync_runs::status.eq(status), sync_runs::decided_by.eq(by), sync_runs::decided_at.eq(now)))
        .execute(conn)?;
    Ok(n == 1)
}

/// A stored job value (e.g. the high-water mark), if any.
pub fn state(conn: &mut DbConnection, name: &str) -> Result<Option<String>, StoreError> {
    Ok(sync_state::table.find(name).select(sync_state::value).first(conn).optional()?)
}

/// Stores a job value.
pub fn set_state(conn: &mut DbConnection, name: &str, value: &str, now: i64) -> Result<(), StoreError> {
    let n = diesel::update(sync_state::table.find(name)).set((sync_state::value.eq(value), sync_state::updated_at.eq(now))).execute(conn)?;
    if n == 0 {
        diesel::insert_into(sync_state::table).values((sync_state::name.eq(name), sync_state::value.eq(value), sync_state::updated_at.eq(now))).execute(conn)?;
    }
    Ok(())
}
