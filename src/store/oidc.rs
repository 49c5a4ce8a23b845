//! Token service rows: client secret digests, authorization codes, token families, refresh tokens
//! and revoked access tokens.
//!
//! Invariants: ids of codes and refresh tokens are SHA-256 digests of the values handed out; a code
//! and a refresh token are marked used by a conditional UPDATE, so two racing redemptions cannot both
//! succeed; families are revoked, never deleted.

use super::schema::{
    accounts, auth_codes, client_assertions, client_secrets, departments, people, person_departments, refresh_tokens,
    revoked_tokens, sessions, token_families,
};
use super::{DbConnection, StoreError};
use diesel::prelude::*;

mod standing;

pub use standing::{locked_now, revoked_among, session_standing, standing, standings, Standing};

pub fn secret_digest(conn: &mut DbConnection, client_id: &str) -> Result<Option<String>, StoreError> {
    Ok(client_secrets::table.find(client_id).select(client_secrets::digest).first(conn).optional()?)
}

/// Replaces the client's secret digest.
pub fn set_secret(
    conn: &mut DbConnection,
    client_id: &str,
    digest: &str,
    by: &str,
    now: i64,
) -> Result<(), StoreError> {
    diesel::delete(client_secrets::table.find(client_id)).execute(conn)?;
    diesel::insert_into(client_secrets::table)
        .values((
            client_secrets::client_id.eq(client_id),
            client_secrets::digest.eq(digest),
            client_secrets::created_at.eq(now),
            client_secrets::created_by.eq(by),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a client assertion's id; false when it was used before (a replay). Expired ids go.
pub fn use_assertion(
    conn: &mut DbConnection,
    jti: &str,
    client_id: &str,
    expires_at: i64,
    now: i64,
) -> Result<bool, StoreError> {
    diesel::delete(client_assertions::table.filter(client_assertions::expires_at.le(now))).execute(conn)?;
    if client_assertions::table.find(jti).count().get_result::<i64>(conn)? > 0 {
        return Ok(false);
    }
    diesel::insert_into(client_assertions::table)
        .values((
            client_assertions::jti.eq(jti),
            client_assertions::client_id.eq(client_id),
            client_assertions::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(true)
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = auth_codes)]
pub struct AuthCode {
    pub id: String,
    pub client_id: String,
    pub account_id: String,
    pub session_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub auth_time: i64,
    pub factors: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub family_id: Option<String>,
}

pub fn insert_code(conn: &mut DbConnection, c: &AuthCode) -> Result<(), StoreError> {
    diesel::insert_into(auth_codes::table).values(c).execute(conn)?;
    Ok(())
}

pub fn code(conn: &mut DbConnection, id: &str) -> Result<Option<AuthCode>, StoreError> {
    Ok(auth_codes::table.find(id).select(AuthCode::as_select()).first(conn).optional()?)
}

/// Marks a code used, recording the family issued from it; false when it was used already.
pub fn use_code(conn: &mut DbConnection, id: &str, family_id: &str, now: i64) -> Result<bool, StoreError> {
    let n = diesel::update(auth_codes::table.find(id).filter(auth_codes::used_at.is_null()))
        .set((auth_codes::used_at.eq(now), auth_codes::family_id.eq(family_id)))
        .execute(conn)?;
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = token_families)]
pub struct Family {
    pub id: String,
    pub client_id: String,
    pub account_id: String,
    pub session_id: String,
    pub scope: String,
    pub auth_time: i64,
    pub factors: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub revoked_reason: Option<String>,
    pub logout_sent_at: Option<i64>,
}

pub fn insert_family(conn: &mut DbConnection, f: &Family) -> Result<(), StoreError> {
    diesel::insert_into(token_families::table).values(f).execute(conn)?;
    Ok(())
}

pub fn family(conn: &mut DbConnection, id: &str) -> Result<Option<Family>, StoreError> {
    Ok(token_families::table.find(id).select(Family::as_select()).first(conn).optional()?)
}

/// Revokes a family; false when it was revoked already.
pub fn revoke_family(conn: &mut DbConnection, id: &str, reason: &str, now: i64) -> Result<bool, StoreError> {
    let n = diesel::update(token_families::table.find(id).filter(token_families::revoked_at.is_null()))
        .set((token_families::revoked_at.eq(now), token_families::revoked_reason.eq(reason)))
        .execute(conn)?;
    Ok(n == 1)
}

/// The unrevoked families of a session.
pub fn families_of_session(conn: &mut DbConnection, session_id: &str) -> Result<Vec<Family>, StoreError> {
    Ok(token_families::table
        .filter(token_families::session_id.eq(session_id))
        .filter(token_families::revoked_at.is_null())
        .select(Family::as_select())
        .load(conn)?)
}

pub fn insert_refresh(
    conn: &mut DbConnection,
    id: &str,
    family_id: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::id.eq(id),
            refresh_tokens::family_id.eq(family_id),
            refresh_tokens::created_at.eq(now),
            refresh_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// A refresh token with its family.
pub fn refresh(conn: &mut DbConnection, id: &str) -> Result<Option<(i64, Option<i64>, Family)>, StoreError> {
    Ok(refresh_tokens::table
        .inner_join(token_families::table)
        .filter(refresh_tokens::id.eq(id))
        .select((refresh_tokens::expires_at, refresh_tokens::used_at, Family::as_select()))
        .first(conn)
        .optional()?)
}

/// Marks a refresh token used; false when it was used already (a racing second use).
pub fn use_refresh(conn: &mut DbConnection, id: &str, now: i64) -> Result<bool, StoreError> {
    let n = diesel::update(refresh_tokens::table.find(id).filter(refresh_tokens::used_at.is_null()))
        .set(refresh_tokens::used_at.eq(now))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn revoke_access_token(
    conn: &mut DbConnection,
    jti: &str,
    client_id: &str,
    expires_at: i64,
    now: i64,
) -> Result<(), StoreError> {
    if revoked_tokens::table.find(jti).count().get_result::<i64>(conn)? == 0 {
        diesel::insert_into(revoked_tokens::table)
            .values((
                revoked_tokens::jti.eq(jti),
                revoked_tokens::client_id.eq(client_id),
                revoked_tokens::expires_at.eq(expires_at),
                revoked_tokens::revoked_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The person behind an account as tokens describe them: names, employee number, main department
/// and mail (absent for accounts with no person, such as the first security officer).
pub fn subject(
    conn: &mut DbConnection,
    account_id: &str,
) -> Result<Option<tobira_domain::oidc::claims::Subject>, StoreError> {
    type Row = (String, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>);
    let row: Option<Row> = accounts::table
        .left_join(people::table)
        .filter(accounts::id.eq(account_id))
        .select((
            accounts::login_id,
            accounts::person_id,
            people::employee_number.nullable(),
            people::name_kanji.nullable(),
            people::name_kana.nullable(),
            people::mail.nullable(),
        ))
        .first(conn)
        .optional()?;
    let Some((login_id, person_id, employee_number, name_kanji, name_kana, mail)) = row else { return Ok(None) };
    let department: Option<(String, String)> = match &person_id {
        Some(pid) => person_departments::table
            .inner_join(departments::table)
            .filter(person_departments::person_id.eq(pid))
            .filter(person_departments::membership.eq(tobira_domain::org::Membership::Primary.as_str()))
            .select((departments::code, departments::name))
            .first(conn)
            .optional()?,
        None => None,
    };
    Ok(Some(tobira_domain::oidc::claims::Subject {
        account_id: account_id.to_string(),
        login_id,
        employee_number,
        name_kanji,
        name_kana,
        department_code: department.as_ref().map(|d| d.0.clone()),
        department_name: department.map(|d| d.1),
        mail,
    }))
}

/// Families of `clients` whose sign-in has ended (the family revoked, the session ended or past its
/// end, the account no longer active) and whose system has not been told yet, oldest first.
pub fn logout_due(
    conn: &mut DbConnection,
    clients: &[String],
    now: i64,
    limit: i64,
) -> Result<Vec<Family>, StoreError> {
    if clients.is_empty() {
        return Ok(Vec::new());
    }
    Ok(token_families::table
        .inner_join(sessions::table)
        .inner_join(accounts::table)
        .filter(token_families::client_id.eq_any(clients))
        .filter(token_families::logout_sent_at.is_null())
        .filter(
            token_families::revoked_at
                .is_not_null()
                .or(sessions::revoked_at.is_not_null())
                .or(sessions::expires_at.le(now))
                .or(accounts::status.ne(tobira_domain::rbac::AccountStatus::Active.as_str())),
        )
        .order(token_families::created_at.asc())
        .limit(limit)
        .select(Family::as_select())
        .load(conn)?)
}

/// Records that the system was told (or that telling it was given up).
pub fn mark_logout_sent(conn: &mut DbConnection, ids: &[String], now: i64) -> Result<(), StoreError> {
    diesel::update(token_families::table.filter(token_families::id.eq_any(ids)))
        .set(token_families::logout_sent_at.eq(now))
        .execute(conn)?;
    Ok(())
}
