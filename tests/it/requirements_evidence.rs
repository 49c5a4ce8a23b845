//! R-RV-02: `tobira review evidence --out DIR` as an auditor receives it, on both backends — every
//! review report in CSV and JSON, the privileged-ID report, the audit chain's verification, and a
//! `MANIFEST.sha256` whose digests match the files (checked here and by coreutils' `sha256sum -c`),
//! in a directory only its owner can open. A file changed or removed afterwards is caught by
//! re-checking the manifest; a tampered audit chain is reported as broken.

use crate::support::{both_backends, conn, output, tobira, TestDb};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use tobira::app::review::reports::NAMES;
use tobira::store;
use tobira_domain::audit::AuditEvent;

/// `n` audit records, as activity before the bundle is written.
fn seed(db: &TestDb, n: usize) {
    let pool = db.pool();
    let c = &mut *conn(&pool);
    for i in 0..n {
        let e = AuditEvent::new("tanaka", "test.event", format!("account:t-{i}"))
            .with_details(serde_json::json!({ "i": i }));
        store::write_tx(c, |c| store::audit::append(c, 1_000 + i as i64, vec![e])).unwrap();
    }
}

fn evidence(db: &TestDb, out: &Path) -> (i32, String) {
    let mut c = tobira(db);
    c.args(["review", "evidence", "--days", "30", "--out"]).arg(out);
    let (code, stdout, stderr) = output(c);
    (code, format!("{stdout}{stderr}"))
}

/// The manifest as file name → digest; every line must be `<64 hex>  <name>`.
fn manifest(dir: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.sha256")).expect("a manifest");
    text.lines()
        .map(|l| {
            let (digest, name) = l.split_once("  ").unwrap_or_else(|| panic!("not a sha256sum line: {l:?}"));
            assert!(digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()), "{l:?}");
            (name.to_string(), digest.to_string())
        })
        .collect()
}

/// Re-checks the manifest against the files: the names whose content no longer matches (or is gone).
fn recheck(dir: &Path) -> Vec<String> {
    manifest(dir)
        .into_iter()
        .filter(|(name, digest)| {
            std::fs::read(dir.join(name)).map_or(true, |b| hex::encode(Sha256::digest(&b)) != *digest)
        })
        .map(|(n, _)| n)
        .collect()
}

/// `sha256sum -c MANIFEST.sha256` in the bundle, as an auditor without tobira would check it.
fn sha256sum_check(dir: &Path) -> (bool, String) {
    let o = std::process::Command::new("sha256sum")
        .args(["-c", "MANIFEST.sha256"])
        .current_dir(dir)
        .output()
        .expect("coreutils sha256sum");
    (o.status.success(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn json(dir: &Path, name: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap())
        .unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
}

both_backends! {
    fn r_rv_02_the_evidence_bundle_holds_every_report_and_a_manifest_that_catches_a_changed_file(db: TestDb) {
        seed(&db, 5);
        let out = db.dir.path().join("evidence-2026");
        let (code, said) = evidence(&db, &out);
        assert_eq!(code, 0, "{said}");
        assert!(said.contains("audit chain intact"), "{said}");

        // Every report in both forms, the privileged-ID report and the chain's verification.
        let mut expected: Vec<String> = NAMES.iter().flat_map(|n| [format!("{n}.csv"), format!("{n}.json")]).collect();
        expected.extend(["privileged.json".to_string(), "audit-chain.json".to_string()]);
        expected.sort();
        let m = manifest(&out);
        assert_eq!(m.keys().cloned().collect::<Vec<_>>(), expected, "the manifest lists every file of the bundle once");
        let mut on_disk: Vec<String> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).filter(|n| n != "MANIFEST.sha256").collect();
        on_disk.sort();
        assert_eq!(on_disk, expected, "nothing in the directory that the manifest does not cover");
        for name in NAMES {
            let csv = std::fs::read_to_string(out.join(format!("{name}.csv"))).unwrap();
            assert!(csv.lines().next().is_some_and(|h| h.contains(',')), "{name}.csv has a header row: {csv:?}");
            assert!(json(&out, &format!("{name}.json")).is_object(), "{name}.json");
        }
        let chain = json(&out, "audit-chain.json");
        assert_eq!(chain["intact"], true, "{chain}");
        assert!(chain["records"].as_i64().unwrap() >= 5, "{chain}");
        assert_eq!(chain["head_seq"].as_i64(), chain["records"].as_i64(), "{chain}");
        assert!(chain["policy_digest"].as_str().is_some_and(|d| !d.is_empty()), "the policy in force is named: {chain}");

        // The digests match; the bundle is the owner's alone.
        assert!(recheck(&out).is_empty());
        let (ok, said) = sha256sum_check(&out);
        assert!(ok, "{said}");
        assert_eq!(mode(&out), 0o700, "the directory");
        for name in expected.iter().chain(std::iter::once(&"MANIFEST.sha256".to_string())) {
            assert_eq!(mode(&out.join(name)), 0o600, "{name}");
        }

        // A report changed after the fact, another removed: re-checking the manifest names both.
        let grants = out.join("grants.csv");
        let mut body = std::fs::read(&grants).unwrap();
        body.extend_from_slice(b"mallory,juki.admin\n");
        std::fs::write(&grants, body).unwrap();
        std::fs::remove_file(out.join("dormant.json")).unwrap();
        assert_eq!(recheck(&out), vec!["dormant.json".to_string(), "grants.csv".to_string()]);
        let (ok, said) = sha256sum_check(&out);
        assert!(!ok, "{said}");
        assert!(said.contains("grants.csv: FAILED") && said.contains("dormant.json"), "{said}");

        // Written again into the same directory: complete, matching and private once more.
        let (code, said) = evidence(&db, &out);
        assert_eq!(code, 0, "{said}");
        assert!(recheck(&out).is_empty());
        assert_eq!(mode(&out.join("grants.csv")), 0o600);
    }
}

both_backends! {
    fn r_rv_02_a_bundle_over_a_tampered_audit_chain_says_so_and_fails(db: TestDb) {
        seed(&db, 6);
        // The database owner switches off the append-only triggers and edits a record.
        if db.is_postgres() {
            db.raw("ALTER TABLE audit_events DISABLE TRIGGER USER");
        } else {
            db.raw("DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;");
        }
        db.raw("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3");
        let out = db.dir.path().join("evidence");
        let (code, said) = evidence(&db, &out);
        assert_eq!(code, 1, "{said}");
        assert!(said.contains("BROKEN"), "{said}");
        let chain = json(&out, "audit-chain.json");
        assert_eq!(chain["intact"], false, "{chain}");
        assert!(chain["first_break"].as_str().is_some_and(|b| b.contains("record #3 was modified")), "{chain}");
        // The bundle itself is still complete and consistent: the break is evidence too.
        assert!(recheck(&out).is_empty());
        assert!(manifest(&out).contains_key("audit-chain.json"));
    }
}
