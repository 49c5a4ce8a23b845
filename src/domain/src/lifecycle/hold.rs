//! A held HR-sync plan (保留中の同期計画) and the rules of deciding it (R-LC-01, R-LC-03, R-AC-02).
//!
//! Invariants:
//! - a hold names every limit its plan exceeds, not only the first;
//! - a held plan is never applied as it was stored: approval re-plans the people it touches against
//!   a fresh read and applies only the steps that still hold ([`recheck`]); what no longer holds and
//!   what is new since the hold are shown, never applied;
//! - a hold superseded by an applied run ([`supersedes`]), older than `sync.hold_max_age_minutes`,
//!   or decided already cannot be approved; nor by anyone who ran it, nor by anyone the policy's
//!   `[approvals] sync_hold` does not name ([`may_approve`]).

use super::{Action, BulkWindow, Plan, Step};
use crate::policy::directory::SyncRules;
use std::collections::BTreeSet;

/// Every removal limit `removals` exceeds (empty: none). Inside a bulk window only its own limit applies.
pub fn limits_exceeded(
    removals: usize,
    active_accounts: usize,
    rules: &SyncRules,
    bulk: Option<&BulkWindow>,
) -> Vec<String> {
    if let Some(w) = bulk {
        return if removals > w.max_removals {
            vec![format!("{removals} removals exceed the bulk window's limit of {}", w.max_removals)]
        } else {
            Vec::new()
        };
    }
    let mut out = Vec::new();
    if removals > rules.max_removals as usize {
        out.push(format!("{removals} removals exceed sync.max_removals = {}", rules.max_removals));
    }
    if active_accounts > 0 {
        let percent = removals as f64 * 100.0 / active_accounts as f64;
        if percent > rules.max_removal_percent {
            out.push(format!("{removals} removals are {percent:.1}% of {active_accounts} active accounts, above sync.max_removal_percent = {}", rules.max_removal_percent));
        }
    }
    out
}

/// Why a read that speaks for everyone but yields nobody is held: the directory returned no entries,
/// or it returned entries that the mapping rejected, with the most frequent reasons.
pub fn empty_read(problems: &[crate::hr::EntryProblem]) -> String {
    if problems.is_empty() {
        return "the directory returned no people; nobody is removed on an empty read".into();
    }
    format!("the directory returned {} entries that the mapping rejected (top reasons: {}); nobody is removed on a read that yields no people", problems.len(), top_reasons(problems, 3))
}

/// The `n` most frequent problems as `attribute: reason (count)`, most frequent first.
pub fn top_reasons(problems: &[crate::hr::EntryProblem], n: usize) -> String {
    let mut counts = std::collections::BTreeMap::<(&str, &str), usize>::new();
    for p in problems {
        *counts.entry((p.attribute.as_str(), p.reason.as_str())).or_default() += 1;
    }
    let mut ranked: Vec<_> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.into_iter().take(n).map(|((a, r), c)| format!("{a}: {r} ({c})")).collect::<Vec<_>>().join("; ")
}

/// The employee number a step concerns.
pub fn employee_number(a: &Action) -> &str {
    match a {
        Action::SavePerson { person } => &person.employee_number,
        Action::CreateAccount { employee_number, .. }
        | Action::Reenable { employee_number, .. }
        | Action::Suspend { employee_number, .. }
        | Action::Disable { employee_number, .. }
        | Action::Grant { employee_number, .. }
        | Action::Revoke { employee_number, .. }
        | Action::FlagForReview { employee_number, .. }
        | Action::ListForReturn { employee_number, .. }
        | Action::SharedPasswordDue { employee_number, .. } => employee_number,
    }
}

/// The people a plan touches (their employee numbers).
pub fn touched(plan: &Plan) -> BTreeSet<String> {
    plan.steps.iter().map(|s| employee_number(&s.action).to_string()).collect()
}

/// What makes two steps "the same change", whatever time or row ids a re-plan gives them: the kind,
/// the person, and the role, credential or shared ID it is about.
fn key(s: &Step) -> (&'static str, &str, &str) {
    let about = match &s.action {
        Action::Grant { role_id, .. } | Action::Revoke { role_id, .. } | Action::FlagForReview { role_id, .. } => {
            role_id.as_str()
        }
        Action::ListForReturn { credential_id, .. } => credential_id,
        Action::SharedPasswordDue { login_id, .. } => login_id,
        _ => "",
    };
    (s.action.kind(), employee_number(&s.action), about)
}

