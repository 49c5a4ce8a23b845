//! Provisioning to business systems (R-LC-01, R-LC-03, R-LC-08): which SCIM change a change in
//! tobira gives, decided from what the system should hold now and what tobira last queued for it.
//!
//! Pure: the caller loads the person's view and the link, and writes the outcome with the change
//! that caused it, in one transaction. Who is provisioned: the holders of a grant of the system,
//! only while they hold it. A resource is deactivated at once (leave, suspension, grant end, leaver)
//! and, when its person left or lost the system's last grant, deleted after the policy's retention.

use crate::policy::provisioning::{Provisioning, Source};
use crate::rbac::AccountStatus;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub mod reconcile;

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const DAY_MS: i64 = 86_400_000;

/// What tobira holds of one account, for one system.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holder {
    pub account_id: String,
    pub login_id: String,
    pub status: Option<AccountStatus>,
    /// The roles of this system the account holds now (grants in force).
    pub roles: Vec<String>,
    pub employee_number: Option<String>,
    pub name_kanji: Option<String>,
    pub name_kana: Option<String>,
    pub department_code: Option<String>,
    pub department_name: Option<String>,
    pub title: Option<String>,
    pub mail: Option<String>,
}

/// The attributes tobira sends (mapped path → value) and whether the resource is active.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub attributes: BTreeMap<String, Value>,
    pub active: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    Active,
    Inactive,
    Deleted,
}

impl LinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Active => "active",
            LinkState::Inactive => "inactive",
            LinkState::Deleted => "deleted",
        }
    }
    pub fn parse(s: &str) -> Option<LinkState> {
        [LinkState::Active, LinkState::Inactive, LinkState::Deleted].into_iter().find(|l| l.as_str() == s)
    }
}

/// What tobira last queued for an account at a system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub state: LinkState,
    pub sent: Resource,
    /// Since when the resource is due for deletion after retention (leaver, last grant ended).
    pub removable_since: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// POST, or a resource found by externalId brought to this state.
    Create,
    /// PATCH (or PUT) of the changed attributes.
    Update,
    /// `active: false`.
    Deactivate,
    /// `active: true` again (return from leave, a new grant, a rehire).
    Reactivate,
    /// DELETE after retention.
    Delete,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Create => "create",
            Event::Update => "update",
            Event::Deactivate => "deactivate",
            Event::Reactivate => "reactivate",
            Event::Delete => "delete",
        }
    }
    pub fn parse(s: &str) -> Option<Event> {
        [Event::Create, Event::Update, Event::Deactivate, Event::Reactivate, Event::Delete]
            .into_iter()
            .find(|e| e.as_str() == s)
    }
}

/// Why the system should hold what it should.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// Holds a grant of the system and the account is active.
    Holder,
    /// Suspended (leave, an officer's suspension, a contract suspended): grants kept.
    Suspended,
    /// Holds no grant of the system any more.
    GrantEnded,
    /// The account is disabled or deleted (leaver).
    Leaver,
    /// Retention after the above has passed.
    Retention,
}

impl Why {
    pub fn as_str(self) -> &'static str {
        match self {
            Why::Holder => "holder",
            Why::Suspended => "suspended",
            Why::GrantEnded => "grant_ended",
            Why::Leaver => "leaver",
            Why::Retention => "retention",
        }
    }
}

/// A link removable since at or before this time has served its retention at `now` and is deleted.
pub fn removable_due_by(delete_after_days: u32, now: i64) -> i64 {
    now - i64::from(delete_after_days) * DAY_MS
}

/// What to queue and the link to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub event: Option<Event>,
    pub why: Why,
    pub link: Link,
}

fn value(h: &Holder, s: Source) -> Option<Value> {
    let text = |v: &Option<String>| v.as_ref().filter(|t| !t.trim().is_empty()).map(|t| Value::String(t.clone()));
    match s {
        Source::LoginId => Some(Value::String(h.login_id.clone())),
        Source::Subject => Some(Value::String(h.account_id.clone())),
        Source::EmployeeNumber => text(&h.employee_number),
        Source::NameKanji => text(&h.name_kanji),
        Source::NameKana => text(&h.name_kana),
        Source::DepartmentCode => text(&h.department_code),
        Source::DepartmentName => text(&h.department_name),
        Source::Title => text(&h.title),
        Source::Mail => text(&h.mail).map(|m| json!([{ "value": m, "type": "work", "primary": true }])),
        Source::Roles => Some(Value::Array(h.roles.iter().map(|r| json!({ "value": r })).collect())),
    }
}

