//! Reconciliation of a provisioned system (R-LC-04): what the system's User list holds compared
//! with what tobira says it should hold, and the repair plan within the HR sync's removal limits.
//!
//! Pure: the caller lists the Users (with paging) and loads tobira's links. Invariants:
//! - an orphan is a User with no `externalId` or with one tobira made (an account id it knows) that
//!   tobira does not expect there; a User with someone else's `externalId` is counted, never touched;
//! - a repair never deletes: orphans are deactivated (`active: false`), and only within
//!   `sync.max_removals` / `sync.max_removal_percent` (the same check as the HR sync); beyond them
//!   every deactivation is held (reported, not done) while creations and corrections still go ahead.

use super::{scim_user, Resource};
use crate::lifecycle::hold::limits_exceeded;
use crate::policy::directory::SyncRules;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// What tobira says the system should hold for one account (its link that is not deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub account_id: String,
    pub resource: Resource,
}

/// A User as the system lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listed {
    pub id: String,
    pub user_name: String,
    pub external_id: Option<String>,
    pub active: bool,
    #[serde(skip)]
    pub user: Value,
}

impl Listed {
    /// The listed User from its SCIM JSON; `None` without an id. `active` is true when absent (RFC 7643).
    pub fn from_json(v: &Value) -> Option<Listed> {
        Some(Listed {
            id: v.get("id")?.as_str()?.to_string(),
            user_name: v.get("userName").and_then(Value::as_str).unwrap_or("").to_string(),
            external_id: v.get("externalId").and_then(Value::as_str).map(String::from),
            active: v.get("active").and_then(Value::as_bool).unwrap_or(true),
            user: v.clone(),
        })
    }
}

/// A User whose attributes differ from what tobira sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Wrong {
    pub account_id: String,
    pub remote_id: String,
    pub user_name: String,
    /// The mapped paths (and `active`) that differ.
    pub attributes: Vec<String>,
}

/// The drift of one system, and what a repair does within the limits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Drift {
    pub listed: usize,
    /// Users with someone else's `externalId`: not tobira's, left alone.
    pub foreign: usize,
    pub orphans: Vec<Listed>,
    /// Expected active, absent: account ids.
    pub missing: Vec<String>,
    pub wrong: Vec<Wrong>,
    /// Every removal limit the deactivations exceed (empty: none; then they are done on repair).
    pub held: Vec<String>,
}

impl Drift {
    /// Orphans still active: what a repair deactivates.
    pub fn deactivations(&self) -> Vec<&Listed> {
        self.orphans.iter().filter(|o| o.active).collect()
    }
    pub fn is_clean(&self) -> bool {
        self.orphans.is_empty() && self.missing.is_empty() && self.wrong.is_empty()
    }
}

/// The value at a mapped path of a SCIM User (`name.formatted`, `urn:…:User:department`).
pub fn at<'a>(user: &'a Value, path: &str) -> Option<&'a Value> {
    let v = match path.strip_prefix("urn:").and_then(|_| path.rsplit_once(':')) {
        Some((urn, attr)) => attr.split('.').try_fold(user.get(urn)?, |v, k| v.get(k))?,
        None => path.split('.').try_fold(user, |v, k| v.get(k))?,
    };
    (!v.is_null()).then_some(v)
}

/// Whether the system's value holds what tobira sent: objects may carry more keys (a server adds
/// `display`, `primary`), arrays match element by element, strings and numbers exactly.
fn holds(sent: &Value, got: &Value) -> bool {
    match (sent, got) {
        (Value::Object(s), Value::Object(g)) => {
            s.iter().all(|(k, v)| v.is_null() || g.get(k).is_some_and(|gv| holds(v, gv)))
        }
        (Value::Array(s), Value::Array(g)) => s.len() == g.len() && s.iter().all(|sv| g.iter().any(|gv| holds(sv, gv))),
        _ => sent == got,
    }
}

/// The mapped paths where `got` differs from `want` (a value tobira left out must be absent there).
pub fn differences(want: &Resource, got: &Value, mapped: &[&str]) -> Vec<String> {
    let user = scim_user(want);
    let mut out: Vec<String> = mapped
        .iter()
        .filter(|p| {
            !matches!((at(&user, p), at(got, p)), (Some(s), Some(g)) if holds(s, g))
                && (at(&user, p).is_some() || at(got, p).is_some())
        })
        .map(|p| p.to_string())
        .collect();
    if got.get("active").and_then(Value::as_bool).unwrap_or(true) != want.active {
        out.push("active".into());
    }
    out
}

/// The drift between `expected` and `listed`; `ours` are the account ids tobira knows (an
/// `externalId` among them is tobira's). Deactivations beyond `rules` are held.
pub fn drift(
    expected: &[Expected],
    listed: &[Listed],
    ours: &BTreeSet<String>,
    mapped: &[&str],
    rules: &SyncRules,
) -> Drift {
    let by_ext: BTreeMap<&str, &Listed> =
        listed.iter().filter_map(|l| l.external_id.as_deref().map(|e| (e, l))).collect();
    let wanted: BTreeSet<&str> = expected.iter().map(|e| e.account_id.as_str()).collect();
    let mut d = Drift { listed: listed.len(), ..Drift::default() };
    for l in listed {
        match l.external_id.as_deref() {
            Some(e) if wanted.contains(e) => {}
            Some(e) if !ours.contains(e) => d.foreign += 1,
            _ => d.orphans.push(l.clone()),
        }
    }
    for e in expected {
        match by_ext.get(e.account_id.as_str()) {
            None if e.resource.active => d.missing.push(e.account_id.clone()),
            None => {}
            Some(l) => {
                let attributes = differences(&e.resource, &l.user, mapped);
                if !attributes.is_empty() {
                    d.wrong.push(Wrong {
                        account_id: e.account_id.clone(),
                        remote_id: l.id.clone(),
                        user_name: l.user_name.clone(),
                        attributes,
                    });
                }
            }
        }
    }
    let active = listed.iter().filter(|l| l.active).count();
    d.held = limits_exceeded(d.deactivations().len(), active, rules, None);
    d
}

#[cfg(test)]
mod tests;
