//! Rough edges a new city hits with the HR sync (R-LC-01): a hung directory is reported as a
//! time-out, not as a refused bind; `tobira sync --help` says what a run reads by default; a dry
//! run on a fresh install creates neither the database nor the master key.

use crate::hr_sync::{people, Hr};
use crate::support::{both_backends, conn, count, output, tobira, TestDb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lc_01_a_hung_directory_is_reported_as_a_time_out_not_a_refused_bind() {
    let hr = Hr::new(TestDb::sqlite(), &people(), (20, 100.0)).await;
    // A server that accepts connections (the kernel's backlog) and never answers.
    let hung = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut c = hr.cmd(&[]);
    c.env(
        "TOBIRA__DIRECTORY__URL",
        format!("ldap://127.0.0.1:{}", hung.local_addr().unwrap().port()),
    )
    .env("TOBIRA__DIRECTORY__TIMEOUT_SECONDS", "1");
    let (code, out, err) = output(c);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("did not answer the bind within 1 s")
            && err.contains("directory.timeout_seconds"),
        "{err}"
    );
    assert!(!err.contains("refused the bind"), "{err}");
    assert!(!err.contains("reader-secret"), "no secret in the message");
    drop(hung);
}

#[test]
fn r_lc_01_sync_help_says_it_reads_the_changes_by_default() {
    let db = TestDb::sqlite();
    let (code, out, _) = output({
        let mut c = tobira(&db);
        c.arg("--help");
        c
    });
    assert_eq!(code, 0);
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("sync"))
        .expect("sync is listed");
    assert!(
        line.contains("changes since the last run") && !line.contains("(full read)"),
        "{line}"
    );
    let (code, out, _) = output({
        let mut c = tobira(&db);
        c.args(["sync", "--help"]);
        c
    });
    assert_eq!(code, 0);
    assert!(
        out.contains("--login") && out.contains("--code") && out.contains("sync_hold"),
        "{out}"
    );
}

both_backends! {
    async fn r_lc_01_a_dry_run_on_a_fresh_install_writes_nothing(db: TestDb) {
        let hr = Hr::new(db, &people(), (20, 100.0)).await;
        let config = hr.db.config();
        let (code, out, err) = hr.sync(&["--dry-run", "--format", "json"]);
        assert_eq!(code, 0, "{out}{err}");
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["status"], "dry-run");
        assert!(v["plan"]["steps"].as_array().unwrap().len() >= 12, "everyone planned as a joiner");
        assert!(!config.master_key_path().exists(), "no master key created");
        match tobira::store::sqlite_path(&config.database.url) {
            Some(path) => assert!(!std::path::Path::new(path).exists(), "no database file created"),
            None => {
                let mut c = tobira::store::connect_one(&config.database.url, &tobira::store::PoolOptions { max_size: 1, connect_timeout: std::time::Duration::from_secs(10), busy_timeout_ms: 1000 }).unwrap();
                assert!(!tobira::store::is_set_up(&mut c).unwrap(), "no schema created");
            }
        }
        // A real run afterwards sets everything up, and a dry run then still writes nothing.
        assert_eq!(hr.sync(&[]).0, 0);
        let before = count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM audit_events");
        hr.ldap.delete(&people()[0].dn()).await;
        assert_eq!(hr.sync(&["--dry-run", "--full"]).0, 0);
        assert_eq!(count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM audit_events"), before);
        assert_eq!(hr.account("100001").unwrap().status, "active");
    }
}
