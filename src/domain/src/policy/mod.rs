//! The typed policy model that the municipality's TOML files parse into, and its validation.
//!
//! A policy is a set of files (`policies/*.toml`); each file may hold any of the sections below, a
//! single-valued section (`[municipality]`, `[password]` …) in one file only, list sections
//! (`[[systems]]`, `[[roles]]` …) spread over several. [`load`] parses every file, merges them and
//! validates the whole; it returns either a [`Policy`] or every error found, each naming its file and
//! line. Loading is pure: the caller reads the files.
//!
//! Invariants of a loaded `Policy`: ids are unique per kind; every reference (a system's zone and
//! classification, a role's system, a birthright rule's roles, an officer's role and substitutes)
//! resolves; a My Number zone requires two factor kinds and no system lowers that (R-AU-02); privileged
//! rules are at least as strict as staff ones (R-PR-05, R-PR-07); privileged roles are never birthright.

pub mod clients;
mod clients_validate;
pub mod console;
pub mod directory;
mod error;
pub mod model;
pub mod officers;
pub mod onboarding;
pub mod provisioning;
pub mod provisioning_more;
pub mod requests;
pub mod settings;
mod validate;
mod validate_access;
mod validate_credentials;
mod validate_ctx;
mod validate_settings;
pub mod warnings;

pub use clients::{Client, ClientAuth, GrantType, OidcRules, SigningAlg};
pub use console::ConsoleRules;
pub use error::{line_of, PolicyError, PolicyErrors};
pub use model::*;
pub use officers::*;
pub use onboarding::OnboardingRules;
pub use requests::{RequestRules, SodRule};
pub use settings::*;

use directory::{DirectoryMapping, SyncRules};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use toml::Spanned;

/// One policy file as read from disk.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The name used in messages (the path as given).
    pub name: String,
    pub text: String,
}

/// What one file may contain.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    municipality: Option<Municipality>,
    classification: Option<ClassificationScale>,
    #[serde(default)]
    networks: Vec<Network>,
    #[serde(default)]
    zones: Vec<Zone>,
    #[serde(default)]
    systems: Vec<System>,
    #[serde(default)]
    roles: Vec<Role>,
    #[serde(default)]
    birthright: Vec<BirthrightRule>,
    #[serde(default)]
    sod: Vec<SodRule>,
    access_requests: Option<RequestRules>,
    #[serde(default)]
    clients: Vec<Client>,
    oidc: Option<OidcRules>,
    officers: Option<BTreeMap<OfficerFunction, Officer>>,
    approvals: Option<Approvals>,
    password: Option<PasswordRules>,
    lockout: Option<LockoutRules>,
    session: Option<SessionRules>,
    signin: Option<SigninRules>,
    privileged: Option<PrivilegedRules>,
    review: Option<ReviewRules>,
    audit: Option<AuditRules>,
    console: Option<ConsoleRules>,
    onboarding: Option<OnboardingRules>,
    directory: Option<DirectoryMapping>,
    sync: Option<SyncRules>,
}

/// A complete, validated policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// File names in load order; items' `file` fields index into it.
    pub files: Vec<String>,
    /// SHA-256 over every file's name and content (R-LG-09).
    pub digest: String,
    pub municipality: Municipality,
    pub classification: ClassificationScale,
    pub networks: Vec<Network>,
    pub zones: Vec<Zone>,
    pub systems: Vec<System>,
    pub roles: Vec<Role>,
    pub birthright: Vec<BirthrightRule>,
    /// Pairs of roles one person may not hold at once (R-AC-01).
    pub sod: Vec<SodRule>,
    /// The limits of access requests (R-LC-02).
    pub access_requests: RequestRules,
    /// OAuth / OpenID Connect clients of the systems (R-AC-05, R-AC-10).
    pub clients: Vec<Client>,
    pub oidc: OidcRules,
    pub officers: BTreeMap<OfficerFunction, Officer>,
    pub approvals: Approvals,
    pub password: PasswordRules,
    pub lockout: LockoutRules,
    pub session: SessionRules,
    pub signin: SigninRules,
    pub privileged: PrivilegedRules,
    pub review: ReviewRules,
    pub audit: AuditRules,
    /// The operator's console: page sizes and export bounds.
    pub console: ConsoleRules,
    /// Onboarding acknowledgements and training before an account is usable (R-LC-11).
    pub onboarding: OnboardingRules,
    pub directory: Option<DirectoryMapping>,
    pub sync: SyncRules,
}

