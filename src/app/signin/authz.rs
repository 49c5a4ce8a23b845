//! The one authorization function every page and API handler goes through: a route states what it
//! needs, and [`authorize`] says yes or why not, so no route can forget a check. Yes is an
//! [`Authorized`] that carries the session, so no caller has to take it out of an `Option` again.
//!
//! tobira's own pages are a system of the register like any other (its zone and classification
//! decide the factor kinds and networks they need). Until that is met a session may only step up,
//! change a due password, or, when the person has no second factor yet and the policy allows it,
//! enrol their first one.

use super::session::Current;
use crate::app::words::Words;
use std::borrow::Borrow;
use tobira_domain::authn::access::{self, Decision};
use tobira_domain::policy::{OfficerFunction, Policy};

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Any live session (sign-out, step-up, forced password change).
    SignedIn,
    /// Enrolling a first second factor, or anything a full session may do with factors.
    Enrolment,
    /// Changing factors (enrol, remove): `Enrolment`, with a factor proved within
    /// `signin.reauth_minutes`.
    FactorChange,
    /// tobira's own requirement met (self-service).
    Full,
    /// Full, and a security officer or the 統括情報セキュリティ責任者.
    Officer,
    /// Full, except that the onboarding the account owes is not asked for: the onboarding page
    /// itself (R-LC-11).
    Onboarding,
}

/// Why not, and so where the person is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    SignIn,
    ChangePassword,
    StepUp {
        have: u8,
        need: u8,
    },
    /// The session proved nothing recently enough for a factor change: prove a factor again.
    Reauthenticate,
    /// No second factor yet: enrol one (or ask an officer when self-enrolment is off).
    Enrol,
    Network {
        network: Option<String>,
    },
    /// The account owes its onboarding confirmation or training (R-LC-11).
    Onboarding,
    Forbidden,
}

impl Denied {
    /// What the refusal says to the person or the calling program, in both languages; never the
    /// variant's Rust form.
    pub fn words(&self) -> Words {
        match self {
            Denied::SignIn => Words::new("サインインしてください", "sign in first"),
            Denied::ChangePassword => Words::new("パスワードの変更が必要です", "the password must be changed first"),
            Denied::StepUp { have, need } => Words::new(
                format!("認証要素が不足しています（{have}種類を確認済み、{need}種類が必要）"),
                format!("{have} factor kind(s) proved, {need} needed"),
            ),
            Denied::Reauthenticate => Words::new("認証要素をもう一度確認してください", "prove a factor again"),
            Denied::Enrol => Words::new("二つ目の認証要素を登録してください", "enrol a second factor first"),
            Denied::Network { .. } => {
                Words::new("このネットワークからは利用できません", "not allowed from this network")
            }
            Denied::Onboarding => Words::new(
                "規則の確認（または研修の記録）が済むまで利用できません",
                "confirm the rules (and complete the training) first",
            ),
            Denied::Forbidden => Words::new("この操作の権限がありません", "not permitted"),
        }
    }
}

/// Japanese first, then English.
impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.words().fmt(f)
    }
}

fn is_officer(policy: &Policy, cur: &Current) -> bool {
    [OfficerFunction::SecurityOfficer, OfficerFunction::ChiefSecurityOfficer]
        .into_iter()
        .filter_map(|f| policy.officer_role(f))
        .any(|r| cur.roles.iter().any(|h| h == r))
}

/// Whether the session proved a factor within the policy's re-authentication window.
fn recent(policy: &Policy, cur: &Current, now: i64) -> bool {
    let window = i64::from(policy.signin.reauth_minutes) * 60_000;
    cur.factors.iter().map(|f| f.at).max().is_some_and(|at| now - at <= window)
}

/// A session that [`authorize`] let through: only it makes one, so holding it proves the check
/// passed. `C` is the session, owned (`Current`) or borrowed (`&Current`).
#[derive(Debug)]
pub struct Authorized<C> {
    session: C,
}

impl<C> Authorized<C> {
    /// The session, for the handler that acts on it.
    pub fn into_session(self) -> C {
        self.session
    }
}

/// Whether `cur` (none: not signed in) may do what `need` says now; yes carries the session.
pub fn authorize<C: Borrow<Current>>(
    policy: &Policy,
    cur: Option<C>,
    need: Need,
    now: i64,
) -> Result<Authorized<C>, Denied> {
    let Some(session) = cur else { return Err(Denied::SignIn) };
    let cur = session.borrow();
    authorize_now(policy, cur, need)?;
    if need == Need::FactorChange && !recent(policy, cur, now) {
        // With a second factor the person proves one again; with none, they sign in again.
        return Err(if cur.has_second_factor { Denied::Reauthenticate } else { Denied::SignIn });
    }
    Ok(Authorized { session })
}

fn authorize_now(policy: &Policy, cur: &Current, need: Need) -> Result<(), Denied> {
    if need == Need::SignedIn {
        return Ok(());
    }
    if cur.password_due {
        return Err(Denied::ChangePassword);
    }
    let Some(system) = policy.service_system() else { return Err(Denied::Forbidden) };
    match access::decide(policy, system, &cur.kinds, cur.whence(policy)) {
        Decision::Allowed => {}
        Decision::NetworkRefused { network } => return Err(Denied::Network { network }),
        Decision::NotApproved => return Err(Denied::Forbidden),
        Decision::StepUp { have, need: n } => {
            let may_enrol = !cur.has_second_factor && policy.signin.first_factor_self_enrollment;
            return match need {
                Need::Enrolment | Need::FactorChange if may_enrol => Ok(()),
                _ if cur.has_second_factor => Err(Denied::StepUp { have, need: n }),
                _ => Err(Denied::Enrol),
            };
        }
    }
    if cur.onboarding_due && need != Need::Onboarding {
        return Err(Denied::Onboarding);
    }
    if need == Need::Officer && !is_officer(policy, cur) {
        return Err(Denied::Forbidden);
    }
    Ok(())
}
