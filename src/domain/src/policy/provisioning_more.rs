//! Checking `[systems.provisioning]` (R-LC-01, R-LC-04): the settings of each kind (SCIM, or files
//! across the air gap), the scheduled reconciliation, OAuth 2.0 client credentials (RFC 6749 §4.4)
//! instead of a bearer token file, and roles sent as SCIM Groups. The settings themselves are
//! `policy::provisioning`'s. Every mistake is reported with its span (the caller adds file and
//! line); nothing here reads a file.

use super::provisioning::{path_ok, Auth, Provisioning, ProvisioningKind, RolesAs, Source};
use toml::Spanned;

/// The problems of these settings, added to `out` as (span, message).
pub fn problems(system: &str, p: &Provisioning, out: &mut Vec<(std::ops::Range<usize>, String)>) {
    let at = p.base_url.as_ref().map_or_else(|| p.kind.span(), |u| u.span());
    let mut bad = |m: String| out.push((at.clone(), format!("system `{system}`: provisioning.{m}")));
    if p.reconcile_every_hours > 8760 {
        bad(format!(
            "reconcile_every_hours {} is over 8760 (a year); 0 turns the schedule off",
            p.reconcile_every_hours
        ));
    }
    if p.roles_as == RolesAs::Groups && p.path_of(super::provisioning::Source::Roles).is_none() {
        bad("roles_as = \"groups\" needs the roles in the mapping (an attribute = \"roles\"); they are sent as Groups instead".into());
    }
    match p.auth {
        Auth::Bearer => {
            for (name, v) in [
                ("token_url", &p.token_url),
                ("client_id", &p.client_id),
                ("client_secret_file", &p.client_secret_file),
                ("scope", &p.scope),
            ] {
                if !v.is_empty() {
                    bad(format!("{name} is only used with auth = \"client_credentials\""));
                }
            }
        }
        Auth::ClientCredentials => {
            if p.token_file.is_some() {
                bad("token_file is not used with auth = \"client_credentials\"; the token comes from token_url".into());
            }
            if let Err(e) = super::clients_validate::redirect_uri_ok(&p.token_url) {
                bad(format!("token_url `{}` {e}", p.token_url));
            }
            if p.client_id.trim().is_empty() {
                bad("client_id is empty; give the client id the system's token endpoint knows".into());
            }
            if p.client_secret_file.trim().is_empty() {
                bad("client_secret_file is empty; name the file that holds the client secret".into());
            }
            if p.scope.chars().any(|c| c.is_control() || c == '"' || c == '\\') {
                bad("scope has a character RFC 6749 §3.3 does not allow".into());
            }
        }
    }
}

type Problems = Vec<(std::ops::Range<usize>, String)>;

/// The settings of `kind = "scim"`, and no file-only ones.
pub(super) fn scim_problems(system: &str, p: &Provisioning, out: &mut Problems) {
    match &p.base_url {
        Some(u) => {
            if let Err(e) = super::clients_validate::redirect_uri_ok(u.get_ref()) {
                out.push((u.span(), format!("system `{system}`: provisioning.base_url `{}` {e}", u.get_ref())));
            }
        }
        None => out.push((
            p.kind.span(),
            format!(
                "system `{system}`: kind = \"scim\" needs provisioning.base_url (the service provider's …/scim/v2)"
            ),
        )),
    }
    match &p.token_file {
        Some(t) if t.get_ref().trim().is_empty() => out.push((t.span(), format!("system `{system}`: provisioning.token_file is empty; name the file that holds the bearer token"))),
        Some(_) => {}
        None if p.auth == Auth::Bearer => {
            out.push((p.kind.span(), format!("system `{system}`: kind = \"scim\" needs provisioning.token_file (the file that holds the bearer token)")))
        }
        None => {}
    }
    let file_only = [
        ("out_dir", p.out_dir.as_ref().map(|v| v.span())),
        ("receipt_dir", p.receipt_dir.as_ref().map(|v| v.span())),
        ("encoding", p.encoding.as_ref().map(|v| v.span())),
        ("signing_key_file", p.signing_key_file.as_ref().map(|v| v.span())),
        ("receipt_max_hours", p.receipt_max_hours.as_ref().map(|v| v.span())),
    ];
    for (name, span) in file_only {
        if let Some(span) = span {
            out.push((
                span,
                format!(
                    "system `{system}`: provisioning.{name} is a setting of kind = \"file\", not of kind = \"scim\""
                ),
            ));
        }
    }
}

/// The settings of `kind = "file"` (R-ZN-04), and no SCIM-only ones.
pub(super) fn file_problems(system: &str, p: &Provisioning, out: &mut Problems) {
    let scim_only = [
        ("base_url", p.base_url.as_ref().map(|v| v.span())),
        ("token_file", p.token_file.as_ref().map(|v| v.span())),
        ("ca_file", p.ca_file.as_ref().map(|v| v.span())),
    ];
    for (name, span) in scim_only {
        if let Some(span) = span {
            out.push((span, format!("system `{system}`: provisioning.{name} is a setting of kind = \"scim\"; a file system is not reached over the network")));
        }
    }
    let absolute = |name: &str, v: &Option<Spanned<String>>, out: &mut Problems| match v {
        Some(d) if !d.get_ref().starts_with('/') => out.push((
            d.span(),
            format!("system `{system}`: provisioning.{name} `{}` must be an absolute path", d.get_ref()),
        )),
        Some(_) => {}
        None => out.push((p.kind.span(), format!("system `{system}`: kind = \"file\" needs provisioning.{name}"))),
    };
    absolute("out_dir", &p.out_dir, out);
    absolute("signing_key_file", &p.signing_key_file, out);
    if let Some(d) = p.receipt_dir.as_ref().filter(|d| !d.get_ref().starts_with('/')) {
        out.push((
            d.span(),
            format!("system `{system}`: provisioning.receipt_dir `{}` must be an absolute path", d.get_ref()),
        ));
    }
    if let Some(h) = p.receipt_max_hours.as_ref().filter(|h| !(1..=2_160).contains(h.get_ref())) {
        out.push((
            h.span(),
            format!(
                "system `{system}`: provisioning.receipt_max_hours {} must be between 1 and 2160 (90 days)",
                h.get_ref()
            ),
        ));
    }
}

