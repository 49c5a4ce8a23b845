//! The HR sync's plan: an HR snapshot diffed against the people and accounts tobira holds, into steps
//! that each name the HR change that caused them (R-LC-01, R-LC-03, R-LC-10).
//!
//! Invariants:
//! - only a complete read can make a person "gone"; an entry that was skipped as malformed never
//!   turns into deprovisioning (R-LC-14);
//! - an empty snapshot, or one whose removals exceed the policy's thresholds, is held, not applied;
//! - the sync only undoes what the sync did: an account an officer suspended stays suspended;
//! - planning the result of applying a plan yields nothing (idempotency);
//! - what a person hands back (authenticators to return, shared IDs whose password falls due) is
//!   planned before the step that records the change, so a run cut short plans it again.

use crate::hr::{EntryProblem, HrPerson};
use crate::org::PersonStatus;
use crate::policy::{BirthrightRule, Policy};
use crate::rbac::{AccountStatus, GrantSource};
use std::collections::{BTreeMap, BTreeSet};
use time::Date;

pub mod applied;
pub mod handback;
pub mod hold;
mod planner;
mod steps;
use handback::{AuthenticatorView, SharedUse};
use planner::Planner;
pub use steps::{Action, Plan, Reason, Step, HR_REASON_PREFIX};

/// What the directory said in one read.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub people: Vec<HrPerson>,
    pub problems: Vec<EntryProblem>,
    /// True for a full read (everyone present is listed); then absence means "gone".
    pub complete: bool,
    /// Directory keys (entryUUID) the directory reported deleted or moved out of scope since the
    /// last read (RFC 4533 content sync): those people are gone even though the read is partial.
    pub gone_keys: BTreeSet<String>,
    /// Content sync's present phase: the key of every entry still in scope. A person tobira knows
    /// whose key is neither here nor among `people` is gone.
    pub present_keys: Option<BTreeSet<String>>,
}

impl Snapshot {
    /// Whether the read speaks for everyone in scope (a full read, or a present phase): then the
    /// plan needs everyone tobira holds, otherwise only the people the read names or reports gone.
    pub fn speaks_for_everyone(&self) -> bool {
        self.complete || self.present_keys.is_some()
    }

    /// A read that speaks for everyone and names nobody: what a broken feed looks like.
    fn names_nobody(&self) -> bool {
        self.speaks_for_everyone()
            && self.people.is_empty()
            && self.present_keys.as_ref().is_none_or(BTreeSet::is_empty)
    }

