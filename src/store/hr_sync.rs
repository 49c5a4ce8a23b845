//! What the HR sync writes to the database: departments, and one step of a plan at a time (people,
//! accounts, grants, authenticator returns, shared IDs). What tobira holds before planning is read by
//! [`super::hr_known`]; held runs and job values live in [`super::sync_runs`].
//!
//! Invariant: applying a step writes its rows and returns the audit event that describes it (built by
//! the domain from what was done: `lifecycle::applied`); the caller appends the events in the same
//! transaction.

use super::accounts::{self, Account, Grant};
use super::org::{self, Person};
use super::schema::{accounts as acc, grants, people, person_departments, webauthn_credentials};
use super::{DbConnection, StoreError};
use diesel::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use tobira_domain::audit::AuditEvent;
use tobira_domain::hr::HrPerson;
use tobira_domain::lifecycle::applied::{self, Applied};
use tobira_domain::lifecycle::{Action, Step, HR_REASON_PREFIX};
use tobira_domain::org::Membership;
use tobira_domain::rbac::{AccountStatus, GrantSource};

mod departments;
mod linked;

use departments::ensure_department;
pub use departments::save_departments;
use linked::{end_sessions, follow_linked};

fn date_str(d: Option<time::Date>) -> Option<String> {
    d.map(|d| d.to_string())
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
        let ids = match self.person_ids.take() {
            Some(ids) => ids,
            None => people::table
                .select((people::employee_number, people::id))
                .load::<(String, String)>(conn)?
                .into_iter()
                .collect(),
        };
        Ok(self.person_ids.insert(ids))
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
    // Each new person with the search key of their name, so the console finds a joiner at once.
    let people: Vec<_> = std::mem::take(&mut p.people)
        .into_iter()
        .map(|row| {
            let key = org::search_key(&row);
            (row, people::search_key.eq(key))
        })
        .collect();
    super::insert_chunks!(conn, people::table, people);
    super::insert_chunks!(conn, person_departments::table, std::mem::take(&mut p.memberships));
    super::insert_chunks!(conn, acc::table, std::mem::take(&mut p.accounts));
    super::insert_chunks!(conn, grants::table, std::mem::take(&mut p.grants));
    Ok(())
}

/// Applies `steps` and flushes; returns their audit events.
pub fn apply_steps(
    conn: &mut DbConnection,
    cache: &mut ApplyCache,
    steps: &[Step],
    run_id: &str,
    now: i64,
    actor: &str,
) -> Result<Vec<AuditEvent>, StoreError> {
    let mut pending = Pending::default();
    let mut events = Vec::with_capacity(steps.len());
    for step in steps {
        events.extend(apply_step(conn, cache, &mut pending, step, run_id, now, actor)?);
    }
    flush(conn, &mut pending)?;
    Ok(events)
}

fn person_id(
    conn: &mut DbConnection,
    cache: &mut ApplyCache,
    employee_number: &str,
) -> Result<Option<String>, StoreError> {
    Ok(cache.person_ids(conn)?.get(employee_number).cloned())
}

/// Applies one step; new rows go to `pending` (see [`flush`]). Returns the step's audit event, or
/// `None` when there was nothing left to do.
fn apply_step(
    conn: &mut DbConnection,
    cache: &mut ApplyCache,
    pending: &mut Pending,
    step: &Step,
    run_id: &str,
    now: i64,
    actor: &str,
) -> Result<Option<AuditEvent>, StoreError> {
    Ok(write_step(conn, cache, pending, step, run_id, now, actor)?
        .map(|done| applied::step_event(step, &done, run_id, actor)))
}

