//! Roles as SCIM Groups (`roles_as = "groups"`, RFC 7643 §4.2): each of the system's roles is a Group
//! (displayName = the role's id, externalId = `tobira-role:` and the role's id), found by its
//! externalId or created on first need; after a User is created, updated or re-activated its
//! memberships are brought to the roles it holds (PATCH add/remove of `members`, or the Group read,
//! changed and PUT back when PATCH is not offered). A deactivated or deleted User's memberships are
//! left to the system. In this mode the User itself carries no `roles` attribute.

use super::round::Pushed;
use super::scim::{quoted, Client, ScimError, PATCH_OP};
use crate::app::{App, AppError};
use crate::store::{self, provisioning::Item};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tobira_domain::policy::provisioning::RolesAs;
use tobira_domain::policy::provisioning::{Provisioning, Source};
use tobira_domain::provisioning::{scim_user, Resource};

pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// The externalId of a role's Group.
pub fn external_id(role: &str) -> String {
    format!("tobira-role:{role}")
}

fn roles_path(p: &Provisioning) -> Option<&str> {
    (p.roles_as == RolesAs::Groups).then(|| p.path_of(Source::Roles)).flatten()
}

/// The SCIM User of `r`; with groups, without the roles attribute.
pub fn user(p: &Provisioning, r: &Resource) -> Value {
    match roles_path(p) {
        Some(path) => {
            let mut r = r.clone();
            r.attributes.remove(path);
            scim_user(&r)
        }
        None => scim_user(r),
    }
}

/// The mapped attribute paths the User carries (the roles path left out with groups).
pub fn mapped(p: &Provisioning) -> Vec<&str> {
    let skip = roles_path(p);
    p.attributes.keys().map(String::as_str).filter(|k| Some(*k) != skip).collect()
}

/// The roles `r` says the person holds.
fn held(p: &Provisioning, r: &Resource) -> Vec<String> {
    let Some(path) = p.path_of(Source::Roles) else { return Vec::new() };
    r.attributes
        .get(path)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.get("value").and_then(Value::as_str).map(String::from)).collect())
        .unwrap_or_default()
}

/// One delivery round's Groups: the ids known (role → Group id) and those found or made meanwhile.
pub struct Round {
    roles: Vec<String>,
    known: BTreeMap<String, String>,
    new: Vec<(String, String)>,
}

impl Round {
    /// `None` unless the system sends roles as Groups.
    pub async fn load(app: &App, system: &str, p: &Provisioning) -> Result<Option<Round>, AppError> {
        if p.roles_as != RolesAs::Groups {
            return Ok(None);
        }
        let roles = super::systems(&app.policy)
            .into_iter()
            .find(|(s, _, _)| s.id.get_ref() == system)
            .map(|(_, _, r)| r)
            .unwrap_or_default();
        let sys = system.to_string();
        let known = app.db(move |c| Ok(store::provisioning_runs::groups_of(c, &sys)?)).await?.into_iter().collect();
        Ok(Some(Round { roles, known, new: Vec::new() }))
    }

    /// After `item`'s User was pushed: its memberships brought to the roles it holds (active only).
    pub async fn after(
        &mut self,
        client: &Client,
        p: &Provisioning,
        item: &Item,
        pushed: Pushed,
        patch: &mut Option<bool>,
    ) -> Result<Pushed, ScimError> {
        let Some(uid) = pushed.remote_id.clone() else { return Ok(pushed) };
        let Ok(resource) = serde_json::from_str::<Resource>(&item.resource_json) else { return Ok(pushed) };
        if !resource.active {
            return Ok(pushed);
        }
        if patch.is_none() {
            *patch = Some(client.patch_supported().await?);
        }
        let held = held(p, &resource);
        for role in self.roles.clone() {
            let member = held.contains(&role);
            let Some(gid) = self.group(client, &role, member).await? else { continue };
            if !set_member(client, &gid, &uid, member, *patch == Some(true)).await? && member {
                // The Group is gone from the system: made again, once.
                self.known.remove(&role);
                if let Some(gid) = self.group(client, &role, true).await? {
                    set_member(client, &gid, &uid, true, *patch == Some(true)).await?;
                }
            }
        }
        Ok(pushed)
    }

    /// The role's Group id: known, found by externalId, or (when `create`) made.
    async fn group(&mut self, client: &Client, role: &str, create: bool) -> Result<Option<String>, ScimError> {
        if let Some(id) = self.known.get(role) {
            return Ok(Some(id.clone()));
        }
        let q = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("filter", &format!("externalId eq {}", quoted(&external_id(role))))
            .finish();
        let (_, v) = client.send(reqwest::Method::GET, &format!("/Groups?{q}"), None).await?;
        let mut id = v.pointer("/Resources/0/id").and_then(Value::as_str).map(String::from);
        if id.is_none() && create {
            let g = json!({ "schemas": [GROUP_SCHEMA], "displayName": role, "externalId": external_id(role) });
            let (_, v) = client.send(reqwest::Method::POST, "/Groups", Some(&g)).await?;
            id = Some(
                v.get("id")
                    .and_then(Value::as_str)
                    .map(String::from)
                    .ok_or_else(|| ScimError::Retry("POST /Groups: the answer has no id".into()))?,
            );
        }
        if let Some(id) = &id {
            self.known.insert(role.to_string(), id.clone());
            self.new.push((role.to_string(), id.clone()));
        }
        Ok(id)
    }

    /// Records the Groups found or made in this round.
    pub async fn save(self, app: &App, system: &str) -> Result<(), AppError> {
        if self.new.is_empty() {
            return Ok(());
        }
        let (sys, new, now) = (system.to_string(), self.new, app.clock.now_ms());
        app.db(move |c| {
            store::write_tx(c, |c| -> Result<(), AppError> {
                for (role, id) in &new {
                    store::provisioning_runs::set_group(c, &sys, role, id, now)?;
                }
                Ok(())
            })
        })
        .await
    }
}

/// Adds or removes `uid` as a member of Group `gid`; `false` when the Group is gone (404).
async fn set_member(client: &Client, gid: &str, uid: &str, member: bool, patch: bool) -> Result<bool, ScimError> {
    let path = format!("/Groups/{gid}");
    if patch {
        let op = if member {
            json!({ "op": "add", "path": "members", "value": [{ "value": uid }] })
        } else {
            json!({ "op": "remove", "path": format!("members[value eq {}]", quoted(uid)) })
        };
        let body = json!({ "schemas": [PATCH_OP], "Operations": [op] });
        return Ok(client.send(reqwest::Method::PATCH, &path, Some(&body)).await?.0 != 404);
    }
    let (status, mut g) = client.send(reqwest::Method::GET, &path, None).await?;
    if status == 404 {
        return Ok(false);
    }
    let mut members: Vec<Value> = g.get("members").and_then(Value::as_array).cloned().unwrap_or_default();
    let there = members.iter().any(|m| m.get("value").and_then(Value::as_str) == Some(uid));
    if there == member {
        return Ok(true);
    }
    if member {
        members.push(json!({ "value": uid }));
    } else {
        members.retain(|m| m.get("value").and_then(Value::as_str) != Some(uid));
    }
    if let Some(o) = g.as_object_mut() {
        o.insert("members".into(), Value::Array(members));
        o.remove("meta");
    }
    Ok(client.send(reqwest::Method::PUT, &path, Some(&g)).await?.0 != 404)
}
