//! Validation of `[[clients]]` and `[oidc]`: every client belongs to a system of the register, sees
//! only that system's roles, redirects only to exact absolute URIs (https, or http on loopback for
//! development), and a batch client names its owner (R-AC-05).

use super::validate_ctx::Ctx;
use super::{ClientAuth, GrantType, Merged, SigningAlg};
use std::collections::BTreeSet;

/// Whether `uri` is an absolute https URI, or http on a loopback host; never with a fragment.
pub fn redirect_uri_ok(uri: &str) -> Result<(), String> {
    if uri.contains('#') {
        return Err("must not contain a fragment (#)".into());
    }
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters".into());
    }
    let (scheme, rest) = uri.split_once("://").ok_or("is not an absolute URI")?;
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host_only = if host.starts_with('[') {
        host.split(']').next().map(|h| format!("{h}]")).unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host.to_string(), |(h, _)| h.to_string())
    };
    if host_only.is_empty() || host.contains('@') {
        return Err("has no host, or carries user information".into());
    }
    match scheme {
        "https" => Ok(()),
        "http" if matches!(host_only.as_str(), "localhost" | "127.0.0.1" | "[::1]") => Ok(()),
        "http" => Err("uses http; only https is allowed outside the loopback host".into()),
        _ => Err(format!("has scheme `{scheme}`; only https (or http on loopback) is allowed")),
    }
}

pub(super) fn check(c: &mut Ctx, m: &Merged, systems: &BTreeSet<String>, networks: &BTreeSet<String>) {
    c.unique("client", m.clients.iter().map(|cl| (cl.file, &cl.id)));
    for cl in &m.clients {
        let id = cl.id.get_ref();
        if !systems.contains(cl.system.get_ref()) {
            c.at(
                cl.file,
                cl.system.span(),
                format!(
                    "client `{id}` refers to system `{}`, which is not in the register (R-AC-10)",
                    cl.system.get_ref()
                ),
            );
        }
        if cl.grants.is_empty() {
            c.at(cl.file, cl.id.span(), format!("client `{id}` lists no grants"));
        }
        let has = |g| cl.allows(g);
        if has(GrantType::AuthorizationCode) && cl.redirect_uris.is_empty() {
            c.at(cl.file, cl.id.span(), format!("client `{id}` uses authorization_code but lists no redirect_uris"));
        }
        if has(GrantType::RefreshToken) && !has(GrantType::AuthorizationCode) {
            c.at(cl.file, cl.id.span(), format!("client `{id}`: refresh_token needs authorization_code"));
        }
        if has(GrantType::ClientCredentials) && cl.owner.as_deref().is_none_or(|o| o.trim().is_empty()) {
            c.at(cl.file, cl.id.span(), format!("client `{id}` uses client_credentials (a batch job or RPA) and must name its owner's employee number (R-AC-05)"));
        }
        for u in cl.redirect_uris.iter().chain(&cl.post_logout_redirect_uris).chain(cl.backchannel_logout_uri.iter()) {
            if let Err(e) = redirect_uri_ok(u.get_ref()) {
                c.at(cl.file, u.span(), format!("client `{id}`: `{}` {e}", u.get_ref()));
            }
        }
        if *cl.access_token_alg.get_ref() == SigningAlg::RS256 {
            c.at(
                cl.file,
                cl.access_token_alg.span(),
                format!("client `{id}`: access tokens are signed ES256 or EdDSA; RS256 is offered for ID tokens only"),
            );
        }
        for r in &cl.roles {
            match m.roles.iter().find(|x| x.id.get_ref() == r.get_ref()) {
                None => c.at(
                    cl.file,
                    r.span(),
                    format!("client `{id}` refers to role `{}`, which no [[roles]] entry defines", r.get_ref()),
                ),
                Some(role) if role.system.get_ref() != cl.system.get_ref() => c.at(
                    cl.file,
                    r.span(),
                    format!(
                        "client `{id}` of system `{}` may not see role `{}` of system `{}`",
                        cl.system.get_ref(),
                        r.get_ref(),
                        role.system.get_ref()
                    ),
                ),
                Some(_) => {}
            }
        }
        for n in &cl.networks {
            if !networks.contains(n.get_ref()) {
                c.at(
                    cl.file,
                    n.span(),
                    format!("client `{id}` refers to network `{}`, which no [[networks]] entry defines", n.get_ref()),
                );
            }
        }
        if cl.auth_method == ClientAuth::PrivateKeyJwt {
            let keys = cl.jwks.as_ref().and_then(|j| j.get("keys")).and_then(|k| k.as_array());
            if keys.is_none_or(|k| k.is_empty()) {
                c.at(
                    cl.file,
                    cl.id.span(),
                    format!(
                        "client `{id}` uses private_key_jwt and needs its public keys in jwks = {{ keys = [ … ] }}"
                    ),
                );
            }
        }
        for (what, v) in
            [("access_token_minutes", cl.access_token_minutes), ("refresh_token_minutes", cl.refresh_token_minutes)]
        {
            if v == Some(0) {
                c.at(cl.file, cl.id.span(), format!("client `{id}`: {what} must be at least 1"));
            }
        }
    }
    if let Some((file, o)) = &m.oidc {
        if o.code_seconds == 0 || o.code_seconds > 600 {
            c.at(*file, 0..0, "oidc.code_seconds must be between 1 and 600 (RFC 6749 recommends at most 60)");
        }
        if o.login_minutes == 0 || o.login_minutes > 240 {
            c.at(*file, 0..0, "oidc.login_minutes must be between 1 and 240");
        }
        for (what, v) in [
            ("access_token_minutes", o.access_token_minutes),
            ("id_token_minutes", o.id_token_minutes),
            ("refresh_token_minutes", o.refresh_token_minutes),
            ("important_refresh_token_minutes", o.important_refresh_token_minutes),
        ] {
            if v == 0 {
                c.at(*file, 0..0, format!("oidc.{what} must be at least 1"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redirect_uri_ok;

    #[test]
    fn r_ac_10_redirect_uris_are_exact_and_safe() {
        assert!(redirect_uri_ok("https://bunsho.city.example.lg.jp/oidc/callback").is_ok());
        assert!(redirect_uri_ok("http://localhost:9000/cb").is_ok());
        assert!(redirect_uri_ok("http://127.0.0.1/cb").is_ok());
        assert!(redirect_uri_ok("http://[::1]:8000/cb").is_ok());
        assert!(redirect_uri_ok("http://bunsho.example/cb").is_err());
        assert!(redirect_uri_ok("https://x.example/cb#frag").is_err());
        assert!(redirect_uri_ok("javascript:alert(1)").is_err());
        assert!(redirect_uri_ok("https://user@x.example/cb").is_err());
        assert!(redirect_uri_ok("/relative").is_err());
        assert!(redirect_uri_ok("http://localhost.evil.example/cb").is_err());
    }
}