    /// Whether the read says this known person is no longer in the directory.
    fn says_gone(&self, k: &Known) -> bool {
        if self.complete {
            return true;
        }
        let Some(key) = k.person.directory_key.as_deref() else { return false };
        self.gone_keys.contains(key) || self.present_keys.as_ref().is_some_and(|p| !p.contains(key))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountView {
    pub id: String,
    pub login_id: String,
    pub status: AccountStatus,
    pub status_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantView {
    pub id: String,
    pub role_id: String,
    pub source: GrantSource,
    pub valid_until: Option<i64>,
}

/// What tobira holds about one person: the HR data as last stored, the account and its grants in
/// force, the WebAuthn credentials on any of their accounts, and the shared IDs they use.
#[derive(Debug, Clone)]
pub struct Known {
    pub person: HrPerson,
    pub account: Option<AccountView>,
    pub grants: Vec<GrantView>,
    pub authenticators: Vec<AuthenticatorView>,
    pub shared_ids: Vec<SharedUse>,
}

/// What tobira holds, as a plan needs it.
#[derive(Debug, Clone, Copy)]
pub struct Holdings<'a> {
    /// The people concerned: everyone when the read speaks for everyone; otherwise at least those
    /// the read names or reports gone (the others cannot change).
    pub known: &'a [Known],
    /// Every login ID in use.
    pub taken_login_ids: &'a BTreeSet<String>,
    /// Active accounts of people in all, the base of `sync.max_removal_percent`.
    pub active_accounts: usize,
}

impl<'a> Holdings<'a> {
    /// Holdings where `known` is everyone.
    pub fn all(known: &'a [Known], taken_login_ids: &'a BTreeSet<String>) -> Holdings<'a> {
        let active_accounts =
            known.iter().filter(|k| k.account.as_ref().is_some_and(|a| a.status == AccountStatus::Active)).count();
        Holdings { known, taken_login_ids, active_accounts }
    }
}

pub use crate::policy::directory::BulkWindow;

const DAY_MS: i64 = 86_400_000;

/// The HR status that applies today: an end date that has passed means the person has left.
fn effective_status(p: &HrPerson, today: Date) -> (PersonStatus, Option<Reason>) {
    match p.end_date {
        Some(end) if end < today && p.status != PersonStatus::Left => {
            (PersonStatus::Left, Some(Reason::ContractEnded { on: end }))
        }
        _ => (p.status, None),
    }
}

fn rule_matches(rule: &BirthrightRule, departments: &[&str], p: &HrPerson) -> bool {
    (rule.departments.is_empty() || departments.iter().any(|d| rule.departments.iter().any(|r| r == d)))
        && (rule.posts.is_empty() || p.post.as_ref().is_some_and(|post| rule.posts.contains(post)))
        && (rule.employment_types.is_empty() || rule.employment_types.contains(&p.employment_type))
        && (!rule.heads_of_section_only || p.head_of_section)
}

/// The birthright roles a person should hold now, with the time they end (secondment: its end date).
pub fn birthright(p: &HrPerson, policy: &Policy, status: PersonStatus) -> BTreeMap<String, Option<i64>> {
    let (departments, until): (Vec<&str>, Option<i64>) = match status {
        PersonStatus::Active => {
            (std::iter::once(p.department_code.as_str()).chain(p.concurrent.iter().map(String::as_str)).collect(), None)
        }
        // 出向: the home department's roles are suspended; the host's (when it is a department we
        // know) are limited to the secondment's end.
        PersonStatus::Seconded => {
            (p.secondment_target.iter().map(String::as_str).collect(), p.end_date.map(end_of_day_ms))
        }
        PersonStatus::OnLeave | PersonStatus::Left => return BTreeMap::new(),
    };
    policy
        .birthright
        .iter()
        .filter(|r| rule_matches(r, &departments, p))
        .flat_map(|r| r.roles.iter().map(|role| role.get_ref().clone()))
        .map(|role| (role, until))
        .collect()
}

/// The first millisecond after `d` (UTC).
/// The end of an HR date: the end of that day in Japan.
fn end_of_day_ms(d: Date) -> i64 {
    crate::time_util::end_of_jst_day(d)
}

/// The login ID for a new account: the policy's pattern, then `-2`, `-3` … until it is free.
pub fn login_id_for(employee_number: &str, pattern: &str, taken: &BTreeSet<String>) -> String {
    let base = pattern.replace("{employee_number}", employee_number);
    if !taken.contains(&base) {
        return base;
    }
    let mut n: u64 = 2;
    loop {
        let candidate = format!("{base}-{n}");
        if !taken.contains(&candidate) {
            return candidate;
        }
        n += 1;
    }
}

fn sync_owns(a: &AccountView) -> bool {
    a.status_reason.as_deref().is_some_and(|r| r.starts_with(HR_REASON_PREFIX))
}

/// Diffs `snapshot` against what tobira holds at `today`/`now`.
pub fn plan(
    snapshot: &Snapshot,
    held: &Holdings,
    policy: &Policy,
    today: Date,
    now: i64,
    bulk: Option<&BulkWindow>,
) -> Plan {
    let Holdings { known, taken_login_ids, active_accounts } = *held;
    let mut pl = Planner { policy, now, steps: Vec::new() };
    let by_number: BTreeMap<&str, &Known> = known.iter().map(|k| (k.person.employee_number.as_str(), k)).collect();
    let mut taken = taken_login_ids.clone();
    let mut seen = BTreeSet::new();

    for p in &snapshot.people {
        let en = p.employee_number.as_str();
        if !seen.insert(en) {
            continue; // the same person twice in one read: the first entry wins
        }
        let (status, ended) = effective_status(p, today);
        let not_started = p.start_date.is_some_and(|s| s > today);
        let k = by_number.get(en);
        let transferred = k.is_some_and(|k| k.person.department_code != p.department_code);
        let change_reason = match k {
            None => Reason::Joined,
            Some(k) if k.person.department_code != p.department_code => {
                Reason::Transferred { from: k.person.department_code.clone(), to: p.department_code.clone() }
            }
            Some(_) => Reason::Changed,
        };
        let reason = match (status, &ended) {
            (_, Some(r)) => r.clone(),
            (PersonStatus::Left, None) => Reason::Retired,
            (PersonStatus::OnLeave, None) => Reason::OnLeave,
            (PersonStatus::Seconded, None) => Reason::Seconded { to: p.secondment_target.clone().unwrap_or_default() },
            (PersonStatus::Active, None) => change_reason.clone(),
        };
        // 異動・出向 return the authenticators and, with 休職, end the use of shared IDs (a leaver's
        // are handed back when the account is disabled). Before the save: a cut-short run sees the
        // change again.
        if let Some(k) = k.filter(|_| status != PersonStatus::Left) {
            let seconded = status == PersonStatus::Seconded && k.person.status != PersonStatus::Seconded;
            let on_leave = status == PersonStatus::OnLeave && k.person.status != PersonStatus::OnLeave;
            if transferred || seconded || on_leave {
                pl.hand_back(k, &reason, transferred || seconded);
            }
        }
        if k.is_none_or(|k| k.person != *p) {
            pl.push(Action::SavePerson { person: Box::new(p.clone()) }, change_reason.clone());
        }
        let account = k.and_then(|k| k.account.as_ref().map(|acc| (k, acc)));
        let grants: &[GrantView] = k.map(|k| k.grants.as_slice()).unwrap_or(&[]);
        let works = matches!(status, PersonStatus::Active | PersonStatus::Seconded) && !not_started;
        match account {
            None if works => {
                let login_id = login_id_for(en, &policy.sync.login_id_pattern, &taken);
                taken.insert(login_id.clone());
                let grants = birthright(p, policy, status).into_iter().collect();
                pl.push(
                    Action::CreateAccount {
                        employee_number: en.into(),
                        login_id,
                        grants,
                        external: p.employment_type.is_external(),
                    },
                    Reason::Joined,
                );
            }
            None => {}
            Some((known, acc)) => match (status, acc.status) {
                (PersonStatus::Left, AccountStatus::Active | AccountStatus::Suspended) => {
                    pl.disable(known, acc, reason)
                }
                (PersonStatus::OnLeave, AccountStatus::Active) => pl.push(
                    Action::Suspend {
                        employee_number: en.into(),
                        account_id: acc.id.clone(),
                        login_id: acc.login_id.clone(),
                    },
                    Reason::OnLeave,
                ),
                (PersonStatus::Active | PersonStatus::Seconded, AccountStatus::Disabled | AccountStatus::Deleted)
                    if works =>
                {
                    // 再採用: the same account returns; every old grant was revoked when they left.
                    pl.push(
                        Action::Reenable {
                            employee_number: en.into(),
                            account_id: acc.id.clone(),
                            login_id: acc.login_id.clone(),
                        },
                        Reason::Rehired,
                    );
                    pl.reconcile(p, acc, &[], status, &Reason::Rehired, false);
                }
                (PersonStatus::Active | PersonStatus::Seconded, AccountStatus::Suspended)
                    if works && sync_owns(acc) =>
                {
                    pl.push(
                        Action::Reenable {
                            employee_number: en.into(),
                            account_id: acc.id.clone(),
                            login_id: acc.login_id.clone(),
                        },
                        Reason::Returned,
                    );
                    pl.reconcile(p, acc, grants, status, &reason, transferred);
                }
                (PersonStatus::Active | PersonStatus::Seconded, AccountStatus::Active) => {
                    pl.reconcile(p, acc, grants, status, &reason, transferred)
                }
                _ => {}
            },
        }
    }

    // People tobira knows who are absent from the read.
    let problem_numbers: BTreeSet<&str> =
        snapshot.problems.iter().filter_map(|p| p.employee_number.as_deref()).collect();
    let unidentified_problems = snapshot.problems.iter().filter(|p| p.employee_number.is_none()).count();
    let mut not_removed = Vec::new();
    for k in known {
        let en = k.person.employee_number.as_str();
        let Some(acc) =
            k.account.as_ref().filter(|a| matches!(a.status, AccountStatus::Active | AccountStatus::Suspended))
        else {
            continue;
        };
        if seen.contains(en) || !snapshot.says_gone(k) {
            continue; // present, or a partial read that says nothing of them
        }
        if problem_numbers.contains(en) {
            not_removed.push(format!("{en}: entry skipped as malformed, not treated as gone"));
        } else if unidentified_problems > 0 {
            not_removed.push(format!("{en}: absent, but {unidentified_problems} entries without a readable employee number were skipped; not treated as gone"));
        } else {
            pl.disable(k, acc, Reason::EntryGone);
        }
    }

    let removals = pl.steps.iter().filter(|s| s.action.is_removal()).count();
    let exceeded = hold::limits_exceeded(removals, active_accounts, &policy.sync, bulk);
    let hold = if snapshot.names_nobody() && !known.is_empty() {
        Some(hold::empty_read(&snapshot.problems))
    } else {
        (!exceeded.is_empty()).then(|| exceeded.join("; "))
    };
    Plan { steps: pl.steps, removals, active_accounts, hold, not_removed, problems: snapshot.problems.clone() }
}

#[cfg(test)]
mod tests;
