//! What tobira knows of a person who approves, nominates or grants: officer functions held through
//! the account acting (a function on a person's privileged ID is exercised only from that account,
//! R-PR-01), 所属長 where HR makes them head (their primary post's department, not a concurrent
//! post), vendor or staff, and authority held through delegations in force (R-PR-03, R-AC-09). The
//! domain's `approval` module decides with these facts.

use super::AppError;
use crate::store::{self, accounts::Account, org::Person, schema::accounts, DbConnection};
use diesel::prelude::*;
use tobira_domain::approval::{ApproverFacts, Principal};
use tobira_domain::policy::{OfficerFunction, Policy};

/// A delegation's principal as stored (`officer:<function>` / `system_owner:<system>`).
pub fn principal_key(p: &Principal) -> String {
    match p {
        Principal::Officer(f) => format!("officer:{}", f.as_str()),
        Principal::SystemOwner(s) => format!("system_owner:{s}"),
    }
}

pub fn parse_principal(policy: &Policy, key: &str) -> Option<Principal> {
    match key.split_once(':')? {
        ("officer", f) => policy.officers.keys().find(|o| o.as_str() == f).map(|o| Principal::Officer(*o)),
        ("system_owner", s) => policy.system(s).map(|_| Principal::SystemOwner(s.to_string())),
        _ => None,
    }
}

fn functions_of(
    c: &mut DbConnection,
    policy: &Policy,
    account_ids: &[String],
    now: i64,
) -> Result<Vec<OfficerFunction>, AppError> {
    let mut roles = Vec::new();
    for id in account_ids {
        roles.extend(store::accounts::grants_in_force(c, id, now)?.into_iter().map(|g| g.role_id));
    }
    Ok(functions_of_roles(policy, &roles))
}

/// The officer functions that `roles` (role ids in force) confer.
fn functions_of_roles(policy: &Policy, roles: &[String]) -> Vec<OfficerFunction> {
    let mut functions: Vec<OfficerFunction> =
        policy.officers.iter().filter(|(_, o)| roles.iter().any(|r| o.role.get_ref() == r)).map(|(f, _)| *f).collect();
    functions.sort();
    functions.dedup();
    functions
}

/// Where a person's officer functions come from: the grants in force of their active accounts (or
/// only of the one acting), or the roles of the acting account already read with its session.
enum Source<'a> {
    Grants(Option<&'a str>),
    Held(&'a str, &'a [String]),
}

/// The facts of the person with `employee_number`, with the officer functions of all their active
/// accounts (for a person named in a request, not signed in; one signed in is [`of_account`]).
pub fn of_person(
    c: &mut DbConnection,
    policy: &Policy,
    employee_number: &str,
    now: i64,
) -> Result<ApproverFacts, AppError> {
    let Some(person) = store::org::person_by_employee_number(c, employee_number)? else {
        return Err(AppError::invalid(
            "unknown_employee_number",
            format!("職員番号 {employee_number} の職員がいません"),
            format!("no person with employee number {employee_number}"),
        ));
    };
    facts(c, policy, person, Source::Grants(None), now)
}

fn facts(
    c: &mut DbConnection,
    policy: &Policy,
    person: Person,
    source: Source,
    now: i64,
) -> Result<ApproverFacts, AppError> {
    // Authority comes through accounts that may be used now: a suspended officer account confers none.
    let accts: Vec<(String, bool)> = accounts::table
        .filter(accounts::person_id.eq(&person.id))
        .filter(accounts::status.eq("active"))
        .select((accounts::id, accounts::is_vendor))
        .load(c)?;
    let active = |id: &str| accts.iter().any(|(a, _)| a == id);
    let functions = match source {
        Source::Grants(acting) => {
            let ids: Vec<String> =
                accts.iter().map(|(id, _)| id.clone()).filter(|id| acting.is_none_or(|a| a == id)).collect();
            functions_of(c, policy, &ids, now)?
        }
        Source::Held(acting, roles) if active(acting) => functions_of_roles(policy, roles),
        Source::Held(..) => Vec::new(),
    };
    let acting_for = store::privileged::delegations_in_force(c, &person.employee_number, now)?
        .iter()
        .filter_map(|d| parse_principal(policy, &d.principal))
        .collect();
    let primary = tobira_domain::org::Membership::Primary.as_str();
    let headed = if person.is_head_of_section {
        store::org::memberships(c, &person.id)?
            .into_iter()
            .filter(|(_, m)| m == primary)
            .map(|(code, _)| code)
            .collect()
    } else {
        Vec::new()
    };
    Ok(ApproverFacts {
        is_vendor: person.employment_type == "vendor" || accts.iter().any(|(_, v)| *v),
        employee_number: person.employee_number,
        headed,
        functions,
        acting_for,
    })
}

