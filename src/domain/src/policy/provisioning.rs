//! `[systems.provisioning]`: how tobira pushes a business system's accounts to that system's own
//! user table (R-LC-01, R-LC-03, R-LC-08): a SCIM 2.0 service provider (RFC 7643, RFC 7644), its
//! bearer token file and the city CA, or signed numbered files carried across the air gap to a
//! system of the My Number zone (R-ZN-04); the attribute mapping, the retention of leavers'
//! resources and the delivery's retry, batch and receipt limits.
//!
//! Validation ([`check`]) names the file and line of every mistake; nothing here reads a file.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use toml::Spanned;

/// How the changes reach the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvisioningKind {
    /// SCIM 2.0 over the network.
    Scim,
    /// Signed, numbered files in a directory, carried by the city's approved medium (R-ZN-04).
    File,
}

/// The character encoding of a file system's CSV (the JSON lines are always UTF-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum FileEncoding {
    #[default]
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "shift_jis")]
    ShiftJis,
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
    .chain([
        (format!("{ENTERPRISE}:department"), Source::DepartmentName),
        (format!("{ENTERPRISE}:employeeNumber"), Source::EmployeeNumber),
    ])
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
fn default_receipt_max_hours() -> u32 {
    72
}

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

/// A system's provisioning settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provisioning {
    pub kind: Spanned<ProvisioningKind>,
    /// SCIM: the service provider's base URL (…/scim/v2): https, or http on the loopback host only.
    #[serde(default)]
    pub base_url: Option<Spanned<String>>,
    /// SCIM: a file holding the bearer token (one line); read at each round, never logged.
    #[serde(default)]
    pub token_file: Option<Spanned<String>>,
    /// SCIM: PEM file of the city CA that signed the system's certificate, besides the trust store.
    #[serde(default)]
    pub ca_file: Option<Spanned<String>>,
    /// File: the directory the numbered batches are written to.
    #[serde(default)]
    pub out_dir: Option<Spanned<String>>,
    /// File: the directory the zone side's receipts are read from (default: `out_dir`).
    #[serde(default)]
    pub receipt_dir: Option<Spanned<String>>,
    /// File: the CSV's encoding, `utf-8` (default) or `shift_jis`.
    #[serde(default)]
    pub encoding: Option<Spanned<FileEncoding>>,
    /// File: tobira's Ed25519 signing key for this system, sealed under the master key; created at
    /// the first batch or by `tobira provisioning public-key`.
    #[serde(default)]
    pub signing_key_file: Option<Spanned<String>>,
    /// File: hours a batch may wait for its receipt before it gives a finding.
    #[serde(default)]
    pub receipt_max_hours: Option<Spanned<u32>>,
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
    #[serde(default = "default_reconcile_hours")]
    pub reconcile_every_hours: u32,
    /// Whether the scheduled reconciliation queues its fixes (`--repair`); by default it reports only.
    #[serde(default)]
    pub reconcile_repair: bool,
    /// `bearer` (the token in `token_file`) or `client_credentials` (RFC 6749 §4.4).
    #[serde(default)]
    pub auth: Auth,
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
    pub roles_as: RolesAs,
}

impl Provisioning {
    /// The SCIM base URL ("" for a file system).
    pub fn base_url(&self) -> &str {
        self.base_url.as_ref().map_or("", |u| u.get_ref().as_str())
    }
    /// The bearer token file ("" for a file system).
    pub fn token_file(&self) -> &str {
        self.token_file.as_ref().map_or("", |u| u.get_ref().as_str())
    }
    /// The city CA file, if given.
    pub fn ca_file(&self) -> Option<&str> {
        self.ca_file.as_ref().map(|u| u.get_ref().as_str()).filter(|f| !f.trim().is_empty())
    }
    pub fn is_file(&self) -> bool {
        *self.kind.get_ref() == ProvisioningKind::File
    }
    /// The batch directory ("" for a SCIM system).
    pub fn out_dir(&self) -> &str {
        self.out_dir.as_ref().map_or("", |u| u.get_ref().as_str())
    }
    /// The receipt directory: `receipt_dir`, or `out_dir` when not given.
    pub fn receipt_dir(&self) -> &str {
        self.receipt_dir.as_ref().map_or(self.out_dir(), |u| u.get_ref().as_str())
    }
    pub fn encoding(&self) -> FileEncoding {
        self.encoding.as_ref().map_or(FileEncoding::Utf8, |e| *e.get_ref())
    }
    /// The sealed signing key's file ("" for a SCIM system).
    pub fn signing_key_file(&self) -> &str {
        self.signing_key_file.as_ref().map_or("", |u| u.get_ref().as_str())
    }
    pub fn receipt_max_hours(&self) -> u32 {
        self.receipt_max_hours.as_ref().map_or(default_receipt_max_hours(), |h| *h.get_ref())
    }

