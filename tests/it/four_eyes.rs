//! Four eyes for officer actions on powerful accounts (R-AC-02), on both backends: a lone officer's
//! reset, unlock or enrolment link for another officer or the CISO changes nothing until a second
//! person named by `[approvals] officer_action` approves; the requester and the target never
//! approve; the target and the CISO are told; staff accounts keep the one-officer path.

use crate::oidc_rp::{self, Op, PASSWORD};
use crate::privileged::{officer, signed_in};
use crate::support::both_backends;
use serde_json::json;

async fn notified(op: &Op, who: &str, kind: &str) -> usize {
    let (who, kind) = (who.to_string(), kind.to_string());
    op.s.app
        .db(move |c| {
            Ok(tobira::store::privileged::notifications_to(c, &who)?.into_iter().filter(|n| n.kind == kind).count())
        })
        .await
        .unwrap()
}

both_backends! {
    async fn r_ac_02_a_lone_officer_cannot_take_over_another_officer_or_the_ciso(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        let so1 = officer(&op, "p-so-0901").await;
        let so2 = officer(&op, "p-so-0902").await;
        op.s.person("ciso", "100000", "regular", false, &["tobira.ciso"]).await;
        let (ciso, _) = signed_in(&op, "ciso", PASSWORD).await;
        op.s.person("500090", "500090", "regular", false, &[]).await;
        let (staff, _) = signed_in(&op, "500090", PASSWORD).await;

        // The attacker's tries: the CISO's password reset, an enrolment link, the other officer's unlock.
        let (code, asked) = so1.post_json("/api/officer/accounts/ciso/password-reset", json!({})).await;
        assert_eq!(code, 202, "{asked}");
        assert!(asked.get("temporary_password").is_none(), "nothing to hand over yet: {asked}");
        let reset = asked["request"].as_str().unwrap().to_string();
        assert_eq!(op.s.client().sign_in("ciso", PASSWORD).await.status, 303, "the CISO's password still stands");
        let (code, body) = so1.post_json("/api/officer/accounts/ciso/enrollment-link", json!({})).await;
        assert_eq!(code, 403, "the CISO already had credentials: {body}");
        let (code, body) = so1.post_json("/api/officer/accounts/p-so-0902/unlock", json!({})).await;
        assert_eq!(code, 202, "{body}");
        assert_eq!(notified(&op, "100000", "officer.action_requested").await, 2, "the CISO (the target) is told of both");
        let (_, open) = so2.get_json("/api/officer/requests").await;
        assert_eq!(open["requests"].as_array().unwrap().len(), 2, "{open}");

        // Nobody approves their own request, their own account, or without the policy naming them.
        let approve = format!("/api/officer/requests/{reset}/approve");
        assert_eq!(so1.post_json(&approve, json!({})).await.0, 403, "self-approval");
        assert_eq!(ciso.post_json(&approve, json!({})).await.0, 403, "the target approving their own reset");
        let (code, body) = staff.post_json(&approve, json!({})).await;
        assert_eq!((code, body["error"].as_str()), (403, Some("not_entitled")), "staff approve nothing: {body}");
        let said = body["message_en"].as_str().unwrap_or_default();
        assert!(said.contains("security_officer") && !said.contains("SecurityOfficer"), "the approvers by the policy's names, never Rust's form: {body}");
        assert_eq!(op.s.audit_count("officer.action_approved", Some("refused")).await, 3);
        assert_eq!(op.s.client().sign_in("ciso", PASSWORD).await.status, 303, "still nothing changed");

        // A second officer approves: now it takes effect, and the temporary password goes to them.
        let (code, done) = so2.post_json(&approve, json!({})).await;
        assert_eq!(code, 200, "{done}");
        let temporary = done["result"]["temporary_password"].as_str().unwrap().to_string();
        assert_ne!(op.s.client().sign_in("ciso", PASSWORD).await.status, 303, "the old password is gone");
        assert_eq!(op.s.client().sign_in("ciso", &temporary).await.status, 303);
        assert_eq!(notified(&op, "100000", "officer.action_effective").await, 1);
        assert_eq!(so2.post_json(&approve, json!({})).await.0, 403, "decided once");

        // Staff accounts keep the one-officer path.
        let (code, body) = so1.post_json("/api/officer/accounts/500090/password-reset", json!({})).await;
        assert_eq!(code, 200, "{body}");
    }
}
