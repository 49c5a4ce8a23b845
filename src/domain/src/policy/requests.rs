//! Access requests and separation of duties in the policy (R-LC-02, R-AC-01): which roles staff may
//! ask for (`requestable = true`, never a privileged or officer role, for at most
//! `max_request_days`), how long an undecided request waits (`[access_requests]`), and the `[[sod]]`
//! pairs of roles one person may not hold at once, each with the reason shown to whoever is refused.
//!
//! Invariants of a loaded policy: a requestable role is neither privileged nor an officer function's;
//! every SoD rule names two distinct roles that exist and gives a reason; no single birthright rule
//! grants both roles of a pair.

use super::validate_ctx::Ctx;
use super::{Id, Merged};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A pair of roles one person may not hold at once (職務の分離), e.g. 課税 入力 and 課税 承認.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SodRule {
    pub id: Id,
    /// Exactly two role ids.
    pub roles: Vec<Id>,
    /// Why the two are kept apart (shown on a refusal, in Japanese).
    pub reason: String,
    #[serde(skip)]
    pub file: usize,
}

impl SodRule {
    /// The other role of the pair when `role` is one of them.
    pub fn other(&self, role: &str) -> Option<&str> {
        match self.roles.as_slice() {
            [a, b] if a.get_ref() == role => Some(b.get_ref()),
            [a, b] if b.get_ref() == role => Some(a.get_ref()),
            _ => None,
        }
    }
}

/// `[access_requests]`: the limits of the request flow.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RequestRules {
    /// Days an undecided request waits before it lapses. Two weeks: long enough for an approver's
    /// leave, short enough that a forgotten request does not become access months later.
    pub lapse_days: u32,
    /// The longest a requested grant runs when the role sets no `max_request_days`: one fiscal
    /// year, so every requested grant is asked for again at least yearly.
    pub default_max_days: u32,
    /// The most open (asked, undecided) requests one account may have at once.
    pub max_open_per_account: u32,
}

impl Default for RequestRules {
    fn default() -> Self {
        RequestRules { lapse_days: 14, default_max_days: 365, max_open_per_account: 20 }
    }
}

pub(super) fn check(c: &mut Ctx, m: &Merged, roles: &BTreeSet<String>) {
    let officer_roles: BTreeSet<&str> =
        m.officers.iter().flat_map(|(_, o)| o.values()).map(|o| o.role.get_ref().as_str()).collect();
    for r in &m.roles {
        let id = r.id.get_ref();
        if r.requestable && r.privileged {
            c.at(r.file, r.id.span(), format!("role `{id}` is privileged and cannot be requestable; privileged roles come only by elevation (R-PR-02)"));
        } else if r.requestable && officer_roles.contains(id.as_str()) {
            c.at(r.file, r.id.span(), format!("role `{id}` confers an officer function and cannot be requestable; officers are appointed (R-AC-09)"));
        }
        if let Some(d) = &r.max_request_days {
            if !r.requestable {
                c.at(r.file, d.span(), format!("role `{id}` sets max_request_days but is not requestable (set requestable = true, or remove the line)"));
            } else if *d.get_ref() == 0 {
                c.at(r.file, d.span(), format!("role `{id}`: max_request_days must be at least 1"));
            }
        }
    }
    c.unique("sod rule", m.sod.iter().map(|s| (s.file, &s.id)));
    for s in &m.sod {
        let id = s.id.get_ref();
        if s.roles.len() != 2 || s.roles[0].get_ref() == s.roles[1].get_ref() {
            c.at(s.file, s.id.span(), format!("sod rule `{id}` must name exactly two different roles"));
        }
        for r in &s.roles {
            if !roles.contains(r.get_ref()) {
                c.at(
                    s.file,
                    r.span(),
                    format!("sod rule `{id}` names role `{}`, which no [[roles]] entry defines", r.get_ref()),
                );
            }
        }
        if s.reason.trim().is_empty() {
            c.at(
                s.file,
                s.id.span(),
                format!("sod rule `{id}` gives no reason (reason = \"…\"): the refusal shows it"),
            );
        }
        for b in &m.birthright {
            let grants = |r: &Id| b.roles.iter().any(|x| x.get_ref() == r.get_ref());
            if s.roles.len() == 2 && s.roles.iter().all(grants) {
                c.at(
                    b.file,
                    b.id.span(),
                    format!("birthright rule `{}` grants both roles of sod rule `{id}` ({})", b.id.get_ref(), s.reason),
                );
            }
        }
    }
    if let Some((file, r)) = &m.access_requests {
        for (key, v) in [
            ("lapse_days", r.lapse_days),
            ("default_max_days", r.default_max_days),
            ("max_open_per_account", r.max_open_per_account),
        ] {
            if v == 0 {
                c.at(*file, 0..0, format!("access_requests.{key} must be at least 1"));
            }
        }
    }
}