/// Writes one step's rows; returns what was done, or `None` when there was nothing left to do.
fn write_step(
    conn: &mut DbConnection,
    cache: &mut ApplyCache,
    pending: &mut Pending,
    step: &Step,
    run_id: &str,
    now: i64,
    actor: &str,
) -> Result<Option<Applied>, StoreError> {
    let reason = format!("{HR_REASON_PREFIX}{}", step.reason.code());
    let done = match &step.action {
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
                    let others = person
                        .concurrent
                        .iter()
                        .filter(|c| **c != person.department_code)
                        .map(|c| (c, Membership::Concurrent));
                    for (code, kind) in std::iter::once((&person.department_code, Membership::Primary)).chain(others) {
                        pending.memberships.push(MembershipRow {
                            person_id: id.clone(),
                            department_code: code.clone(),
                            membership: kind.as_str().into(),
                        });
                    }
                    cache.person_ids(conn)?.insert(person.employee_number.clone(), id);
                }
            }
            Applied::Done
        }
        Action::CreateAccount { employee_number, login_id, grants: roles, external } => {
            let pid = person_id(conn, cache, employee_number)?
                .ok_or_else(|| StoreError::Integrity(format!("person {employee_number} is not stored")))?;
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
            Applied::Done
        }
        Action::Reenable { account_id, .. } => {
            accounts::set_status(conn, account_id, AccountStatus::Active, &reason, now)?;
            diesel::update(acc::table.find(account_id)).set(acc::deletion_due_at.eq(None::<i64>)).execute(conn)?;
            Applied::Status {
                sessions_ended: 0,
                linked: follow_linked(conn, account_id, AccountStatus::Active, &reason, None, now)?,
            }
        }
        Action::Suspend { account_id, .. } => {
            accounts::set_status(conn, account_id, AccountStatus::Suspended, &reason, now)?;
            let sessions_ended = end_sessions(conn, account_id, &reason, now)?;
            Applied::Status {
                sessions_ended,
                linked: follow_linked(conn, account_id, AccountStatus::Suspended, &reason, None, now)?,
            }
        }
        Action::Disable { account_id, delete_after, .. } => {
            accounts::set_status(conn, account_id, AccountStatus::Disabled, &reason, now)?;
            diesel::update(acc::table.find(account_id))
                .set(acc::deletion_due_at.eq(Some(*delete_after)))
                .execute(conn)?;
            let sessions_ended = end_sessions(conn, account_id, &reason, now)?;
            Applied::Status {
                sessions_ended,
                linked: follow_linked(conn, account_id, AccountStatus::Disabled, &reason, Some(*delete_after), now)?,
            }
        }
        Action::Grant { account_id, role_id, valid_until, .. } => {
            let mut g = Grant::new(account_id, role_id, GrantSource::Birthright, now);
            g.valid_until = *valid_until;
            g.reason = Some(reason.clone());
            accounts::insert_grant(conn, &g)?;
            Applied::Granted { grant_id: g.id }
        }
        Action::Revoke { grant_id, at, .. } => {
            let changed = if *at <= now {
                accounts::revoke_grant(conn, grant_id, &reason, now)?
            } else {
                diesel::update(grants::table.find(grant_id).filter(grants::revoked_at.is_null()))
                    .set(grants::valid_until.eq(Some(*at)))
                    .execute(conn)?
                    == 1
            };
            if !changed {
                return Ok(None);
            }
            Applied::Done
        }
        Action::FlagForReview { grant_id, .. } => {
            diesel::update(grants::table.find(grant_id))
                .set(grants::review_flag.eq(Some(reason.clone())))
                .execute(conn)?;
            Applied::Done
        }
        Action::ListForReturn { employee_number, account_id, credential_id, authenticator, label, .. } => {
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
            Applied::Listed { return_id: row.id, kind: row.kind }
        }
        Action::SharedPasswordDue { employee_number, account_id, login_id, .. } => {
            let Some(pid) = person_id(conn, cache, employee_number)? else { return Ok(None) };
            let Some(permitted_by) = super::shared_ids::remove(conn, account_id, &pid, actor, &reason, now)? else {
                return Ok(None);
            };
            let password_expired = super::accounts::expire_password(conn, account_id, now)?;
            let (subject, body) = applied::shared_password_notice(step, login_id, employee_number);
            let note = super::privileged::Notification {
                id: super::new_id(),
                recipient: permitted_by.clone(),
                kind: "shared_id.password_change_due".into(),
                subject,
                body,
                created_at: now,
                sent_at: None,
            };
            super::notifications::queue(conn, vec![note])?;
            Applied::SharedDue { permitted_by, password_expired }
        }
    };
    Ok(Some(done))
}
