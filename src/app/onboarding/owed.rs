//! What an account still owes of its onboarding now (R-LC-11): the question every signed-in request
//! asks (`signin::session`), kept apart from the confirmation and training use cases, which take
//! the session.

use crate::app::AppError;
use crate::store::{self, accounts::Account, DbConnection};
use tobira_domain::policy::onboarding::{self as rules, Owed};
use tobira_domain::policy::Policy;

/// What `account` still owes now.
pub fn owed(c: &mut DbConnection, policy: &Policy, account: &Account) -> Result<Owed, AppError> {
    let o = &policy.onboarding;
    if !o.required || account.person_id.is_none() || account.is_shared {
        return Ok(Owed::default());
    }
    let confirmed = store::onboarding::confirmed(c, &account.id, &o.rules_version, &o.text_sha256())?;
    let trained = o.training_applies(account.created_at) && store::onboarding::trained(c, &account.id)?;
    Ok(rules::owed(o, account.created_at, confirmed, trained))
}
