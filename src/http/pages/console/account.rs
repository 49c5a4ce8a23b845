//! One account of the person page as its template shows it: status and flags, locks, password,
//! grants, factors, sessions, remote access, sign-ins and failures, dates in JST.

use super::flags;
use crate::app::console::person;
use crate::http::pages::console_text::{self as ct, ConsoleText};
use crate::http::pages::Ctx;

pub struct GrantRow {
    pub role: String,
    pub source: String,
    pub valid: String,
    pub approved_by: String,
    pub revoked: bool,
}

pub struct FactorRow {
    pub id: String,
    pub kind: &'static str,
    pub name: String,
    pub created: String,
}

pub struct AccountBlock {
    pub login_id: String,
    pub status: &'static str,
    pub code: String,
    pub flags: Vec<&'static str>,
    pub locks: Vec<String>,
    pub password: &'static str,
    pub grants: Vec<GrantRow>,
    pub factors: Vec<FactorRow>,
    /// (started, last seen, from)
    pub sessions: Vec<(String, String, String)>,
    /// (valid, approved by, reason, revoked)
    pub remote: Vec<(String, String, String, bool)>,
    /// (when, how, from)
    pub sign_ins: Vec<(String, String, String)>,
    pub failures: Vec<(String, String, String)>,
    /// A member of staff's account: the helpdesk's buttons may show (the server decides again).
    pub staff: bool,
}

pub(super) fn block(c: &Ctx, k: &'static ConsoleText, a: &person::AccountView) -> AccountBlock {
    let ja = c.t.lang == "ja";
    let when = |ms: Option<i64>| ms.map_or_else(|| "—".to_string(), |m| c.when(m));
    let record = |r: &tobira_domain::audit::AuditRecord| {
        (c.when(r.occurred_at), ct::methods(ja, &r.event.details), r.event.source_ip.clone().unwrap_or_default())
    };
    AccountBlock {
        login_id: a.account.login_id.clone(),
        status: ct::status(k, &a.account.status),
        code: a.account.status.clone(),
        flags: flags(k, a.account.is_privileged, a.account.is_shared, a.account.is_vendor, a.account.is_development),
        locks: a
            .locks
            .iter()
            .map(|(scope, until)| {
                format!("{scope}: {}", until.map_or_else(|| k.locked_until_unlock.to_string(), |u| c.when(u)))
            })
            .collect(),
        password: match a.password {
            Some(true) => k.password_temporary,
            Some(false) => k.password_set,
            None => k.password_none,
        },
        grants: a
            .grants
            .iter()
            .map(|g| GrantRow {
                role: g.role_id.clone(),
                source: g.source.clone(),
                valid: format!("{} – {}", c.when(g.valid_from), when(g.valid_until)),
                approved_by: g.approved_by.clone().unwrap_or_else(|| "—".into()),
                revoked: g.revoked_at.is_some(),
            })
            .collect(),
        factors: a
            .factors
            .iter()
            .map(|f| FactorRow {
                id: f.id.clone(),
                kind: if f.kind == "totp" { "TOTP" } else { "WebAuthn" },
                name: f.name.clone(),
                created: c.when(f.created_at),
            })
            .collect(),
        sessions: a
            .sessions
            .iter()
            .map(|s| (c.when(s.created_at), c.when(s.last_seen_at), s.source_ip.clone().unwrap_or_default()))
            .collect(),
        remote: a
            .remote_access
            .iter()
            .map(|r| {
                (
                    format!("{} – {}", c.when(r.valid_from), c.when(r.valid_until)),
                    r.approved_by.clone(),
                    r.reason.clone(),
                    r.revoked_at.is_some(),
                )
            })
            .collect(),
        sign_ins: a.sign_ins.iter().map(record).collect(),
        failures: a.failures.iter().map(record).collect(),
        staff: false,
    }
}