impl Default for Approvals {
    fn default() -> Self {
        let one = |a| vec![Spanned::new(0..0, a)];
        Approvals {
            exception: one(Approver::Ciso),
            exception_emergency: officers::default_exception_emergency(),
            delegate: one(Approver::Ciso),
            system_connection: one(Approver::Ciso),
            elevation: one(Approver::SystemOwner),
            sync_hold: one(Approver::SecurityOfficer),
            remote_access: one(Approver::HeadOfSection),
            recertification: officers::default_recertification(),
            review_escalation: officers::default_escalation(),
            dormant_restore: officers::default_dormant_restore(),
            audit_search: officers::default_audit_search(),
            officer_action: officers::default_officer_action(),
            access_request: officers::default_access_request(),
        }
    }
}

/// SHA-256 over the files sorted by name, each as name, NUL, length, NUL, content.
pub fn digest(files: &[SourceFile]) -> String {
    let mut sorted: Vec<&SourceFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut h = Sha256::new();
    for f in sorted {
        h.update(f.name.as_bytes());
        h.update([0]);
        h.update(f.text.len().to_string().as_bytes());
        h.update([0]);
        h.update(f.text.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Parses, merges and validates a set of policy files.
pub fn load(files: &[SourceFile]) -> Result<Policy, PolicyErrors> {
    let mut errors = Vec::new();
    if files.is_empty() {
        return Err(PolicyErrors(vec![PolicyError {
            file: "(policy)".into(),
            line: None,
            message: "no policy files (*.toml) found".into(),
        }]));
    }
    let mut merged = Merged::default();
    for (idx, f) in files.iter().enumerate() {
        match toml::from_str::<PolicyFile>(&f.text) {
            Ok(pf) => merged.absorb(idx, f, pf, &mut errors),
            Err(e) => errors.push(PolicyError {
                file: f.name.clone(),
                line: e.span().map(|s| line_of(&f.text, s.start)),
                message: e.message().trim().to_string(),
            }),
        }
    }
    if !errors.is_empty() {
        // Validation over a partial policy would report references to whatever failed to parse.
        return Err(PolicyErrors(errors));
    }
    validate::build(files, merged)
}

/// Sections gathered from all files before validation; singletons remember their file.
#[derive(Default)]
struct Merged {
    municipality: Option<(usize, Municipality)>,
    classification: Option<(usize, ClassificationScale)>,
    networks: Vec<Network>,
    zones: Vec<Zone>,
    systems: Vec<System>,
    roles: Vec<Role>,
    birthright: Vec<BirthrightRule>,
    sod: Vec<SodRule>,
    access_requests: Option<(usize, RequestRules)>,
    clients: Vec<Client>,
    oidc: Option<(usize, OidcRules)>,
    officers: Option<(usize, BTreeMap<OfficerFunction, Officer>)>,
    approvals: Option<(usize, Approvals)>,
    password: Option<(usize, PasswordRules)>,
    lockout: Option<(usize, LockoutRules)>,
    session: Option<(usize, SessionRules)>,
    signin: Option<(usize, SigninRules)>,
    privileged: Option<(usize, PrivilegedRules)>,
    review: Option<(usize, ReviewRules)>,
    audit: Option<(usize, AuditRules)>,
    console: Option<(usize, ConsoleRules)>,
    onboarding: Option<(usize, OnboardingRules)>,
    directory: Option<(usize, DirectoryMapping)>,
    sync: Option<(usize, SyncRules)>,
}

impl Merged {
    fn absorb(&mut self, idx: usize, f: &SourceFile, pf: PolicyFile, errors: &mut Vec<PolicyError>) {
        fn single<T>(
            slot: &mut Option<(usize, T)>,
            v: Option<T>,
            idx: usize,
            name: &str,
            f: &SourceFile,
            errors: &mut Vec<PolicyError>,
        ) {
            if let Some(v) = v {
                if slot.is_some() {
                    errors.push(PolicyError {
                        file: f.name.clone(),
                        line: section_line(&f.text, name),
                        message: format!("[{name}] is defined in more than one file; keep it in one"),
                    });
                } else {
                    *slot = Some((idx, v));
                }
            }
        }
        single(&mut self.municipality, pf.municipality, idx, "municipality", f, errors);
        single(&mut self.classification, pf.classification, idx, "classification", f, errors);
        single(&mut self.officers, pf.officers, idx, "officers", f, errors);
        single(&mut self.approvals, pf.approvals, idx, "approvals", f, errors);
        single(&mut self.password, pf.password, idx, "password", f, errors);
        single(&mut self.lockout, pf.lockout, idx, "lockout", f, errors);
        single(&mut self.session, pf.session, idx, "session", f, errors);
        single(&mut self.signin, pf.signin, idx, "signin", f, errors);
        single(&mut self.privileged, pf.privileged, idx, "privileged", f, errors);
        single(&mut self.review, pf.review, idx, "review", f, errors);
        single(&mut self.audit, pf.audit, idx, "audit", f, errors);
        single(&mut self.console, pf.console, idx, "console", f, errors);
        single(&mut self.onboarding, pf.onboarding, idx, "onboarding", f, errors);
        single(&mut self.directory, pf.directory, idx, "directory", f, errors);
        single(&mut self.sync, pf.sync, idx, "sync", f, errors);
        single(&mut self.oidc, pf.oidc, idx, "oidc", f, errors);
        single(&mut self.access_requests, pf.access_requests, idx, "access_requests", f, errors);
        if let Some((_, c)) = self.classification.as_mut().filter(|(i, _)| *i == idx) {
            c.levels.iter_mut().for_each(|l| l.file = idx);
        }
        self.networks.extend(pf.networks.into_iter().map(|mut n| {
            n.file = idx;
            n
        }));
        self.zones.extend(pf.zones.into_iter().map(|mut z| {
            z.file = idx;
            z
        }));
        self.systems.extend(pf.systems.into_iter().map(|mut s| {
            s.file = idx;
            s
        }));
        self.roles.extend(pf.roles.into_iter().map(|mut r| {
            r.file = idx;
            r
        }));
        self.birthright.extend(pf.birthright.into_iter().map(|mut b| {
            b.file = idx;
            b
        }));
        self.sod.extend(pf.sod.into_iter().map(|mut s| {
            s.file = idx;
            s
        }));
        self.clients.extend(pf.clients.into_iter().map(|mut c| {
            c.file = idx;
            c
        }));
    }
}

/// The line where `[name`, `[name.` or `name =` first starts a line, if any.
fn section_line(text: &str, name: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.starts_with(&format!("[{name}]"))
                || l.starts_with(&format!("[{name}."))
                || l.starts_with(&format!("{name} ="))
        })
        .map(|i| i + 1)
}

impl Policy {
    pub fn system(&self, id: &str) -> Option<&System> {
        self.systems.iter().find(|s| s.id.get_ref() == id)
    }

    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.id.get_ref() == id)
    }

    /// The longest a requested grant of `role` may run, in days.
    pub fn max_request_days(&self, role: &Role) -> u32 {
        role.max_request_days.as_ref().map_or(self.access_requests.default_max_days, |d| *d.get_ref())
    }

    pub fn client(&self, id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.id.get_ref() == id)
    }

    /// The longest lifetime of any token tobira signs, in minutes: a retired signing key stays
    /// published at least this long.
    pub fn longest_token_minutes(&self) -> u32 {
        let o = &self.oidc;
        self.clients
            .iter()
            .map(|c| c.access_minutes(o))
            .chain([o.access_token_minutes, o.id_token_minutes])
            .max()
            .unwrap_or(o.id_token_minutes)
    }

    pub fn zone(&self, id: &str) -> Option<&Zone> {
        self.zones.iter().find(|z| z.id.get_ref() == id)
    }

    pub fn level(&self, id: &str) -> Option<&ClassificationLevel> {
        self.classification.levels.iter().find(|l| l.id.get_ref() == id)
    }

    /// 0 for the highest level of the scale, 1 for the next …
    pub fn level_rank(&self, id: &str) -> Option<usize> {
        self.classification.levels.iter().position(|l| l.id.get_ref() == id)
    }

    /// Distinct factor kinds a sign-in to `system` needs: the strictest of its zone, its
    /// classification and its own setting (R-AU-02, R-AU-03, R-ZN-02).
    pub fn required_factor_kinds(&self, system: &System) -> u8 {
        let zone = self.zone(system.zone.get_ref()).map_or(1, |z| *z.min_factor_kinds.get_ref());
        let level = self.level(system.classification.get_ref()).map_or(1, |l| *l.min_factor_kinds.get_ref());
        let own = system.min_factor_kinds.as_ref().map_or(1, |m| *m.get_ref());
        zone.max(level).max(own)
    }

    /// The role that confers an officer function, if the policy defines that function.
    pub fn officer_role(&self, f: OfficerFunction) -> Option<&str> {
        self.officers.get(&f).map(|o| o.role.get_ref().as_str())
    }

    /// The system that holds tobira's own officer roles (the system of the security officer's role).
    pub fn service_system(&self) -> Option<&System> {
        let role = self.role(self.officer_role(OfficerFunction::SecurityOfficer)?)?;
        self.system(role.system.get_ref())
    }
}

#[cfg(test)]
mod tests;