/// A held plan compared with a fresh plan of the same people.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Recheck {
    /// Fresh steps that were in the held plan: what approval applies.
    pub apply: Vec<Step>,
    /// Held steps the fresh plan no longer has: the directory changed back (not applied).
    pub dropped: Vec<Step>,
    /// Fresh steps the held plan did not have (not applied: the next run plans them).
    pub new: Vec<Step>,
}

impl Recheck {
    /// Whether the directory changed since the hold in a way that concerns its plan.
    pub fn changed(&self) -> bool {
        !self.dropped.is_empty() || !self.new.is_empty()
    }
}

/// Splits `fresh` (a re-plan of the held plan's people) against `held`.
pub fn recheck(held: &Plan, fresh: &Plan) -> Recheck {
    let held_keys: BTreeSet<_> = held.steps.iter().map(key).collect();
    let fresh_keys: BTreeSet<_> = fresh.steps.iter().map(key).collect();
    let (apply, new) = fresh.steps.iter().cloned().partition(|s| held_keys.contains(&key(s)));
    let dropped = held.steps.iter().filter(|s| !fresh_keys.contains(&key(s))).cloned().collect();
    Recheck { apply, dropped, new }
}

/// Whether an applied run supersedes a hold: it read everyone (a full read or a content sync's
/// present phase), or it planned any of the people the hold touches. Its plan was made against a
/// newer state of the directory than the hold's.
pub fn supersedes(
    applied_speaks_for_everyone: bool,
    applied_read: &BTreeSet<String>,
    hold_touched: &BTreeSet<String>,
) -> bool {
    applied_speaks_for_everyone || applied_read.iter().any(|en| hold_touched.contains(en))
}

/// The state of a stored run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Held,
    Applied,
    Discarded,
    /// Superseded by an applied run.
    Expired,
}

impl RunState {
    pub fn parse(s: &str) -> Option<RunState> {
        Some(match s {
            "held" => RunState::Held,
            "applied" => RunState::Applied,
            "discarded" => RunState::Discarded,
            "expired" => RunState::Expired,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Held => "held",
            RunState::Applied => "applied",
            RunState::Discarded => "discarded",
            RunState::Expired => "expired",
        }
    }
}

/// A hold as a decision needs it.
#[derive(Debug, Clone)]
pub struct Hold<'a> {
    pub state: RunState,
    /// When its plan was last made (a re-run while held re-plans it).
    pub planned_at: i64,
    /// Everyone who ran the sync that made or renewed it.
    pub ran_by: &'a [String],
}

/// Who decides: the names they go by (account, login ID, employee number), and whether the
/// policy's `[approvals] sync_hold` names them.
#[derive(Debug, Clone)]
pub struct Decider<'a> {
    pub names: &'a [String],
    pub entitled: bool,
}

/// Why a hold cannot be approved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the run is {0}, not held")]
    NotHeld(&'static str),
    #[error("the run was superseded by a later applied run; its plan no longer describes the directory")]
    Superseded,
    #[error("the hold is {age_minutes} minutes old, older than sync.hold_max_age_minutes = {max_minutes}; run the sync again to plan afresh")]
    TooOld { age_minutes: i64, max_minutes: u32 },
    #[error("whoever ran the sync cannot also approve it; another person must (R-AC-02)")]
    OwnRun,
    #[error("the policy's [approvals] sync_hold does not name this person")]
    NotEntitled,
}

/// Whether `by` may approve `hold` at `now`; the decider's identity is checked before the hold's
/// age, so a refusal names the person's own reason first.
pub fn may_approve(hold: &Hold, by: &Decider, now: i64, rules: &SyncRules) -> Result<(), Refusal> {
    match hold.state {
        RunState::Held => {}
        RunState::Expired => return Err(Refusal::Superseded),
        other => return Err(Refusal::NotHeld(other.as_str())),
    }
    if by.names.iter().any(|n| hold.ran_by.iter().any(|r| same_person(r, n))) {
        return Err(Refusal::OwnRun);
    }
    if !by.entitled {
        return Err(Refusal::NotEntitled);
    }
    let age_minutes = (now - hold.planned_at).max(0) / 60_000;
    if now - hold.planned_at > i64::from(rules.hold_max_age_minutes) * 60_000 {
        return Err(Refusal::TooOld { age_minutes, max_minutes: rules.hold_max_age_minutes });
    }
    Ok(())
}

/// Whether a recorded runner (`operator:alice`, `account:alice`, `alice`) is the name `n`.
fn same_person(runner: &str, n: &str) -> bool {
    let bare = runner.split_once(':').map_or(runner, |(_, v)| v);
    !n.is_empty() && (runner.eq_ignore_ascii_case(n) || bare.eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests;
