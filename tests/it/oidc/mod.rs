//! The OpenID Connect provider driven by a standard relying-party library (`openidconnect`):
//! discovery, code + PKCE through the sign-in pages, ID tokens checked against the JWKS, userinfo,
//! refresh with rotation, introspection, revocation, logout and key rotation — on SQLite and
//! PostgreSQL.
//! One submodule per behaviour; shared helpers in `harness::oidc`.

mod flows;
mod logout;
mod tokens;
mod zones;
