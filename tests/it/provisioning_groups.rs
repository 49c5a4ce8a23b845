//! Roles as SCIM Groups (`roles_as = "groups"`) against a real SCIM 2.0 server, on both backends
//! (R-LC-01, R-LC-03): each of the system's roles is a Group made on first need; a grant makes the
//! User a member, the grant's end removes it, a deactivation leaves memberships to the system, and
//! the User itself carries no `roles` (so reconciliation sees no drift).

use crate::provisioning::{dn, Env};
use crate::support::both_backends;
use tobira::app::provisioning::reconcile::reconcile;

const ROLE: &str = "[[roles]]\nid = \"groupware.user\"";
const BIRTHRIGHT: &str = "[[birthright]]\nid = \"all-staff\"";

/// The members (User ids) of the Group of `role`; `None` when there is no such Group.
async fn members(env: &Env, role: &str) -> Option<Vec<String>> {
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("filter", &format!("externalId eq \"tobira-role:{role}\""))
        .finish();
    let found = env.scim.get(&format!("/Groups?{q}")).await?;
    let g = found["Resources"].as_array()?.first()?.clone();
    assert_eq!(g["displayName"], role);
    Some(
        g["members"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|m| m["value"].as_str().map(String::from))
            .collect(),
    )
}

both_backends! {
    async fn r_lc_01_roles_as_groups_a_grant_makes_a_member_and_its_end_removes_it(db: TestDb) {
        // A second groupware role, a birthright of 市民課 only.
        let role = format!("[[roles]]\nid = \"groupware.shimin\"\nsystem = \"groupware\"\nname = \"グループウェア 市民課掲示板\"\n\n{ROLE}");
        let birthright = format!("[[birthright]]\nid = \"shimin-board\"\ndepartments = [\"shimin\"]\nroles = [\"groupware.shimin\"]\n\n{BIRTHRIGHT}");
        let edits: &[(&str, &str)] = &[(ROLE, &role), (BIRTHRIGHT, &birthright)];
        let env = Env::with_policy(db, &[], (20, 100.0), "roles_as = \"groups\"", &[("roles.toml", edits)]).await;
        env.sync().await;
        let r = env.deliver().await;
        assert_eq!((r.pushed, r.retrying, r.stopped), (6, 0, 0), "{r:?}");
        let u = env.user("100001").await.expect("created");
        assert!(u.get("roles").is_none(), "roles go as Groups, not as an attribute: {u}");
        let uid = u["id"].as_str().unwrap().to_string();
        let all = members(&env, "groupware.user").await.expect("the Group made on first need");
        assert_eq!(all.len(), 6, "every holder a member once");
        assert!(members(&env, "groupware.shimin").await.expect("made").contains(&uid));
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM provisioning_groups"), 2);

        // 異動 shimin → zeimu: the 市民課 grant ends, the membership goes; the other stays.
        env.hr.ldap.set(&dn("100001"), "departmentNumber", &["zeimu"]).await;
        env.sync().await;
        assert_eq!(env.deliver().await.pushed, 1);
        assert!(!members(&env, "groupware.shimin").await.unwrap().contains(&uid), "removed at the grant's end");
        assert!(members(&env, "groupware.user").await.unwrap().contains(&uid));

        // 休職: the User is deactivated; its memberships are left to the system.
        env.hr.ldap.set(&dn("100001"), "description", &["休職"]).await;
        env.sync().await;
        assert_eq!(env.deliver().await.pushed, 1);
        assert_eq!(env.user("100001").await.unwrap()["active"], false);
        assert!(members(&env, "groupware.user").await.unwrap().contains(&uid));

        let r = reconcile(&env.app, "groupware", false, "operator:test").await.unwrap();
        assert!(r.drift.is_clean(), "no roles attribute expected on the User: {:?}", r.drift);
    }
}