/// The attributes of `h` as the mapping says; unset values are left out.
pub fn attributes(h: &Holder, cfg: &Provisioning) -> BTreeMap<String, Value> {
    cfg.attributes.iter().filter_map(|(path, s)| value(h, *s).map(|v| (path.clone(), v))).collect()
}

/// Whether the system should hold the account, and why.
pub fn should_hold(h: Option<&Holder>) -> (bool, Why) {
    match h {
        None => (false, Why::Leaver),
        Some(h) => match h.status {
            Some(AccountStatus::Disabled | AccountStatus::Deleted) | None => (false, Why::Leaver),
            _ if h.roles.is_empty() => (false, Why::GrantEnded),
            Some(AccountStatus::Suspended) => (false, Why::Suspended),
            Some(AccountStatus::Active) => (true, Why::Holder),
        },
    }
}

/// The change `h`'s current state gives at a system whose last queued state is `link`; `None` when
/// nothing is to be queued or kept. `h` is `None` when the account no longer exists.
pub fn decide(link: Option<&Link>, h: Option<&Holder>, cfg: &Provisioning, now: i64) -> Option<Change> {
    let (active, why) = should_hold(h);
    let removable = matches!(why, Why::Leaver | Why::GrantEnded);
    let attrs = match h {
        Some(h) => attributes(h, cfg),
        None => link.map(|l| l.sent.attributes.clone()).unwrap_or_default(),
    };
    let want = Resource { attributes: attrs, active };
    let keep = |state, event, why, since| {
        Some(Change { event, why, link: Link { state, sent: want.clone(), removable_since: since } })
    };
    match link {
        None | Some(Link { state: LinkState::Deleted, .. }) => {
            active.then_some(()).and_then(|_| keep(LinkState::Active, Some(Event::Create), why, None))
        }
        Some(l) if active => {
            let event = match l.state {
                LinkState::Inactive => Some(Event::Reactivate),
                _ if l.sent != want => Some(Event::Update),
                _ => return None,
            };
            keep(LinkState::Active, event, why, None)
        }
        Some(l) => {
            let since = if removable { Some(l.removable_since.unwrap_or(now)) } else { None };
            if let Some(s) = since {
                if s <= removable_due_by(cfg.delete_after_days, now) {
                    return Some(Change {
                        event: Some(Event::Delete),
                        why: Why::Retention,
                        link: Link { state: LinkState::Deleted, sent: want, removable_since: since },
                    });
                }
            }
            let event = match l.state {
                LinkState::Active => Some(Event::Deactivate),
                _ if l.sent != want => Some(Event::Update),
                _ if l.removable_since != since => None,
                _ => return None,
            };
            keep(LinkState::Inactive, event, why, since)
        }
    }
}

/// The SCIM User (RFC 7643) for `r`: dotted paths become sub-attributes, `urn:…:attr` paths go in
/// their extension, whose schema is listed.
pub fn scim_user(r: &Resource) -> Value {
    let mut root = Map::new();
    let mut schemas = vec![Value::String(USER_SCHEMA.into())];
    for (path, v) in &r.attributes {
        let (target, local) = match path.strip_prefix("urn:").and_then(|_| path.rsplit_once(':')) {
            Some((urn, attr)) => {
                // An extension whose name a plain attribute already took is skipped, as a
                // sub-attribute of a plain value is below.
                let Value::Object(extension) = root.entry(urn.to_string()).or_insert_with(|| Value::Object(Map::new()))
                else {
                    continue;
                };
                if !schemas.iter().any(|s| s == urn) {
                    schemas.push(Value::String(urn.into()));
                }
                (extension, attr)
            }
            None => (&mut root, path.as_str()),
        };
        match local.split_once('.') {
            Some((a, sub)) => {
                let o = target.entry(a.to_string()).or_insert_with(|| Value::Object(Map::new()));
                if let Some(o) = o.as_object_mut() {
                    o.insert(sub.into(), v.clone());
                }
            }
            None => {
                target.insert(local.into(), v.clone());
            }
        }
    }
    root.insert("active".into(), Value::Bool(r.active));
    root.insert("schemas".into(), Value::Array(schemas));
    Value::Object(root)
}

#[cfg(test)]
mod tests;
