//! The later settings of `[systems.provisioning]`: the scheduled reconciliation (R-LC-04), OAuth 2.0
//! client credentials (RFC 6749 §4.4) instead of a bearer token file, and roles sent as SCIM Groups.
//! Validation names the file and line of every mistake; nothing here reads a file.

use super::provisioning::Provisioning;
use serde::{Deserialize, Serialize};

/// How tobira authenticates to the system.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    /// A fixed bearer token, read from `token_file`.
    #[default]
    Bearer,
    /// An access token from `token_url` for `client_id` and the secret in `client_secret_file`.
    ClientCredentials,
}

/// How the roles of the system a person holds reach it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RolesAs {
    /// The User's multi-valued `roles` attribute (RFC 7643 §4.1.2).
    #[default]
    Attribute,
    /// One Group per role (displayName = the role's id, externalId = tobira's role key).
    Groups,
}

/// Daily, report only: a reconciliation never deletes and by default changes nothing.
pub fn default_reconcile_hours() -> u32 {
    24
}

/// The problems of these settings, added to `out` as (span, message).
pub fn problems(system: &str, p: &Provisioning, out: &mut Vec<(std::ops::Range<usize>, String)>) {
    let at = p.base_url.as_ref().map_or_else(|| p.kind.span(), |u| u.span());
    let mut bad = |m: String| out.push((at.clone(), format!("system `{system}`: provisioning.{m}")));
    if p.reconcile_every_hours > 8760 {
        bad(format!("reconcile_every_hours {} is over 8760 (a year); 0 turns the schedule off", p.reconcile_every_hours));
    }
    if p.roles_as == RolesAs::Groups && p.path_of(super::provisioning::Source::Roles).is_none() {
        bad("roles_as = \"groups\" needs the roles in the mapping (an attribute = \"roles\"); they are sent as Groups instead".into());
    }
    match p.auth {
        Auth::Bearer => {
            for (name, v) in [("token_url", &p.token_url), ("client_id", &p.client_id), ("client_secret_file", &p.client_secret_file), ("scope", &p.scope)] {
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
        assert_eq!((p.reconcile_every_hours, p.reconcile_repair, p.auth, p.roles_as), (24, false, super::Auth::Bearer, super::RolesAs::Attribute), "safe defaults");
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
            assert!(errs.iter().any(|e| e.message.contains(msg) && e.file.ends_with("systems.toml") && e.line.is_some()), "{section}: {errs:#?}");
        }
    }
}
