//! Helpers for the periodic review tests on a running tobira: request grants, last sign-ins,
//! account status and roles, notifications, report rows and JST dates on the fixed clock.

use crate::oidc_rp::Op;
use diesel::prelude::*;
use serde_json::Value;
use tobira::store::{self, schema};
use tobira_domain::rbac::GrantSource;

pub(crate) const DAY: i64 = 86_400_000;

/// Adds a `request` grant (the kind a campaign reviews) of `role` to the account.
pub(crate) async fn requested(op: &Op, account: &str, role: &str) -> String {
    let (acc, role, now) = (account.to_string(), role.to_string(), op.s.clock_ms());
    op.s.app
        .db(move |c| {
            let mut g = store::accounts::Grant::new(&acc, &role, GrantSource::Request, now);
            g.reason = Some("窓口業務のため".into());
            store::accounts::insert_grant(c, &g)?;
            Ok(g.id)
        })
        .await
        .unwrap()
}

/// Sets an account's last sign-in and creation time.
pub(crate) async fn used(op: &Op, login: &str, last: Option<i64>, created: i64) {
    let login = login.to_string();
    op.s.app
        .db(move |c| {
            use schema::accounts as a;
            diesel::update(a::table.filter(a::login_id.eq(&login)))
                .set((a::last_login_at.eq(last), a::created_at.eq(created)))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
}

pub(crate) async fn status(op: &Op, login: &str) -> String {
    let login = login.to_string();
    op.s.app.db(move |c| Ok(store::accounts::by_login_id(c, &login)?.unwrap().status)).await.unwrap()
}

pub(crate) async fn roles_of(op: &Op, account: &str) -> Vec<String> {
    let (acc, now) = (account.to_string(), op.s.clock_ms());
    op.s.app
        .db(move |c| Ok(store::accounts::grants_in_force(c, &acc, now)?.into_iter().map(|g| g.role_id).collect()))
        .await
        .unwrap()
}

pub(crate) async fn notified(op: &Op, who: &str, kind: &str) -> usize {
    let (who, kind) = (who.to_string(), kind.to_string());
    op.s.app
        .db(move |c| Ok(store::privileged::notifications_to(c, &who)?.into_iter().filter(|n| n.kind == kind).count()))
        .await
        .unwrap()
}

pub(crate) fn logins(report: &Value) -> Vec<String> {
    report["rows"].as_array().unwrap().iter().map(|r| r["login"].as_str().unwrap_or_default().to_string()).collect()
}

pub(crate) fn today_plus(op: &Op, days: i64) -> String {
    let t = tobira_domain::time_util::from_millis(op.s.clock_ms() + days * DAY).to_offset(time::macros::offset!(+9));
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}
