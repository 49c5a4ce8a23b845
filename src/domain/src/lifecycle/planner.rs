//! The plan as it is built: steps pushed with their reason, what a person hands back, a leaver's
//! disabling, and birthright grants brought in line with the HR data.

use super::{birthright, AccountView, GrantView, Known, DAY_MS};
use super::{Action, Reason, Step};
use crate::hr::HrPerson;
use crate::org::PersonStatus;
use crate::policy::Policy;
use crate::rbac::GrantSource;

pub(super) struct Planner<'a> {
    pub(super) policy: &'a Policy,
    pub(super) now: i64,
    pub(super) steps: Vec<Step>,
}

impl Planner<'_> {
    pub(super) fn push(&mut self, action: Action, reason: Reason) {
        self.steps.push(Step { action, reason });
    }

    /// What `k` hands back: with `authenticators`, every returnable one not yet listed; always, every
    /// shared ID they use.
    pub(super) fn hand_back(&mut self, k: &Known, reason: &Reason, authenticators: bool) {
        let en = &k.person.employee_number;
        if authenticators {
            for a in k.authenticators.iter().filter(|a| a.kind.is_returnable() && !a.listed) {
                let action = Action::ListForReturn {
                    employee_number: en.clone(),
                    account_id: a.account_id.clone(),
                    login_id: a.login_id.clone(),
                    credential_id: a.credential_id.clone(),
                    authenticator: a.kind,
                    label: a.label.clone(),
                };
                self.push(action, reason.clone());
            }
        }
        for s in &k.shared_ids {
            self.push(
                Action::SharedPasswordDue {
                    employee_number: en.clone(),
                    account_id: s.account_id.clone(),
                    login_id: s.login_id.clone(),
                    permitted_by: s.permitted_by.clone(),
                },
                reason.clone(),
            );
        }
    }

    /// A leaver: what they hand back first, then the account is disabled and every grant revoked.
    pub(super) fn disable(&mut self, k: &Known, acc: &AccountView, reason: Reason) {
        let en = k.person.employee_number.as_str();
        self.hand_back(k, &reason, true);
        let delete_after = self.now + self.policy.sync.retention_days as i64 * DAY_MS;
        self.push(
            Action::Disable {
                employee_number: en.into(),
                account_id: acc.id.clone(),
                login_id: acc.login_id.clone(),
                delete_after,
            },
            reason.clone(),
        );
        for g in &k.grants {
            self.push(
                Action::Revoke {
                    employee_number: en.into(),
                    account_id: acc.id.clone(),
                    grant_id: g.id.clone(),
                    role_id: g.role_id.clone(),
                    at: self.now,
                },
                reason.clone(),
            );
        }
    }

    /// Brings birthright grants in line; `held` are the grants in force (after any re-enable).
    pub(super) fn reconcile(
        &mut self,
        p: &HrPerson,
        acc: &AccountView,
        held: &[GrantView],
        status: PersonStatus,
        reason: &Reason,
        transferred: bool,
    ) {
        let want = birthright(p, self.policy, status);
        let en = &p.employee_number;
        let grace_window = self.policy.sync.mover_grace_days as i64 * DAY_MS;
        let grace = if transferred { grace_window } else { 0 };
        let held_birthright: Vec<&GrantView> = held.iter().filter(|g| g.source == GrantSource::Birthright).collect();
        for g in &held_birthright {
            let at = self.now + grace;
            // A grant that ends within the grace window is already running out (an earlier transfer).
            let already_ending = g.valid_until.is_some_and(|u| u <= self.now + grace_window);
            if !want.contains_key(&g.role_id) && !already_ending {
                self.push(
                    Action::Revoke {
                        employee_number: en.clone(),
                        account_id: acc.id.clone(),
                        grant_id: g.id.clone(),
                        role_id: g.role_id.clone(),
                        at,
                    },
                    reason.clone(),
                );
            }
        }
        for (role, until) in &want {
            // A grant that is running out (grace period) does not count as held.
            let held_now = held_birthright.iter().any(|g| &g.role_id == role && g.valid_until == *until);
            if !held_now {
                self.push(
                    Action::Grant {
                        employee_number: en.clone(),
                        account_id: acc.id.clone(),
                        role_id: role.clone(),
                        valid_until: *until,
                    },
                    reason.clone(),
                );
            }
        }
        if transferred {
            for g in held.iter().filter(|g| g.source == GrantSource::Request) {
                self.push(
                    Action::FlagForReview {
                        employee_number: en.clone(),
                        grant_id: g.id.clone(),
                        role_id: g.role_id.clone(),
                    },
                    reason.clone(),
                );
            }
        }
    }
}
