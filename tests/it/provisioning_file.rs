//! The file connector across the air gap (R-ZN-04, R-LC-01) on both backends: the HR sync from a
//! real slapd queues the changes, a delivery round writes signed numbered batches (JSON lines and a
//! CSV, UTF-8 or Shift_JIS), the real `tobira provisioning verify-file` checks them as the zone side
//! would, and receipts mark the items applied or stopped; gaps, tampering and bad receipts are refused.

use crate::hr_sync::{people, Hr};
use crate::provisioning::{build, dn};
use crate::support::{both_backends, conn, count, output, TestDb};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tobira::app::clock::FixedClock;
use tobira::app::provisioning::deliver::{run_system, Round};
use tobira::app::sync::{ReadMode, SyncRequest};
use tobira::app::App;
use tobira::config::DirectoryConfig;

struct Env {
    hr: Hr,
    _server: tobira::startup::Application,
    app: App,
    clock: Arc<FixedClock>,
    dir: DirectoryConfig,
    spool: tempfile::TempDir,
}

impl Env {
    /// The groupware system (every staff member's birthright) as a file system with `extra` settings.
    async fn new(db: TestDb, extra: &str) -> Env {
        let hr = Hr::new(db, &people(), (20, 100.0)).await;
        let spool = tempfile::tempdir().unwrap();
        let section = format!(
            "\n[systems.provisioning]\nkind = \"file\"\nout_dir = \"{}\"\nsigning_key_file = \"{}\"\nevery_seconds = 0\n{extra}\n",
            spool.path().join("out").display(),
            spool.path().join("keys/groupware.filekey").display()
        );
        std::fs::create_dir(spool.path().join("out")).unwrap();
        let gw = "approved_on = \"2026-05-10\", service_manager = \"情報政策課 係長\" }";
        hr.edit_policy("systems.toml", &[(gw, &format!("{gw}{section}"))]);
        let (server, app, clock) = build(&hr).await;
        let mut dir = hr.db.config().directory;
        dir.url = hr.ldap.url.clone();
        dir.allow_plaintext = true;
        dir.bind_dn = crate::slapd::READER_DN.into();
        dir.password = crate::slapd::READER_PW.into();
        Env { hr, _server: server, app, clock, dir, spool }
    }

    async fn sync(&self) {
        let raw = tobira::app::sync::read(&self.dir, &self.app.policy, &ReadMode::Full).await.unwrap();
        let (policy, master, now) = (self.app.policy.clone(), self.app.master_key.clone(), self.app.clock.now_ms());
        self.app
            .db(move |c| {
                tobira::app::sync::run(
                    c,
                    &policy,
                    &raw,
                    &SyncRequest { source: "test", requested_by: "test", now, dry_run: false, master_key: &master },
                )
            })
            .await
            .unwrap();
    }

    async fn deliver(&self) -> Round {
        run_system(&self.app, "groupware", "test-node").await.unwrap().expect("the lease is free")
    }

    fn out(&self) -> PathBuf {
        self.spool.path().join("out")
    }

    fn file(&self, name: &str) -> PathBuf {
        self.out().join(name)
    }

    fn count(&self, sql: &str) -> i64 {
        count(&mut conn(&self.hr.db.pool()), sql)
    }

    fn lines(&self, seq: u32) -> Vec<Value> {
        std::fs::read_to_string(self.file(&format!("groupware-{seq:06}.jsonl")))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The zone side's receipt for batch `seq`: every item applied except those `failed` names (by userName).
    fn receipt(&self, seq: u32, failed: &[&str]) -> Value {
        let items: Vec<Value> = self
            .lines(seq)
            .iter()
            .map(|l| {
                if failed.contains(&l["userName"].as_str().unwrap()) {
                    json!({ "item": l["item"], "result": "failed", "reason": "既存IDと重複 / duplicate ID in the vendor system" })
                } else {
                    json!({ "item": l["item"], "result": "applied" })
                }
            })
            .collect();
        json!({ "system": "groupware", "batch": seq, "items": items })
    }

    fn drop_receipt(&self, seq: u32, receipt: &Value) {
        std::fs::write(self.file(&format!("groupware-{seq:06}.receipt.json")), receipt.to_string()).unwrap();
    }

    /// The public key as `tobira provisioning public-key` prints it, saved to a file.
    fn public_key(&self) -> PathBuf {
        let mut c = self.hr.command();
        c.args(["provisioning", "public-key", "groupware"]);
        let (code, out, err) = output(c);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.starts_with("-----BEGIN PUBLIC KEY-----"), "{out}");
        let path = self.spool.path().join("groupware.pub.pem");
        std::fs::write(&path, out).unwrap();
        path
    }

