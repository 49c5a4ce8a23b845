//! `[systems.provisioning]`: how tobira pushes a business system's accounts to that system's own
//! user table (R-LC-01, R-LC-03, R-LC-08): a SCIM 2.0 service provider (RFC 7643, RFC 7644), its
//! bearer token file, the city CA, the attribute mapping, the retention of leavers' resources and the
//! delivery's retry and reconciliation limits.
//!
//! Validation ([`check`]) names the file and line of every mistake; nothing here reads a file.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use toml::Spanned;

/// How the changes reach the system. Only SCIM 2.0 over the network is built; the file connector
/// for the My Number zone (R-ZN-04) is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvisioningKind {
    Scim,
}

/// A value tobira sends, taken from what it holds of the person and the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The login ID (userName).
    LoginId,
    /// tobira's stable subject: the account's id, the `sub` of its tokens (externalId).
    Subject,
    EmployeeNumber,
    NameKanji,
    NameKana,
    DepartmentCode,
    DepartmentName,
    /// 職名.
    Title,
    /// The work mail address, sent as a SCIM multi-valued `emails` entry (type work, primary).
    Mail,
    /// The ids of the roles of this system the person holds (RFC 7643 `roles`, multi-valued).
    Roles,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::LoginId => "login_id",
            Source::Subject => "subject",
            Source::EmployeeNumber => "employee_number",
            Source::NameKanji => "name_kanji",
            Source::NameKana => "name_kana",
            Source::DepartmentCode => "department_code",
            Source::DepartmentName => "department_name",
            Source::Title => "title",
            Source::Mail => "mail",
            Source::Roles => "roles",
        }
    }
}

/// The RFC 7643 enterprise extension, where `department` and `employeeNumber` go by default.
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn default_mapping() -> BTreeMap<String, Source> {
    [
        ("userName", Source::LoginId),
        ("externalId", Source::Subject),
        ("displayName", Source::NameKanji),
        ("name.formatted", Source::NameKanji),
        ("title", Source::Title),
        ("emails", Source::Mail),
        ("roles", Source::Roles),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .chain([(format!("{ENTERPRISE}:department"), Source::DepartmentName), (format!("{ENTERPRISE}:employeeNumber"), Source::EmployeeNumber)])
    .collect()
}

fn default_delete_after_days() -> u32 {
    90
}
fn default_timeout() -> u32 {
    30
}
fn default_retry_max() -> u32 {
    3600
}
fn default_batch() -> u32 {
    200
}
fn default_every() -> u32 {
    60
}

/// A system's provisioning settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provisioning {
    pub kind: ProvisioningKind,
    /// The SCIM service provider's base URL (…/scim/v2): https, or http on the loopback host only.
    pub base_url: Spanned<String>,
    /// A file holding the bearer token (one line); read at each round, never logged. Not used with
    /// `auth = "client_credentials"`.
    #[serde(default = "super::provisioning_more::unset")]
    pub token_file: Spanned<String>,
    /// PEM file of the city CA that signed the system's certificate, besides the system trust store.
    #[serde(default)]
    pub ca_file: String,
    /// SCIM attribute path → tobira value. Replaces the default mapping as a whole when given; it must
    /// send userName from login_id and externalId from subject.
    #[serde(default = "default_mapping")]
    pub attributes: BTreeMap<String, Source>,
    /// Days a resource stays deactivated (`active: false`) after its person left or lost the system's
    /// last grant, before tobira deletes it. 0: delete at the next round.
    #[serde(default = "default_delete_after_days")]
    pub delete_after_days: u32,
    /// Seconds one request may take.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u32,
    /// The longest wait between two attempts of an item that failed with 5xx or a timeout.
    #[serde(default = "default_retry_max")]
    pub retry_max_seconds: u32,
    /// Items one round delivers at most.
    #[serde(default = "default_batch")]
    pub batch: u32,
    /// How often `serve` delivers the queue; 0 turns the schedule off.
    #[serde(default = "default_every")]
    pub every_seconds: u32,
    /// Hours between the reconciliations `serve` runs on its own (R-LC-04); 0 turns them off.
    #[serde(default = "super::provisioning_more::default_reconcile_hours")]
    pub reconcile_every_hours: u32,
    /// Whether the scheduled reconciliation queues its fixes (`--repair`); by default it reports only.
    #[serde(default)]
    pub reconcile_repair: bool,
    /// `bearer` (the token in `token_file`) or `client_credentials` (RFC 6749 §4.4).
    #[serde(default)]
    pub auth: super::provisioning_more::Auth,
    /// With `client_credentials`: the token endpoint, the client, the file of its secret, the scope.
    #[serde(default)]
    pub token_url: String,
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub client_secret_file: String,
    #[serde(default)]
    pub scope: String,
    /// `attribute` (the User's `roles`) or `groups` (one SCIM Group per role, members by PATCH).
    #[serde(default)]
    pub roles_as: super::provisioning_more::RolesAs,
}

