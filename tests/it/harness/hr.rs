//! The HR sync test fixture: a real slapd loaded with departments and people, a copy of the
//! example policy with its `[sync]` limits set, and the `tobira sync` command pointed at both.

use crate::slapd::{Fixture, Slapd, READER_DN};
use crate::support::{conn, count, output, repo_path, tobira, TestDb};
use std::process::Command;
use tobira::store;

pub(crate) const DEPARTMENTS: &[(&str, &str, Option<&str>)] = &[
    ("somu", "総務課", None),
    ("shimin", "市民課", Some("somu")),
    ("zeimu", "税務課", Some("somu")),
    ("kikaku", "企画課", None),
];

/// A copy of the example policy with `[sync]` limits replaced.
pub(crate) fn policy_with_limits(max_removals: u32, max_percent: f64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(repo_path("policies")).unwrap() {
        let p = e.unwrap().path();
        let mut text = std::fs::read_to_string(&p).unwrap();
        text = text
            .replace("max_removals = 20", &format!("max_removals = {max_removals}"))
            .replace("max_removal_percent = 2.0", &format!("max_removal_percent = {max_percent:.1}"));
        std::fs::write(dir.path().join(p.file_name().unwrap()), text).unwrap();
    }
    dir
}

pub(crate) struct Hr {
    pub(crate) db: TestDb,
    pub(crate) ldap: Slapd,
    pub(crate) policy: tempfile::TempDir,
}

impl Hr {
    pub(crate) async fn new(db: TestDb, people: &[Fixture], limits: (u32, f64)) -> Hr {
        let ldap = Slapd::start();
        ldap.load(DEPARTMENTS, people).await;
        Hr { db, ldap, policy: policy_with_limits(limits.0, limits.1) }
    }

    pub(crate) fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.command();
        c.arg("sync").args(args);
        c
    }

    /// `tobira` with this test's policy and directory.
    pub(crate) fn command(&self) -> Command {
        let mut c = tobira(&self.db);
        c.env("TOBIRA__POLICY_DIR", self.policy.path())
            .env("TOBIRA__DIRECTORY__URL", &self.ldap.url)
            .env("TOBIRA__DIRECTORY__ALLOW_PLAINTEXT", "true")
            .env("TOBIRA__DIRECTORY__BIND_DN", READER_DN)
            .env("TOBIRA__DIRECTORY__PASSWORD_FILE", self.ldap.password_file())
            .env("TOBIRA__DIRECTORY__TIMEOUT_SECONDS", "5")
            .env("SUDO_USER", "hr-operator");
        c
    }

    /// Replaces text in one of this test's policy files.
    pub(crate) fn edit_policy(&self, file: &str, edits: &[(&str, &str)]) {
        let p = self.policy.path().join(file);
        let mut text = std::fs::read_to_string(&p).unwrap();
        for (from, to) in edits {
            assert!(text.contains(from), "{file} has `{from}`");
            text = text.replace(from, to);
        }
        std::fs::write(p, text).unwrap();
    }

    pub(crate) fn sync(&self, args: &[&str]) -> (i32, String, String) {
        output(self.cmd(args))
    }

    pub(crate) fn account(&self, login: &str) -> Option<store::accounts::Account> {
        store::accounts::by_login_id(&mut conn(&self.db.pool()), login).unwrap()
    }

    pub(crate) fn roles(&self, login: &str) -> Vec<String> {
        let pool = self.db.pool();
        let c = &mut *conn(&pool);
        let a = store::accounts::by_login_id(c, login).unwrap().unwrap();
        let mut r: Vec<String> =
            store::accounts::grants_in_force(c, &a.id, i64::MAX / 4).unwrap().into_iter().map(|g| g.role_id).collect();
        r.sort();
        r
    }

    pub(crate) fn audit_count(&self) -> i64 {
        count(&mut conn(&self.db.pool()), "SELECT COUNT(*) AS n FROM audit_events")
    }
}

pub(crate) fn people() -> Vec<Fixture> {
    let mut head = Fixture::new("100004", "zeimu");
    head.head = true;
    let mut fixed = Fixture::new("100005", "kikaku");
    fixed.employment = "会計年度任用".into();
    fixed.end_date = Some("20990331".into());
    let mut dual = Fixture::new("100006", "somu");
    dual.concurrent = vec!["shimin".into()];
    vec![
        Fixture::new("100001", "shimin"),
        Fixture::new("100002", "shimin"),
        Fixture::new("100003", "zeimu"),
        head,
        fixed,
        dual,
    ]
}