    fn verify(&self, dir: &Path, last: i64) -> (i32, String, String) {
        let mut c = self.hr.command();
        c.args(["provisioning", "verify-file"])
            .arg(dir)
            .arg("groupware")
            .arg("--public-key")
            .arg(self.public_key())
            .args(["--last", &last.to_string()]);
        output(c)
    }
}

both_backends! {
    async fn r_zn_04_file_round_trip_with_a_receipt_joiner_transfer_and_leaver(db: TestDb) {
        let env = Env::new(db, "").await;
        env.sync().await;
        let r = env.deliver().await;
        assert_eq!((r.written, r.batch, r.pushed), (6, Some(1), 0), "{r:?}");
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM provisioning_outbox WHERE status = 'sent'"), 6, "awaiting the receipt, not done");
        let lines = env.lines(1);
        let one = lines.iter().find(|l| l["userName"] == "100001").expect("the joiner's row");
        assert_eq!((one["operation"].as_str(), one["batch"].as_i64(), one["active"].as_bool()), (Some("create"), Some(1), Some(true)));
        assert_eq!(one["attributes"]["displayName"], "東雲 職員100001");
        assert_eq!(one["externalId"], env.hr.account("100001").unwrap().id.as_str());
        let csv = std::fs::read_to_string(env.file("groupware-000001.csv")).unwrap();
        assert!(csv.starts_with("batch,line,item,seq,operation,active,externalId,userName,"), "{csv}");
        assert_eq!(csv.lines().count(), 7, "header and six rows");

        // The zone side verifies the batch before the import.
        let (code, out, err) = env.verify(&env.out(), 0);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("up to 1"), "{out}");

        // Nothing more is written while the receipt is out: each person's items stay in order.
        env.sync().await;
        assert_eq!(env.deliver().await.written, 0);

        env.drop_receipt(1, &env.receipt(1, &[]));
        let r = env.deliver().await;
        assert_eq!((r.applied, r.receipts_refused), (6, 0), "{r:?}");
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM provisioning_outbox WHERE status = 'done'"), 6);
        assert!(env.file("groupware-000001.receipt.json.done").exists(), "a receipt taken is set aside");
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'provisioning.pushed' AND details LIKE '%\"batch\":1%'"), 6);

        // 異動: shimin → zeimu gives an update row; then a leaver gives a deactivate row.
        env.hr.ldap.set(&dn("100001"), "departmentNumber", &["zeimu"]).await;
        env.sync().await;
        let r = env.deliver().await;
        assert_eq!((r.written, r.batch), (1, Some(2)), "{r:?}");
        let l = &env.lines(2)[0];
        assert_eq!((l["operation"].as_str(), l["userName"].as_str()), (Some("update"), Some("100001")));
        assert_eq!(l["attributes"]["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"], "税務課");
        env.drop_receipt(2, &env.receipt(2, &[]));
        env.hr.ldap.set(&dn("100003"), "description", &["退職"]).await;
        env.sync().await;
        let r = env.deliver().await;
        assert_eq!((r.applied, r.written, r.batch), (1, 1, Some(3)), "{r:?}");
        let l = &env.lines(3)[0];
        assert_eq!((l["operation"].as_str(), l["userName"].as_str(), l["active"].as_bool()), (Some("deactivate"), Some("100003"), Some(false)));
        let (code, out, err) = env.verify(&env.out(), 1);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("groupware-000002") && out.contains("groupware-000003") && !out.contains("groupware-000001:"), "{out}");

        // The operators' view, and no reconciliation across the air gap.
        let mut c = env.hr.command();
        c.args(["provisioning", "status", "groupware"]);
        let (code, out, _) = output(c);
        assert_eq!(code, 0);
        assert!(out.contains("last written 3") && out.contains("last receipt 2") && out.contains("awaiting receipt 1"), "{out}");
        let mut c = env.hr.command();
        c.args(["provisioning", "reconcile", "groupware"]);
        let (code, _, err) = output(c);
        assert_eq!(code, 1);
        assert!(err.contains("cannot be reconciled"), "{err}");
    }
}