    /// The SCIM attribute that carries `source`, if mapped.
    pub fn path_of(&self, source: Source) -> Option<&str> {
        self.attributes.iter().find(|(_, s)| **s == source).map(|(k, _)| k.as_str())
    }
}

/// Whether `path` is a SCIM attribute path tobira can write: `attr`, `attr.sub`, or `urn:…:attr`
/// (with an optional `.sub`).
pub fn path_ok(path: &str) -> bool {
    let name = |s: &str| {
        !s.is_empty()
            && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_paths() {
        for ok in [
            "userName",
            "name.formatted",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "urn:x:city:1.0:User:nameKana",
        ] {
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
        let ok = with_section(
            "kind = \"scim\"\nbase_url = \"https://gw.example.jp/scim/v2\"\ntoken_file = \"/etc/tobira/gw.token\"",
        )
        .unwrap();
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
            ("kind = \"ftp\"\nbase_url = \"https://gw.example.jp\"\ntoken_file = \"/t\"", "unknown variant"),
            ("kind = \"file\"\nout_dir = \"/x\"\nsigning_key_file = \"/k\"\nbase_url = \"https://gw.example.jp\"", "base_url is a setting of kind = \"scim\""),
            ("kind = \"file\"\nsigning_key_file = \"/k\"", "needs provisioning.out_dir"),
            ("kind = \"file\"\nout_dir = \"spool\"\nsigning_key_file = \"/k\"", "must be an absolute path"),
            ("kind = \"file\"\nout_dir = \"/x\"\nsigning_key_file = \"/k\"\nreceipt_max_hours = 0", "between 1 and 2160"),
            ("kind = \"file\"\nout_dir = \"/x\"\nsigning_key_file = \"/k\"\nencoding = \"euc-jp\"", "unknown variant"),
            ("kind = \"scim\"\nbase_url = \"https://gw.example.jp\"\ntoken_file = \"/t\"\nout_dir = \"/x\"", "out_dir is a setting of kind = \"file\""),
            ("kind = \"scim\"\ntoken_file = \"/t\"", "needs provisioning.base_url"),
        ];
        for (section, msg) in cases {
            let errs = with_section(section).expect_err(section);
            assert!(
                errs.iter().any(|e| e.message.contains(msg) && e.file.ends_with("systems.toml") && e.line.is_some()),
                "{section}: {errs:#?}"
            );
            assert!(errs.iter().all(|e| !e.message.contains("Spanned")), "no Debug output: {errs:#?}");
        }
    }

    #[test]
    fn r_zn_04_a_file_system_is_accepted_and_a_my_number_system_is_refused_scim() {
        let ok = with_section("kind = \"file\"\nout_dir = \"/var/spool/tobira/gw\"\nsigning_key_file = \"/etc/tobira/gw.filekey\"\nencoding = \"shift_jis\"").unwrap();
        let p = ok.systems.iter().find(|s| s.id.get_ref() == "groupware").unwrap().provisioning.as_ref().unwrap();
        assert!(p.is_file());
        assert_eq!(
            (p.encoding(), p.receipt_dir(), p.receipt_max_hours()),
            (FileEncoding::ShiftJis, "/var/spool/tobira/gw", 72),
            "receipts in out_dir by default"
        );
        // A system of the My Number zone over SCIM is refused.
        let mut files = crate::test_support::example_files();
        let f = files.iter_mut().find(|f| f.name.ends_with("systems.toml")).unwrap();
        let start = f.text.find("zone = \"mynumber\"").unwrap();
        let end = start + f.text[start..].find("approval =").unwrap();
        let close = end + f.text[end..].find("}\n").unwrap() + 2;
        f.text.insert_str(close, "[systems.provisioning]\nkind = \"scim\"\nbase_url = \"https://kikan.example.jp/scim/v2\"\ntoken_file = \"/t\"\n");
        let errs = crate::policy::load(&files).expect_err("refused").0;
        assert!(
            errs.iter().any(
                |e| e.message.contains("My Number zone, which is not reached over the network") && e.line.is_some()
            ),
            "{errs:#?}"
        );
    }

    #[test]
    fn the_default_mapping_sends_the_login_and_the_subject() {
        let m = default_mapping();
        assert_eq!(m["userName"], Source::LoginId);
        assert_eq!(m["externalId"], Source::Subject);
    }
}