impl Provisioning {
    /// The SCIM attribute that carries `source`, if mapped.
    pub fn path_of(&self, source: Source) -> Option<&str> {
        self.attributes.iter().find(|(_, s)| **s == source).map(|(k, _)| k.as_str())
    }
}

/// Whether `path` is a SCIM attribute path tobira can write: `attr`, `attr.sub`, or `urn:…:attr`
/// (with an optional `.sub`).
pub fn path_ok(path: &str) -> bool {
    let name = |s: &str| !s.is_empty() && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$');
    let local = if path.starts_with("urn:") {
        match path.rsplit_once(':') {
            Some((urn, attr)) if urn.len() > 4 && !urn.contains(char::is_whitespace) => attr,
            _ => return false,
        }
    } else {
        path
    };
    let parts: Vec<&str> = local.split('.').collect();
    parts.len() <= 2 && parts.iter().all(|p| name(p))
}

/// The problems of one system's settings, as messages (the caller adds file and line).
pub fn problems(system: &str, p: &Provisioning) -> Vec<(std::ops::Range<usize>, String)> {
    let mut out = Vec::new();
    if let Err(e) = super::clients_validate::redirect_uri_ok(p.base_url.get_ref()) {
        out.push((p.base_url.span(), format!("system `{system}`: provisioning.base_url `{}` {e}", p.base_url.get_ref())));
    }
    super::provisioning_more::problems(system, p, &mut out);
    if p.auth == super::provisioning_more::Auth::Bearer && p.token_file.get_ref().trim().is_empty() {
        out.push((
            if p.token_file.span().is_empty() { p.base_url.span() } else { p.token_file.span() },
            format!("system `{system}`: provisioning.token_file is empty; name the file that holds the bearer token"),
        ));
    }
    if p.attributes.get("userName") != Some(&Source::LoginId) {
        out.push((p.base_url.span(), format!("system `{system}`: provisioning.attributes must map userName = \"login_id\"")));
    }
    if p.attributes.get("externalId") != Some(&Source::Subject) {
        out.push((p.base_url.span(), format!("system `{system}`: provisioning.attributes must map externalId = \"subject\" (tobira's stable subject)")));
    }
    for path in p.attributes.keys() {
        if !path_ok(path) {
            out.push((p.base_url.span(), format!("system `{system}`: provisioning.attributes: `{path}` is not a SCIM attribute path (attr, attr.sub or urn:…:attr)")));
        }
        if path == "active" || path == "id" || path == "meta" || path == "schemas" {
            out.push((p.base_url.span(), format!("system `{system}`: provisioning.attributes: `{path}` is set by tobira itself and cannot be mapped")));
        }
    }
    if p.delete_after_days > 3650 {
        out.push((p.base_url.span(), format!("system `{system}`: provisioning.delete_after_days {} is over 3650 (ten years)", p.delete_after_days)));
    }
    if !(1..=600).contains(&p.timeout_seconds) {
        out.push((p.base_url.span(), format!("system `{system}`: provisioning.timeout_seconds must be between 1 and 600")));
    }
    if !(1..=86_400).contains(&p.retry_max_seconds) {
        out.push((p.base_url.span(), format!("system `{system}`: provisioning.retry_max_seconds must be between 1 and 86400")));
    }
    if !(1..=10_000).contains(&p.batch) {
        out.push((p.base_url.span(), format!("system `{system}`: provisioning.batch must be between 1 and 10000")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_paths() {
        for ok in ["userName", "name.formatted", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "urn:x:city:1.0:User:nameKana"] {
            assert!(path_ok(ok), "{ok}");
        }
        for bad in ["", "a.b.c", "1abc", "name formatted", "urn:", "emails[type eq \"work\"].value"] {
            assert!(!path_ok(bad), "{bad}");
        }
    }

    /// The example policy with a provisioning section added to the groupware system.
    fn with_section(section: &str) -> Result<crate::policy::Policy, Vec<crate::policy::PolicyError>> {
        let mut files = crate::test_support::example_files();
        let f = files.iter_mut().find(|f| f.name.ends_with("systems.toml")).unwrap();
        let anchor = "service_manager = \"情報政策課 係長\" }\n";
        assert!(f.text.contains(anchor));
        f.text = f.text.replacen(anchor, &format!("{anchor}[systems.provisioning]\n{section}\n"), 1);
        crate::policy::load(&files).map_err(|e| e.0)
    }

    #[test]
    fn r_lc_01_provisioning_settings_are_checked_with_clear_errors() {
        let ok = with_section("kind = \"scim\"\nbase_url = \"https://gw.example.jp/scim/v2\"\ntoken_file = \"/etc/tobira/gw.token\"").unwrap();
        let p = ok.systems.iter().find(|s| s.id.get_ref() == "groupware").unwrap().provisioning.as_ref().unwrap();
        assert_eq!((p.delete_after_days, p.timeout_seconds, p.every_seconds), (90, 30, 60), "safe defaults");
        let cases = [
            ("kind = \"scim\"\nbase_url = \"http://gw.example.jp/scim/v2\"\ntoken_file = \"/t\"", "only https is allowed"),
            ("kind = \"scim\"\nbase_url = \"https://gw.example.jp\"\ntoken_file = \" \"", "token_file is empty"),
            ("kind = \"scim\"\nbase_url = \"https://gw.example.jp\"\ntoken_file = \"/t\"\ndelete_after_days = 5000", "over 3650"),
            ("kind = \"scim\"\nbase_url = \"https://gw.example.jp\"\ntoken_file = \"/t\"\n[systems.provisioning.attributes]\nuserName = \"mail\"\nexternalId = \"subject\"", "userName = \"login_id\""),
            (
                "kind = \"scim\"\nbase_url = \"https://gw.example.jp\"\ntoken_file = \"/t\"\n[systems.provisioning.attributes]\nuserName = \"login_id\"\nexternalId = \"subject\"\nactive = \"title\"",
                "set by tobira itself",
            ),
            ("kind = \"file\"\nbase_url = \"https://gw.example.jp\"\ntoken_file = \"/t\"", "unknown variant"),
        ];
        for (section, msg) in cases {
            let errs = with_section(section).expect_err(section);
            assert!(errs.iter().any(|e| e.message.contains(msg) && e.file.ends_with("systems.toml") && e.line.is_some()), "{section}: {errs:#?}");
            assert!(errs.iter().all(|e| !e.message.contains("Spanned")), "no Debug output: {errs:#?}");
        }
    }

    #[test]
    fn the_default_mapping_sends_the_login_and_the_subject() {
        let m = default_mapping();
        assert_eq!(m["userName"], Source::LoginId);
        assert_eq!(m["externalId"], Source::Subject);
    }
}
