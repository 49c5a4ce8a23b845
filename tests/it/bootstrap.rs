//! `tobira admin bootstrap` on both backends.

use crate::support::{both_backends, conn, count, output, tobira};
use tobira::store;

both_backends! {
    fn r_au_06_bootstrap_creates_one_security_officer_with_a_temporary_password(db: TestDb) {
        let mut c = tobira(&db);
        c.args(["admin", "bootstrap"]);
        let (code, out, err) = output(c);
        assert_eq!(code, 0, "{out}{err}");
        let login = out.lines().find_map(|l| l.trim().strip_prefix("login ID:")).unwrap().trim().to_string();
        let password = out.lines().find_map(|l| l.trim().strip_prefix("temporary password:")).unwrap().trim().to_string();
        assert!(login.starts_with("p-so-"), "privileged prefix from the policy: {login}");
        assert_eq!(password.len(), 20);

        let pool = db.pool();
        let c = &mut *conn(&pool);
        let account = store::accounts::by_login_id(c, &login).unwrap().unwrap();
        assert!(account.is_privileged && account.must_change_password, "R-AU-06: must change at first sign-in");
        let (hash, temporary) = store::accounts::password(c, &account.id).unwrap().unwrap();
        assert!(temporary);
        assert!(hash.starts_with("$argon2id$"));
        assert!(tobira::crypto::password::verify(&password, &hash));
        let grants = store::accounts::grants_in_force(c, &account.id, i64::MAX / 2).unwrap();
        assert_eq!(grants.iter().map(|g| (g.role_id.as_str(), g.source.as_str())).collect::<Vec<_>>(), vec![("tobira.security_officer", "bootstrap")]);
        // R-AU-15: the password appears nowhere in the audit log.
        assert_eq!(count(c, &format!("SELECT COUNT(*) AS n FROM audit_events WHERE details LIKE '%{password}%'")), 0);
        assert_eq!(count(c, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'account.created'"), 1);

        // A second bootstrap is refused and changes nothing.
        let mut again = tobira(&db);
        again.args(["admin", "bootstrap", "--login-id", "p-second"]);
        let (code, out, err) = output(again);
        assert_eq!(code, 1, "{out}{err}");
        assert!(err.contains("already exists"), "{err}");
        assert_eq!(count(c, "SELECT COUNT(*) AS n FROM accounts"), 1);
    }
}

both_backends! {
    fn r_pr_06_bootstrap_refuses_default_admin_names(db: TestDb) {
        for name in ["admin", "Administrator", "root", "p-admin"] {
            let mut c = tobira(&db);
            c.args(["admin", "bootstrap", "--login-id", name]);
            let (code, _, err) = output(c);
            assert_ne!(code, 0);
            assert!(err.contains("R-PR-06"), "{name}: {err}");
        }
        let pool = db.pool();
        assert_eq!(count(&mut conn(&pool), "SELECT COUNT(*) AS n FROM accounts"), 0);
    }
}
