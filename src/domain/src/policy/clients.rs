//! Business systems' OAuth 2.0 / OpenID Connect clients (`[[clients]]`) and the token settings
//! (`[oidc]`).
//!
//! A client belongs to one system of the register: the system's zone, classification and approval
//! decide what a sign-in for it needs and whether it may connect at all (R-AC-10). Batch jobs and
//! RPA use `client_credentials` and name an owner (R-AC-05). Secrets are not policy: tobira generates
//! them (`tobira client secret ID`) and stores only their digest.

use super::model::Id;
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// An OAuth grant a client may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl GrantType {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
        }
    }

    pub fn parse(s: &str) -> Option<GrantType> {
        [GrantType::AuthorizationCode, GrantType::RefreshToken, GrantType::ClientCredentials]
            .into_iter()
            .find(|g| g.as_str() == s)
    }
}

/// How a client proves who it is at the token, introspection and revocation endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// HTTP Basic with the generated secret.
    #[default]
    ClientSecretBasic,
    /// The generated secret in the form body.
    ClientSecretPost,
    /// A JWT signed with the client's own key (RFC 7523), its public keys in `jwks`.
    PrivateKeyJwt,
}

impl ClientAuth {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuth::ClientSecretBasic => "client_secret_basic",
            ClientAuth::ClientSecretPost => "client_secret_post",
            ClientAuth::PrivateKeyJwt => "private_key_jwt",
        }
    }
}

/// A JOSE signature algorithm tobira signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum SigningAlg {
    #[default]
    ES256,
    EdDSA,
    /// Only for ID tokens of a client that asks for it (OIDC Core requires an OP to offer it).
    RS256,
}

impl SigningAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::ES256 => "ES256",
            SigningAlg::EdDSA => "EdDSA",
            SigningAlg::RS256 => "RS256",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    pub id: Id,
    /// The system of the register this client connects.
    pub system: Id,
    pub name: String,
    #[serde(default)]
    pub auth_method: ClientAuth,
    pub grants: Vec<Spanned<GrantType>>,
    /// Exact redirect URIs (no wildcards, no fragments).
    #[serde(default)]
    pub redirect_uris: Vec<Spanned<String>>,
    /// Where RP-initiated logout may send the browser back to.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<Spanned<String>>,
    /// OpenID Connect Back-Channel Logout endpoint of the system.
    #[serde(default)]
    pub backchannel_logout_uri: Option<Spanned<String>>,
    /// The roles the system may see in tokens; empty means every role of its system.
    #[serde(default)]
    pub roles: Vec<Id>,
    #[serde(default = "default_alg")]
    pub access_token_alg: Spanned<SigningAlg>,
    #[serde(default)]
    pub id_token_alg: SigningAlg,
    /// Lifetimes; absent means the `[oidc]` default.
    #[serde(default)]
    pub access_token_minutes: Option<u32>,
    #[serde(default)]
    pub refresh_token_minutes: Option<u32>,
    /// Networks the system's own calls to the token endpoint may come from; empty means any.
    #[serde(default)]
    pub networks: Vec<Id>,
    /// Employee number of the person answerable for the client (required for client_credentials, R-AC-05).
    #[serde(default)]
    pub owner: Option<String>,
    /// For `private_key_jwt`: the client's public keys as a JWK Set (`{ keys = [ … ] }`).
    #[serde(default)]
    pub jwks: Option<serde_json::Value>,
    #[serde(skip)]
    pub file: usize,
}

fn default_alg() -> Spanned<SigningAlg> {
    Spanned::new(0..0, SigningAlg::ES256)
}

impl Client {
    pub fn allows(&self, g: GrantType) -> bool {
        self.grants.iter().any(|x| *x.get_ref() == g)
    }

    pub fn redirect_allowed(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|r| r.get_ref() == uri)
    }

    pub fn access_minutes(&self, rules: &OidcRules) -> u32 {
        self.access_token_minutes.unwrap_or(rules.access_token_minutes)
    }

    pub fn refresh_minutes(&self, rules: &OidcRules) -> u32 {
        self.refresh_token_minutes.unwrap_or(rules.refresh_token_minutes)
    }

    /// How long a sign-in's refresh token family lives for this client: its own or the default
    /// lifetime, and for a system flagged 重要な情報システム (`important`, R-ZN-05) no longer than
    /// `important_refresh_token_minutes` (R-AC-13). Never beyond the session, which the caller applies.
    pub fn connection_minutes(&self, rules: &OidcRules, important: bool) -> u32 {
        let own = self.refresh_minutes(rules);
        if important {
            own.min(rules.important_refresh_token_minutes)
        } else {
            own
        }
    }
}

/// Token settings (R-AU-02 is decided by the system; these are lifetimes).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcRules {
    /// An authorization code must be redeemed within this many seconds.
    pub code_seconds: u32,
    pub access_token_minutes: u32,
    pub id_token_minutes: u32,
    /// A refresh token family lives at most this long, and never beyond its sign-in session.
    pub refresh_token_minutes: u32,
    /// The same for a client of a system flagged important (R-ZN-05): connections to those systems
    /// end sooner (R-AC-13), whatever the client's own refresh lifetime.
    pub important_refresh_token_minutes: u32,
    /// A business system's sign-in request waits this long for the person to sign in, change a
    /// password or enrol a second factor before it must be started again.
    pub login_minutes: u32,
}

impl Default for OidcRules {
    fn default() -> Self {
        // One minute is RFC 6749's recommended ceiling for codes; ten-minute access tokens keep a
        // revoked person's window short even for systems that never introspect; refresh tokens end
        // with the working day's session at the latest.
        // Thirty minutes to sign in (a first sign-in may change a password and set up an app).
        // Important systems: half a working day at most, then the person signs in again.
        OidcRules {
            code_seconds: 60,
            access_token_minutes: 10,
            id_token_minutes: 10,
            refresh_token_minutes: 600,
            important_refresh_token_minutes: 240,
            login_minutes: 30,
        }
    }
}
