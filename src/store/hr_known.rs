//! What the HR sync knows before it plans: the people, staff accounts and grants tobira holds (all,
//! or those a partial read concerns), what each person has to hand back, and the login IDs in use.

use super::accounts::{Account, Grant};
use super::org::Person;
use super::schema::{accounts as acc, grants, people, person_departments, webauthn_credentials};
use super::{DbConnection, StoreError};
use diesel::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use tobira_domain::hr::HrPerson;
use tobira_domain::lifecycle::handback::{AuthenticatorKind, AuthenticatorView, SharedUse};
use tobira_domain::lifecycle::{AccountView, GrantView, Known};
use tobira_domain::org::{EmploymentType, Membership, PersonStatus};
use tobira_domain::rbac::{AccountStatus, GrantSource};

fn parse_date(s: &Option<String>) -> Option<time::Date> {
    s.as_deref().and_then(tobira_domain::time_util::parse_iso_date)
}

/// A stored person as HR data; memberships give the departments. `None` for rows tobira cannot read.
fn hr_person(row: &Person, memberships: &[(String, String)]) -> Option<HrPerson> {
    let primary = memberships.iter().find(|(_, m)| m == Membership::Primary.as_str())?.0.clone();
    let mut concurrent: Vec<String> =
        memberships.iter().filter(|(_, m)| m == Membership::Concurrent.as_str()).map(|(c, _)| c.clone()).collect();
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
fn in_chunks<T>(
    values: &[String],
    mut q: impl FnMut(&[String]) -> Result<Vec<T>, StoreError>,
) -> Result<Vec<T>, StoreError> {
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
    let transports: Vec<String> = v
        .pointer("/cred/transports")
        .and_then(|t| t.as_array())
        .map(|a| a.iter().filter_map(|t| t.as_str().map(String::from)).collect())
        .unwrap_or_default();
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
        .select((
            acc::person_id,
            webauthn_credentials::id,
            acc::id,
            acc::login_id,
            webauthn_credentials::name,
            webauthn_credentials::credential_json,
        ));
    let rows: Vec<(Option<String>, String, String, String, String, String)> = match person_ids {
        None => credentials.load(conn)?,
        Some(ids) => in_chunks(ids, |c| Ok(credentials.filter(acc::person_id.eq_any(c)).load(conn)?))?,
    };
    let mut keys: BTreeMap<String, Vec<AuthenticatorView>> = BTreeMap::new();
    for (person, id, account_id, login_id, label, json) in rows {
        let Some(person) = person else { continue }; // the query keeps only accounts of people
        let listed = due.contains(&id);
        keys.entry(person).or_default().push(AuthenticatorView {
            kind: authenticator_kind(&json),
            credential_id: id,
            account_id,
            login_id,
            label,
            listed,
        });
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
            let mut rows = in_chunks(&numbers, |c| {
                Ok(people::table.filter(people::employee_number.eq_any(c)).select(Person::as_select()).load(conn)?)
            })?;
            rows.extend(in_chunks(&keys, |c| {
                Ok(people::table.filter(people::directory_key.eq_any(c)).select(Person::as_select()).load(conn)?)
            })?);
            let mut seen = BTreeSet::new();
            rows.retain(|p| seen.insert(p.id.clone()));
            rows
        }
    };
    let person_ids: Vec<String> = rows.iter().map(|p| p.id.clone()).collect();
    let membership_rows: Vec<(String, String, String)> = match scope {
        None => person_departments::table
            .select((
                person_departments::person_id,
                person_departments::department_code,
                person_departments::membership,
            ))
            .load(conn)?,
        Some(_) => in_chunks(&person_ids, |c| {
            Ok(person_departments::table
                .filter(person_departments::person_id.eq_any(c))
                .select((
                    person_departments::person_id,
                    person_departments::department_code,
                    person_departments::membership,
                ))
                .load(conn)?)
        })?,
    };
    let mut members: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (pid, code, m) in membership_rows {
        members.entry(pid).or_default().push((code, m));
    }
    let staff = acc::is_privileged.eq(false).and(acc::is_shared.eq(false));
    let accounts: Vec<Account> = match scope {
        None => {
            acc::table.filter(acc::person_id.is_not_null()).filter(staff).select(Account::as_select()).load(conn)?
        }
        Some(_) => in_chunks(&person_ids, |c| {
            Ok(acc::table.filter(acc::person_id.eq_any(c)).filter(staff).select(Account::as_select()).load(conn)?)
        })?,
    };
    let in_force = grants::revoked_at.is_null().and(grants::valid_until.is_null().or(grants::valid_until.gt(now)));
    let held: Vec<Grant> = match scope {
        None => grants::table.filter(in_force).select(Grant::as_select()).load(conn)?,
        Some(_) => {
            let account_ids: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
            in_chunks(&account_ids, |c| {
                Ok(grants::table
                    .filter(grants::account_id.eq_any(c))
                    .filter(in_force)
                    .select(Grant::as_select())
                    .load(conn)?)
            })?
        }
    };
    let mut by_person: BTreeMap<String, Account> = BTreeMap::new();
    for a in accounts {
        if let Some(person) = a.person_id.clone() {
            by_person.insert(person, a);
        }
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
        grants_by_account.entry(g.account_id.clone()).or_default().push(GrantView {
            id: g.id,
            role_id: g.role_id,
            source,
            valid_until: g.valid_until,
        });
    }
    let (mut keys, mut shared) = hand_back(conn, scope.map(|_| person_ids.as_slice()))?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let Some(person) = hr_person(row, members.get(&row.id).map(Vec::as_slice).unwrap_or(&[])) else { continue };
        let account = by_person.get(&row.id);
        out.push(Known {
            person,
            account: account.map(|a| AccountView {
                id: a.id.clone(),
                login_id: a.login_id.clone(),
                status: a.status().unwrap_or(AccountStatus::Disabled),
                status_reason: a.status_reason.clone(),
            }),
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
