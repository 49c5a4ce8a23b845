//! Second factors: TOTP secrets (sealed under the master key, R-AU-09) with the last step used
//! (replay), and WebAuthn credentials (the passkey as webauthn-rs serialises it, its credential id
//! for lookup and the authenticator model).
//!
//! Invariant: a TOTP step is accepted at most once: [`use_totp_step`] only moves `last_used_step`
//! forward, in one conditional UPDATE.

use super::schema::{totp_credentials, webauthn_credentials};
use super::{DbConnection, StoreError};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = totp_credentials)]
pub struct Totp {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub secret_encrypted: String,
    pub created_at: i64,
    pub last_used_step: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = webauthn_credentials)]
pub struct Webauthn {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub credential_json: String,
    pub aaguid: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub credential_id: Option<String>,
    /// The attestation chained to a root of `signin.attestation_roots` at registration.
    pub attested: bool,
}

impl Webauthn {
    /// The AAGUID, only when the attestation that named it was verified (a "none" attestation
    /// names whatever the authenticator likes).
    pub fn attested_aaguid(&self) -> Option<&str> {
        self.aaguid.as_deref().filter(|_| self.attested)
    }
}

pub fn insert_totp(conn: &mut DbConnection, t: &Totp) -> Result<(), StoreError> {
    diesel::insert_into(totp_credentials::table).values(t).execute(conn)?;
    Ok(())
}

pub fn totps_of(conn: &mut DbConnection, account_id: &str) -> Result<Vec<Totp>, StoreError> {
    Ok(totp_credentials::table
        .filter(totp_credentials::account_id.eq(account_id))
        .order(totp_credentials::created_at.asc())
        .select(Totp::as_select())
        .load(conn)?)
}

/// Marks `step` used; false when that step or a later one was used already (a replayed code).
pub fn use_totp_step(conn: &mut DbConnection, id: &str, step: i64) -> Result<bool, StoreError> {
    let n = diesel::update(
        totp_credentials::table
            .find(id)
            .filter(totp_credentials::last_used_step.is_null().or(totp_credentials::last_used_step.lt(step))),
    )
    .set(totp_credentials::last_used_step.eq(step))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn delete_totp(conn: &mut DbConnection, account_id: &str, id: &str) -> Result<Option<Totp>, StoreError> {
    let found: Option<Totp> = totp_credentials::table
        .find(id)
        .filter(totp_credentials::account_id.eq(account_id))
        .select(Totp::as_select())
        .first(conn)
        .optional()?;
    if found.is_some() {
        diesel::delete(totp_credentials::table.find(id)).execute(conn)?;
    }
    Ok(found)
}

pub fn insert_webauthn(conn: &mut DbConnection, w: &Webauthn) -> Result<(), StoreError> {
    diesel::insert_into(webauthn_credentials::table).values(w).execute(conn)?;
    Ok(())
}

pub fn webauthns_of(conn: &mut DbConnection, account_id: &str) -> Result<Vec<Webauthn>, StoreError> {
    Ok(webauthn_credentials::table
        .filter(webauthn_credentials::account_id.eq(account_id))
        .order(webauthn_credentials::created_at.asc())
        .select(Webauthn::as_select())
        .load(conn)?)
}

pub fn webauthn_by_credential_id(conn: &mut DbConnection, credential_id: &str) -> Result<Option<Webauthn>, StoreError> {
    Ok(webauthn_credentials::table
        .filter(webauthn_credentials::credential_id.eq(credential_id))
        .select(Webauthn::as_select())
        .first(conn)
        .optional()?)
}

/// Stores the key's updated state (signature counter) and the time it was used.
pub fn webauthn_used(conn: &mut DbConnection, id: &str, credential_json: &str, now: i64) -> Result<(), StoreError> {
    diesel::update(webauthn_credentials::table.find(id))
        .set((webauthn_credentials::credential_json.eq(credential_json), webauthn_credentials::last_used_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

pub fn delete_webauthn(conn: &mut DbConnection, account_id: &str, id: &str) -> Result<Option<Webauthn>, StoreError> {
    let found: Option<Webauthn> = webauthn_credentials::table
        .find(id)
        .filter(webauthn_credentials::account_id.eq(account_id))
        .select(Webauthn::as_select())
        .first(conn)
        .optional()?;
    if found.is_some() {
        diesel::delete(webauthn_credentials::table.find(id)).execute(conn)?;
    }
    Ok(found)
}

/// Whether an account has a second factor (TOTP or WebAuthn): one round trip.
pub fn has_second_factor(conn: &mut DbConnection, account_id: &str) -> Result<bool, StoreError> {
    use diesel::dsl::{exists, select};
    let totp = totp_credentials::table.filter(totp_credentials::account_id.eq(account_id));
    let webauthn = webauthn_credentials::table.filter(webauthn_credentials::account_id.eq(account_id));
    Ok(select(exists(totp).or(exists(webauthn))).get_result(conn)?)
}
