//! `tobira audit verify` finds records changed, deleted or swapped directly in the database, on both
//! backends (R-LG-02). The tamperer here is the database owner: they first switch off the append-only
//! triggers, as an attacker with that power would. With a checkpoint sealed outside the database it
//! also names records cut off at the end and a chain recomputed whole.

use crate::support::{both_backends, conn, output, tobira, TestDb};
use tobira::store;
use tobira_domain::audit::AuditEvent;

fn seed(db: &TestDb, n: usize) {
    let pool = db.pool();
    let c = &mut *conn(&pool);
    for i in 0..n {
        let e =
            AuditEvent::new("alice", "test.event", format!("target:{i}")).with_details(serde_json::json!({ "i": i }));
        store::write_tx(c, |c| store::audit::append(c, 1_000 + i as i64, vec![e])).unwrap();
    }
}

fn unprotect(db: &TestDb) {
    if db.is_postgres() {
        db.raw("ALTER TABLE audit_events DISABLE TRIGGER USER");
    } else {
        db.raw("DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;");
    }
}

fn verify(db: &TestDb) -> (i32, String) {
    let mut c = tobira(db);
    c.args(["audit", "verify"]);
    let (code, out, err) = output(c);
    (code, format!("{out}{err}"))
}

both_backends! {
    fn r_lg_02_intact_chain_verifies(db: TestDb) {
        seed(&db, 6);
        let (code, out) = verify(&db);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("audit chain intact: 6 records"), "{out}");
        // The verification is itself on record and the chain still verifies after it.
        let (code, out) = verify(&db);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("intact: 7 records"), "{out}");
    }
}

/// Seeds six records, lets the database owner run `tamper`, and expects verify to fail at `seq`
/// with a message containing `word`.
fn assert_caught(db: &TestDb, tamper: &[&str], seq: i64, word: &str) {
    seed(db, 6);
    unprotect(db);
    for sql in tamper {
        db.raw(sql);
    }
    let (code, out) = verify(db);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("BROKEN at record #{seq}")) && out.contains(word), "{out}");
}

both_backends! {
    fn r_lg_02_verify_catches_a_modified_record(db: TestDb) {
        assert_caught(&db, &["UPDATE audit_events SET actor = 'mallory' WHERE seq = 3"], 3, "modified");
    }
}

both_backends! {
    fn r_lg_02_verify_catches_a_modified_detail_or_time(db: TestDb) {
        assert_caught(&db, &["UPDATE audit_events SET occurred_at = occurred_at + 1 WHERE seq = 5"], 5, "modified");
    }
}

both_backends! {
    fn r_lg_02_verify_catches_a_deleted_record(db: TestDb) {
        assert_caught(&db, &["DELETE FROM audit_events WHERE seq = 4"], 4, "missing");
    }
}

both_backends! {
    fn r_lg_02_verify_catches_a_deleted_and_renumbered_record(db: TestDb) {
        assert_caught(&db, &["DELETE FROM audit_events WHERE seq = 2", "UPDATE audit_events SET seq = seq - 1 WHERE seq > 2"], 2, "record #2");
    }
}

both_backends! {
    fn r_lg_02_verify_catches_swapped_records(db: TestDb) {
        let swap = ["UPDATE audit_events SET seq = -1 WHERE seq = 3", "UPDATE audit_events SET seq = 3 WHERE seq = 4", "UPDATE audit_events SET seq = 4 WHERE seq = -1"];
        assert_caught(&db, &swap, 3, "record #3");
    }
}

fn checkpoint(db: &TestDb, env: &[(&str, &str)]) -> String {
    let mut c = tobira(db);
    c.args(["audit", "checkpoint"]).envs(env.iter().copied());
    let (code, out, err) = output(c);
    assert_eq!(code, 0, "{out}{err}");
    out
}

both_backends! {
    fn r_lg_02_records_cut_off_after_a_checkpoint_are_named_a_truncation(db: TestDb) {
        seed(&db, 6);
        assert!(checkpoint(&db, &[]).contains("record #6"));
        let (code, out) = verify(&db);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("latest checkpoint: record #6"), "{out}");
        // The attacker drops the triggers and deletes the newest records (the verification's own too).
        unprotect(&db);
        db.raw("DELETE FROM audit_events WHERE seq >= 5");
        let (code, out) = verify(&db);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("audit chain intact: 4 records"), "the chain alone looks whole: {out}");
        assert!(out.contains("TRUNCATED") && out.contains("records 5..6 were deleted"), "{out}");
    }
}

both_backends! {
    fn r_lg_02_a_chain_recomputed_whole_is_named(db: TestDb) {
        seed(&db, 6);
        checkpoint(&db, &[]);
        unprotect(&db);
        // Everything rewritten from the start, every hash recomputed: a flawless chain of six.
        db.raw("DELETE FROM audit_events");
        let pool = db.pool();
        for i in 0..6 {
            let e = AuditEvent::new("mallory", "test.event", format!("target:{i}"));
            store::write_tx(&mut conn(&pool), |c| store::audit::append(c, 1_000 + i, vec![e])).unwrap();
        }
        let (code, out) = verify(&db);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("audit chain intact: 6 records"), "{out}");
        assert!(out.contains("RECOMPUTED: record #6"), "{out}");
    }
}

both_backends! {
    fn r_lg_02_every_record_and_checkpoint_reaches_the_export_and_forged_checkpoints_are_named(db: TestDb) {
        // Records written in their own transactions (not the group commit) go out too.
        seed(&db, 3);
        let export = db.dir.path().join("audit.jsonl").display().to_string();
        checkpoint(&db, &[("TOBIRA__AUDIT__EXPORT_FILE", &export)]);
        let text = std::fs::read_to_string(&export).unwrap();
        let seqs: Vec<i64> = text.lines().filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()?["seq"].as_i64()).collect();
        assert_eq!(seqs, [1, 2, 3], "{text}");
        assert!(text.lines().last().unwrap().contains("\"checkpoint\":{\"seq\":3"), "{text}");
        // A checkpoint written by someone without the key does not verify and is named.
        let file = std::path::PathBuf::from(format!("{}.audit-checkpoints", db.url.strip_prefix("sqlite://").unwrap_or("")));
        let file = if db.is_postgres() { db.dir.path().join("data/audit-checkpoints") } else { file };
        let line = std::fs::read_to_string(&file).unwrap().lines().last().unwrap().replace("\"seq\":3", "\"seq\":2");
        std::fs::write(&file, format!("{line}\n")).unwrap();
        let (code, out) = verify(&db);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("MAC that does not verify"), "{out}");
    }
}
