//! Rough edges a new city hits with the HR sync (R-LC-01): a hung directory is reported as a
//! time-out, not as a refused bind; `tobira sync --help` says what a run reads by default.

use crate::hr_sync::{people, Hr};
use crate::support::{output, tobira, TestDb};

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
