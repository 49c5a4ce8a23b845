//! Minting the tokens of a token response for a person (code and refresh grants share it): the
//! RFC 9068 access token, the ID token, and the claims the system may see.

use super::{issuer, public_sid, OidcError};
use crate::app::App;
use crate::crypto::signing::Alg;
use crate::store::{self, oidc::Family, DbConnection};
use serde::Serialize;
use tobira_domain::authn::ProvedFactor;
use tobira_domain::oidc::claims::{self, AccessFor, Authentication, Stamp, Subject};
use tobira_domain::policy::{Client, SigningAlg};

/// The body of a successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub scope: String,
}

pub fn alg(a: SigningAlg) -> Alg {
    match a {
        SigningAlg::ES256 => Alg::Es256,
        SigningAlg::EdDSA => Alg::EdDsa,
        SigningAlg::RS256 => Alg::Rs256,
    }
}

/// What a person's token response is made from, read in the grant's transaction.
pub struct PersonFacts {
    pub subject: Subject,
    pub roles: Vec<String>,
    /// The earliest end among the time-limited grants behind `roles` (an elevation's end).
    pub roles_until: Option<i64>,
    /// The elevations whose grants put privileged roles among `roles`, for the audit record of the
    /// token (every privileged action traces back to its elevation, R-PR-02).
    pub elevations: Vec<String>,
}

/// The grants in force whose roles count for tokens (privileged ones only through an elevation).
pub fn token_grants(
    c: &mut DbConnection,
    app: &App,
    account_id: &str,
    now: i64,
) -> Result<Vec<store::accounts::Grant>, store::StoreError> {
    Ok(store::accounts::grants_in_force(c, account_id, now)?
        .into_iter()
        .filter(|g| !claims::token_roles(&app.policy, &[(g.role_id.as_str(), g.source.as_str())]).is_empty())
        .collect())
}

/// Reads the person behind `family` and the roles the client's system may see now.
pub fn facts(
    c: &mut DbConnection,
    app: &App,
    client: &Client,
    family: &Family,
    now: i64,
) -> Result<PersonFacts, OidcError> {
    let subject = store::oidc::subject(c, &family.account_id)?
        .ok_or_else(|| super::err(tobira_domain::oidc::ErrorCode::InvalidGrant, "the account no longer exists"))?;
    let grants = token_grants(c, app, &family.account_id, now)?;
    let held: Vec<String> = grants.iter().map(|g| g.role_id.clone()).collect();
    let roles = claims::visible_roles(&app.policy, client, &held);
    // A role lasts as long as its longest-lasting grant (`None`: no end); the token as its shortest role.
    let role_end =
        |r: &String| grants.iter().filter(|g| g.role_id == *r).map(|g| g.valid_until.unwrap_or(i64::MAX)).max();
    let roles_until = roles.iter().filter_map(role_end).min().filter(|u| *u != i64::MAX);
    let elevated: Vec<String> =
        grants.iter().filter(|g| g.source == "elevation" && roles.contains(&g.role_id)).map(|g| g.id.clone()).collect();
    let elevations =
        if elevated.is_empty() { Vec::new() } else { store::privileged::elevations_of_grants(c, &elevated)? };
    Ok(PersonFacts { roles, subject, roles_until, elevations })
}

/// Signs the access token and, when the scope has `openid`, the ID token.
pub fn mint(
    app: &App,
    client: &Client,
    family: &Family,
    facts: &PersonFacts,
    nonce: Option<&str>,
    refresh_token: Option<String>,
    now: i64,
) -> Result<TokenResponse, OidcError> {
    let scope: Vec<String> = family.scope.split(' ').filter(|s| !s.is_empty()).map(String::from).collect();
    let factors: Vec<ProvedFactor> = serde_json::from_str(&family.factors).unwrap_or_default();
    let auth = Authentication::of(&factors, family.auth_time);
    let iss = issuer(app);
    // A token carrying an elevated role ends with the elevation (R-PR-07).
    let access_s = facts
        .roles_until
        .map_or(i64::MAX, |u| (u - now) / 1000)
        .min(i64::from(client.access_minutes(&app.policy.oidc)) * 60)
        .max(1);
    let jti = crate::app::signin::new_id()?;
    let stamp = Stamp { issuer: &iss, now_s: now / 1000, lifetime_s: access_s, jti: &jti };
    let at = claims::access_token(
        stamp,
        AccessFor {
            system: client.system.get_ref(),
            client_id: client.id.get_ref(),
            scope: &scope,
            person: Some((&family.account_id, &facts.roles, &auth, &family.id)),
        },
    );
    let access_token = app.keys.sign(alg(*client.access_token_alg.get_ref()), "at+jwt", &at)?;
    let id_token = if scope.iter().any(|s| s == "openid") {
        let jti = crate::app::signin::new_id()?;
        let id_s = facts
            .roles_until
            .map_or(i64::MAX, |u| (u - now) / 1000)
            .min(i64::from(app.policy.oidc.id_token_minutes) * 60)
            .max(1);
        let stamp = Stamp { issuer: &iss, now_s: now / 1000, lifetime_s: id_s, jti: &jti };
        let person = claims::person_claims(&facts.subject, &scope, &facts.roles);
        let at_hash = claims::at_hash(client.id_token_alg, &access_token);
        let id = claims::id_token(
            stamp,
            client.id.get_ref(),
            person,
            &auth,
            nonce,
            &public_sid(&family.session_id),
            Some(&at_hash),
        );
        Some(app.keys.sign(alg(client.id_token_alg), "JWT", &id)?)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: access_s,
        refresh_token,
        id_token,
        scope: family.scope.clone(),
    })
}
