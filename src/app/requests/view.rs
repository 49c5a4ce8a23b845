//! What the request pages and `GET /api/requests` show: the roles a person may ask for (requestable,
//! grouped by system, with the longest period), their own requests with each step's decision, and
//! the queue of requests waiting for their decision, by the same check a decision makes.
//!
//! Invariant: every list is bounded (the newest `MINE` of one's own, the oldest `QUEUE` open ones
//! considered for the queue).

use super::decide::{load, may_decide};
use crate::app::signin::session::Current;
use crate::app::{approvers, App, AppError};
use crate::store::{
    self,
    access_requests::{AccessRequest, Decision},
};
use serde::Serialize;

const MINE: i64 = 100;
const QUEUE: i64 = 500;

/// A role one may ask for.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Requestable {
    pub role: String,
    pub name: String,
    pub system: String,
    pub system_name: String,
    pub max_days: u32,
}

/// A request with its decisions and who asked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Shown {
    #[serde(flatten)]
    pub request: AccessRequest,
    pub requester: String,
    pub decisions: Vec<Decision>,
}

/// What one may ask for, one's own requests and the queue waiting for one's decision.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = RequestsConsole)]
pub struct Console {
    pub requestable: Vec<Requestable>,
    pub mine: Vec<Shown>,
    pub queue: Vec<Shown>,
}

/// The console of `cur`.
pub async fn console(app: &App, cur: &Current) -> Result<Console, AppError> {
    let (policy, cur, now) = (app.policy.clone(), cur.clone(), app.clock.now_ms());
    app.db(move |c| {
        let requestable = policy
            .roles
            .iter()
            .filter(|r| r.requestable && !r.privileged)
            .map(|r| {
                let sys = policy.system(r.system.get_ref());
                Requestable {
                    role: r.id.get_ref().clone(),
                    name: r.name.clone(),
                    system: r.system.get_ref().clone(),
                    system_name: sys.map_or_else(String::new, |s| s.name.clone()),
                    max_days: policy.max_request_days(r),
                }
            })
            .collect();
        let mut mine = Vec::new();
        for r in store::access_requests::of_account(c, &cur.account.id, MINE)? {
            let decisions = store::access_requests::decisions(c, &r.id)?;
            mine.push(Shown { request: r, requester: cur.account.login_id.clone(), decisions });
        }
        let me = approvers::of_account(c, &policy, &cur.account, now)?;
        let mut queue = Vec::new();
        for r in store::access_requests::open(c, QUEUE)? {
            let l = load(c, r, now)?;
            if may_decide(&policy, &l, &me, now) {
                let requester = store::accounts::by_id(c, &l.req.account_id)?.map(|a| a.login_id).unwrap_or_default();
                let decisions = store::access_requests::decisions(c, &l.req.id)?;
                queue.push(Shown { request: l.req, requester, decisions });
            }
        }
        Ok(Console { requestable, mine, queue })
    })
    .await
}
