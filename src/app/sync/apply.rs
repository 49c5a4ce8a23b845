//! What a sync run stores and how it is applied: the plan made against what tobira holds, the
//! departments and contracts read with it, and the steps applied in batches, each batch one
//! transaction with its audit events, joiners' enrollment links and provisioning changes (R-LC-01,
//! R-LC-03, R-AU-06).
//!
//! Invariants: batches are separate transactions, and a crash between them leaves a state from
//! which the next run converges, because the plan is a diff.

use crate::app::AppError;
use crate::crypto::master_key::MasterKey;
use crate::store::{self, hr_known, hr_sync, DbConnection};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeSet;
use tobira_domain::contracts::Contract;
use tobira_domain::hr::HrDepartment;
use tobira_domain::lifecycle::{plan, Action, BulkWindow, Holdings, Plan, Snapshot};
use tobira_domain::policy::Policy;
use tobira_domain::time_util::{from_millis, JST};

pub const ACTOR: &str = "system:hr-sync";

/// Steps per transaction when applying.
const BATCH: usize = 500;

/// What a run stores: the plan and the departments read with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunContent {
    pub plan: Plan,
    pub departments: Vec<(String, String, Option<String>)>,
    /// The contract register's contracts as read, stored with the run (R-LC-12).
    #[serde(default)]
    pub contracts: Vec<Contract>,
    /// A held plan's record: the directory state it was planned against, the people it touches,
    /// who ran it (`None` for an applied run).
    #[serde(default)]
    pub hold: Option<HoldRecord>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    DryRun,
    Applied,
    Held,
}

#[derive(Debug, Clone, Serialize)]
pub struct SyncOutcome {
    pub run_id: String,
    pub status: RunStatus,
    pub plan: Plan,
}

/// The directory state a plan was made against.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Basis {
    /// `full`, `content_sync`, `modify_timestamp`, … as the reader named its method.
    pub method: String,
    /// The read listed everyone in scope.
    pub complete: bool,
    /// The high-water mark (modifyTimestamp or uSNChanged) the read reached.
    pub high_water: Option<String>,
    /// The content-sync cookie the read ended with (hex).
    pub cookie: Option<String>,
}

/// What a hold keeps beside its plan.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HoldRecord {
    pub basis: Basis,
    /// Employee numbers of the people its plan touches.
    pub touched: BTreeSet<String>,
    /// Everyone who ran a sync that made or renewed it (none of them may approve, R-AC-02).
    pub ran_by: Vec<String>,
    pub first_held_at: i64,
    /// How many re-runs renewed it in place.
    pub renewals: u32,
}

/// Beyond this many people named by a partial read, everyone is loaded in one pass instead.
const SCOPED_LOAD_MAX: usize = 5_000;

/// Plans `snapshot` against the database at `now`. A read that speaks for everyone is planned
/// against everyone tobira holds; a partial one only against the people it names or reports gone
/// (nobody else can change), so an increment costs what it read, not the size of the city.
pub fn plan_full(
    conn: &mut DbConnection,
    policy: &Policy,
    snapshot: &Snapshot,
    now: i64,
    bulk: Option<&BulkWindow>,
) -> Result<Plan, AppError> {
    let scope = hr_known::Scope {
        employee_numbers: snapshot.people.iter().map(|p| p.employee_number.clone()).collect(),
        directory_keys: snapshot.gone_keys.clone(),
    };
    let partial =
        !snapshot.speaks_for_everyone() && scope.employee_numbers.len() + scope.directory_keys.len() <= SCOPED_LOAD_MAX;
    let known = hr_known::load_known(conn, now, partial.then_some(&scope))?;
    let taken = hr_known::login_ids(conn)?;
    let held = if partial {
        Holdings { known: &known, taken_login_ids: &taken, active_accounts: hr_known::active_staff_accounts(conn)? }
    } else {
        Holdings::all(&known, &taken)
    };
    let today = from_millis(now).to_offset(JST).date();
    Ok(plan(snapshot, &held, policy, today, now, bulk))
}

/// The login IDs of the accounts a batch creates: the joiners who get an enrollment link (R-AU-06).
fn joiners(batch: &[tobira_domain::lifecycle::Step]) -> Vec<String> {
    batch
        .iter()
        .filter_map(|s| match &s.action {
            Action::CreateAccount { login_id, .. } => Some(login_id.clone()),
            _ => None,
        })
        .collect()
}

/// The employee numbers a batch touches.
fn people_of(batch: &[tobira_domain::lifecycle::Step]) -> Vec<String> {
    let mut v: Vec<String> =
        batch.iter().map(|s| tobira_domain::lifecycle::hold::employee_number(&s.action).to_string()).collect();
    v.sort();
    v.dedup();
    v
}

pub(crate) fn apply(
    conn: &mut DbConnection,
    keys: &Keys,
    content: &RunContent,
    run_id: &str,
    now: i64,
    actor: &str,
) -> Result<usize, AppError> {
    let depts: Vec<HrDepartment> = content
        .departments
        .iter()
        .map(|(c, n, p)| HrDepartment { code: c.clone(), name: n.clone(), parent_code: p.clone() })
        .collect();
    let mut written = store::write_tx(conn, |c| -> Result<usize, AppError> {
        let mut events = hr_sync::save_departments(c, &depts, now, actor)?;
        events.extend(store::contracts::save(c, &content.contracts, now, actor)?);
        Ok(store::audit::append(c, now, events)?.len())
    })?;
    let mut cache = hr_sync::ApplyCache::with_departments(depts.iter().map(|d| d.code.clone()));
    for batch in content.plan.steps.chunks(BATCH) {
        written += store::write_tx(conn, |c| -> Result<usize, AppError> {
            let mut events = hr_sync::apply_steps(c, &mut cache, batch, run_id, now, actor)?;
            events.extend(crate::app::enrollment::issue_for_joiners(
                c,
                keys.master_key,
                keys.policy,
                &joiners(batch),
                actor,
                now,
            )?);
            // The business systems hear of the batch's changes in the same transaction (R-LC-01, R-LC-03).
            events.extend(crate::app::provisioning::track_people(c, keys.policy, &people_of(batch), actor, now)?);
            Ok(store::audit::append(c, now, events)?.len())
        })?;
    }
    Ok(written)
}

pub(crate) fn summary(p: &Plan) -> serde_json::Value {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for s in &p.steps {
        *counts.entry(s.action.kind()).or_default() += 1;
    }
    json!({ "steps": counts, "removals": p.removals, "active_accounts": p.active_accounts, "problems": p.problems.len(), "not_removed": p.not_removed.len() })
}

/// What applying needs besides the plan: the policy (the enrollment link's lifetime and mail) and
/// the master key that seals a joiner's link until its mail is sent.
#[derive(Clone, Copy)]
pub struct Keys<'a> {
    pub policy: &'a Policy,
    pub master_key: &'a MasterKey,
}