/// The facts of whoever signed in with `account`: officer functions only from this account, so a
/// function held by a person's privileged ID is not exercised from their staff session (R-PR-01).
/// An account with no person (the bootstrap officer) stands for itself, under a key no employee
/// number can equal.
pub fn of_account(
    c: &mut DbConnection,
    policy: &Policy,
    account: &Account,
    now: i64,
) -> Result<ApproverFacts, AppError> {
    of_signed_in(c, policy, account, Source::Grants(Some(&account.id)), now)
}

/// [`of_account`] for a session whose roles in force were read with it (`Current::roles`): the same
/// facts without reading the grants again.
pub fn of_session(
    c: &mut DbConnection,
    policy: &Policy,
    account: &Account,
    roles: &[String],
    now: i64,
) -> Result<ApproverFacts, AppError> {
    of_signed_in(c, policy, account, Source::Held(&account.id, roles), now)
}

fn of_signed_in(
    c: &mut DbConnection,
    policy: &Policy,
    account: &Account,
    source: Source,
    now: i64,
) -> Result<ApproverFacts, AppError> {
    let person = match &account.person_id {
        Some(id) => store::org::person_by_id(c, id)?,
        None => None,
    };
    if let Some(person) = person {
        return facts(c, policy, person, source, now);
    }
    let functions = match source {
        Source::Grants(_) => functions_of(c, policy, std::slice::from_ref(&account.id), now)?,
        Source::Held(_, roles) => functions_of_roles(policy, roles),
    };
    Ok(ApproverFacts {
        employee_number: format!("account:{}", account.id),
        functions,
        is_vendor: account.is_vendor,
        ..Default::default()
    })
}

/// The facts behind a recorded key: an employee number, or `account:<id>` for an account with no
/// person (as [`of_account`] names it).
pub fn of_key(c: &mut DbConnection, policy: &Policy, key: &str, now: i64) -> Result<ApproverFacts, AppError> {
    match key.strip_prefix("account:") {
        Some(id) => {
            let a = store::accounts::by_id(c, id)?.ok_or_else(|| AppError::no_account(id))?;
            of_account(c, policy, &a, now)
        }
        None => of_person(c, policy, key, now),
    }
}

/// Who holds any of `functions` now: employee numbers, or `account:<login>` for an account with no
/// person (the bootstrap officer).
pub fn holders_of(
    c: &mut DbConnection,
    policy: &Policy,
    functions: &[OfficerFunction],
    now: i64,
) -> Result<Vec<String>, AppError> {
    use crate::store::schema::grants;
    let roles: Vec<&str> = functions.iter().filter_map(|f| policy.officer_role(*f)).collect();
    let rows: Vec<(String, String, Option<String>)> = grants::table
        .inner_join(accounts::table.on(accounts::id.eq(grants::account_id)))
        .filter(grants::role_id.eq_any(&roles))
        .filter(grants::revoked_at.is_null())
        .filter(grants::valid_from.le(now))
        .filter(grants::valid_until.is_null().or(grants::valid_until.gt(now)))
        .filter(accounts::status.eq("active"))
        .select((accounts::id, accounts::login_id, accounts::person_id))
        .load(c)?;
    let mut out = Vec::new();
    for (id, login, person) in rows {
        out.push(match person {
            Some(_) => store::privileged::employee_number_of(c, &id)?.unwrap_or(format!("account:{login}")),
            None => format!("account:{login}"),
        });
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Queues one notification per recipient (the outbox a mailer delivers from).
pub fn notify(
    c: &mut DbConnection,
    to: &[String],
    kind: &str,
    subject: &str,
    body: &str,
    now: i64,
) -> Result<(), AppError> {
    let rows: Vec<store::privileged::Notification> = to
        .iter()
        .map(|r| store::privileged::Notification {
            id: store::new_id(),
            recipient: r.clone(),
            kind: kind.into(),
            subject: subject.into(),
            body: body.into(),
            created_at: now,
            sent_at: None,
        })
        .collect();
    Ok(store::notifications::queue(c, rows)?)
}