both_backends! {
    async fn r_zn_04_shift_jis_csv_decodes_and_a_failed_receipt_row_stops_that_persons_item(db: TestDb) {
        let env = Env::new(db, "encoding = \"shift_jis\"").await;
        env.sync().await;
        assert_eq!(env.deliver().await.written, 6);
        let bytes = std::fs::read(env.file("groupware-000001.csv")).unwrap();
        assert!(std::str::from_utf8(&bytes).is_err(), "not UTF-8");
        let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
        assert!(!bad);
        assert!(text.contains("東雲 職員100001") && text.contains("市民課") && text.contains("\r\n"), "{text}");
        assert!(std::fs::read_to_string(env.file("groupware-000001.jsonl")).unwrap().contains("東雲 職員100001"), "the JSON lines stay UTF-8");

        env.drop_receipt(1, &env.receipt(1, &["100002"]));
        let r = env.deliver().await;
        assert_eq!((r.applied, r.stopped), (5, 1), "{r:?}");
        let id = env.hr.account("100002").unwrap().id;
        assert_eq!(env.count(&format!("SELECT COUNT(*) AS n FROM provisioning_outbox WHERE status = 'stopped' AND account_id = '{id}' AND last_error LIKE '%duplicate ID%'")), 1);
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM findings WHERE kind = 'provisioning_stopped'"), 1);
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM provisioning_outbox WHERE status = 'done'"), 5);
    }
}

both_backends! {
    async fn r_zn_04_gaps_tampering_and_skipped_duplicate_or_forged_receipts_are_refused(db: TestDb) {
        let env = Env::new(db, "batch = 2\nreceipt_max_hours = 24").await;
        env.sync().await;
        for n in 1..=3 {
            assert_eq!(env.deliver().await.batch, Some(n));
        }
        let done = || env.count("SELECT COUNT(*) AS n FROM provisioning_outbox WHERE status = 'done'");

        // A gap: batch 3 after batch 1, without batch 2.
        let gap = env.spool.path().join("gap");
        std::fs::create_dir(&gap).unwrap();
        for n in [1, 3] {
            for ext in ["jsonl", "csv", "sig"] {
                let name = format!("groupware-{n:06}.{ext}");
                std::fs::copy(env.file(&name), gap.join(&name)).unwrap();
            }
        }
        let (code, out, err) = env.verify(&gap, 0);
        assert_eq!(code, 1, "{out}{err}");
        assert!(err.contains("batch 2 is missing"), "{err}");
        assert!(out.contains("groupware-000001"), "batch 1 is still good: {out}");
        // Tampering: one changed byte in a CSV.
        let csv = env.file("groupware-000002.csv");
        let changed = std::fs::read_to_string(&csv).unwrap().replacen("true", "TRUE", 1);
        std::fs::write(&csv, changed).unwrap();
        let (code, _, err) = env.verify(&env.out(), 1);
        assert_eq!(code, 1);
        assert!(err.contains("groupware-000002.csv is not the file tobira signed"), "{err}");

        // Receipts: a skip (3 before 1 and 2), one for a batch not written, a forged one.
        env.drop_receipt(3, &env.receipt(3, &[]));
        env.drop_receipt(4, &json!({ "system": "groupware", "batch": 4, "items": [] }));
        let mut forged = env.receipt(1, &[]);
        forged["items"].as_array_mut().unwrap().push(json!({ "item": "someone-else", "result": "applied" }));
        env.drop_receipt(1, &forged);
        let r = env.deliver().await;
        assert_eq!((r.receipts_refused, r.applied), (3, 0), "{r:?}");
        assert_eq!(done(), 0, "nothing marked done");
        for (n, why) in [(1, "is not in batch 1"), (3, "receipts are taken in number order"), (4, "which tobira has not written")] {
            assert!(env.file(&format!("groupware-{n:06}.receipt.json.refused")).exists());
            assert_eq!(env.count(&format!("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'provisioning.receipt_refused' AND details LIKE '%{why}%'")), 1, "{why}");
        }
        // The right receipt is taken; the same again is a duplicate.
        env.drop_receipt(1, &env.receipt(1, &[]));
        assert_eq!(env.deliver().await.applied, 2);
        env.drop_receipt(1, &env.receipt(1, &[]));
        let r = env.deliver().await;
        assert_eq!((r.receipts_refused, r.applied), (1, 0), "{r:?}");
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'provisioning.receipt_refused' AND details LIKE '%duplicate%'"), 1);
        assert_eq!(done(), 2);

        // Batches 2 and 3 without a receipt after receipt_max_hours give one finding each.
        env.clock.advance(time::Duration::hours(25));
        env.deliver().await;
        env.deliver().await;
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM findings WHERE kind = 'provisioning_receipt_overdue'"), 2);
    }
}