/// The problems of one system's settings, as messages (the caller adds file and line).
pub fn problems_of(system: &str, p: &Provisioning) -> Vec<(std::ops::Range<usize>, String)> {
    let mut out = Vec::new();
    problems(system, p, &mut out);
    let at = p.kind.span();
    match p.kind.get_ref() {
        ProvisioningKind::Scim => scim_problems(system, p, &mut out),
        ProvisioningKind::File => file_problems(system, p, &mut out),
    }
    if p.attributes.get("userName") != Some(&Source::LoginId) {
        out.push((at.clone(), format!("system `{system}`: provisioning.attributes must map userName = \"login_id\"")));
    }
    if p.attributes.get("externalId") != Some(&Source::Subject) {
        out.push((at.clone(), format!("system `{system}`: provisioning.attributes must map externalId = \"subject\" (tobira's stable subject)")));
    }
    for path in p.attributes.keys() {
        if !path_ok(path) {
            out.push((at.clone(), format!("system `{system}`: provisioning.attributes: `{path}` is not a SCIM attribute path (attr, attr.sub or urn:…:attr)")));
        }
        if path == "active" || path == "id" || path == "meta" || path == "schemas" {
            out.push((
                at.clone(),
                format!(
                    "system `{system}`: provisioning.attributes: `{path}` is set by tobira itself and cannot be mapped"
                ),
            ));
        }
    }
    if p.delete_after_days > 3650 {
        out.push((
            at.clone(),
            format!(
                "system `{system}`: provisioning.delete_after_days {} is over 3650 (ten years)",
                p.delete_after_days
            ),
        ));
    }
    if !(1..=600).contains(&p.timeout_seconds) {
        out.push((at.clone(), format!("system `{system}`: provisioning.timeout_seconds must be between 1 and 600")));
    }
    if !(1..=86_400).contains(&p.retry_max_seconds) {
        out.push((
            at.clone(),
            format!("system `{system}`: provisioning.retry_max_seconds must be between 1 and 86400"),
        ));
    }
    if !(1..=10_000).contains(&p.batch) {
        out.push((at, format!("system `{system}`: provisioning.batch must be between 1 and 10000")));
    }
    out
}

#[cfg(test)]
mod tests {
    /// The example policy with a provisioning section added to the groupware system.
    fn with_section(section: &str) -> Result<crate::policy::Policy, Vec<crate::policy::PolicyError>> {
        let mut files = crate::test_support::example_files();
        let f = files.iter_mut().find(|f| f.name.ends_with("systems.toml")).unwrap();
        let anchor = "service_manager = \"情報政策課 係長\" }\n";
        f.text = f.text.replacen(anchor, &format!("{anchor}[systems.provisioning]\nkind = \"scim\"\nbase_url = \"https://gw.example.jp/scim/v2\"\n{section}\n"), 1);
        crate::policy::load(&files).map_err(|e| e.0)
    }

    #[test]
    fn r_lc_04_schedule_oauth_and_groups_settings_are_checked_with_clear_errors() {
        let ok = with_section("token_file = \"/t\"").unwrap();
        let p = ok.systems.iter().find(|s| s.id.get_ref() == "groupware").unwrap().provisioning.clone().unwrap();
        assert_eq!(
            (p.reconcile_every_hours, p.reconcile_repair, p.auth, p.roles_as),
            (24, false, super::Auth::Bearer, super::RolesAs::Attribute),
            "safe defaults"
        );
        let cc = "auth = \"client_credentials\"\ntoken_url = \"https://gw.example.jp/token\"\nclient_id = \"tobira\"\nclient_secret_file = \"/s\"";
        assert!(with_section(cc).is_ok());
        assert!(with_section("token_file = \"/t\"\nroles_as = \"groups\"").is_ok());
        let cases = [
            ("token_file = \"/t\"\nreconcile_every_hours = 9000", "over 8760"),
            ("token_file = \"/t\"\nclient_id = \"x\"", "only used with auth = \"client_credentials\""),
            ("auth = \"client_credentials\"\ntoken_url = \"http://gw.example.jp/token\"\nclient_id = \"x\"\nclient_secret_file = \"/s\"", "token_url"),
            ("auth = \"client_credentials\"\ntoken_url = \"https://gw.example.jp/token\"\nclient_secret_file = \"/s\"", "client_id is empty"),
            (&format!("{cc}\ntoken_file = \"/t\""), "token_file is not used"),
            ("", "needs provisioning.token_file"),
            ("token_file = \"/t\"\nroles_as = \"groups\"\n[systems.provisioning.attributes]\nuserName = \"login_id\"\nexternalId = \"subject\"", "needs the roles in the mapping"),
        ];
        for (section, msg) in cases {
            let errs = with_section(section).expect_err(section);
            assert!(
                errs.iter().any(|e| e.message.contains(msg) && e.file.ends_with("systems.toml") && e.line.is_some()),
                "{section}: {errs:#?}"
            );
        }
    }
}
