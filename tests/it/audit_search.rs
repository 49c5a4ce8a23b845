//! Reading a person's records from the audit log (R-LG-11, R-RV-09): the store merges one ordered
//! read per login (as actor) and per account (as target). Whatever the plan, the answer must be the
//! same as the filter's meaning: every record by any of the logins or about any of the accounts,
//! newest first, each once, at most the limit, below the `before` cursor; and the other filters hold.

use crate::support::{both_backends, conn};
use tobira::store::{self, audit_search::AuditFilter};
use tobira_domain::audit::AuditEvent;

/// Appends one record per `(actor, action, target)`, one second apart; returns their seqs in order.
fn append(c: &mut store::DbConnection, rows: &[(&str, &str, &str)]) -> Vec<i64> {
    let mut seqs = Vec::new();
    for (i, (actor, action, target)) in rows.iter().enumerate() {
        let e = AuditEvent::new(*actor, *action, *target);
        let at = 1_796_000_000_000 + i as i64 * 1_000;
        let written = store::write_tx(c, |c| store::audit::append(c, at, vec![e])).unwrap();
        seqs.push(written[0].seq);
    }
    seqs
}

fn person(logins: &[&str], targets: &[&str]) -> AuditFilter {
    AuditFilter {
        person: Some((logins.iter().map(|s| s.to_string()).collect(), targets.iter().map(|s| s.to_string()).collect())),
        ..AuditFilter::default()
    }
}

fn seqs(c: &mut store::DbConnection, f: &AuditFilter, before: Option<i64>, limit: i64) -> Vec<i64> {
    store::audit_search::search(c, f, before, limit).unwrap().into_iter().map(|r| r.seq).collect()
}

both_backends! {
    fn r_lg_11_a_persons_records_are_merged_newest_first_each_once_and_paged(db: TestDb) {
        let pool = db.pool();
        let mut c = conn(&pool);
        let s = append(&mut c, &[
            ("hanako", "auth.signed_in", "account:hanako"),      // 0: by and about: found once
            ("taro", "auth.signed_in", "account:taro"),          // 1: someone else
            ("hanako-p", "privileged.elevated", "role:x"),       // 2: the second login
            ("officer", "officer.unlocked", "account:hanako"),   // 3: about her account
            ("taro", "auth.sign_in_failed", "account:taro"),     // 4
            ("hanako", "auth.sign_in_failed", "account:hanako"), // 5
            ("officer", "officer.reset", "account:hanako-p"),    // 6: about the second account
            ("system:hr-sync", "sync.applied", "sync:1"),        // 7
        ]);
        let f = person(&["hanako", "hanako-p"], &["account:hanako", "account:hanako-p"]);
        let all = vec![s[6], s[5], s[3], s[2], s[0]];
        assert_eq!(seqs(&mut c, &f, None, 50), all);
        assert_eq!(seqs(&mut c, &f, None, 2), all[..2]);
        assert_eq!(seqs(&mut c, &f, Some(s[5]), 2), all[2..4], "the next page starts below the cursor");
        assert_eq!(seqs(&mut c, &f, Some(s[2]), 50), [s[0]]);
        // The other filters hold on every part of the merge.
        let failed = AuditFilter { action: Some("auth.sign_in_failed".into()), ..f.clone() };
        assert_eq!(seqs(&mut c, &failed, None, 50), [s[5]]);
        let auth = AuditFilter { action: Some("auth.".into()), from: Some(1_796_000_000_000 + 1_000), ..f.clone() };
        assert_eq!(seqs(&mut c, &auth, None, 50), [s[5]]);
        // Only targets, only logins, nothing.
        assert_eq!(seqs(&mut c, &person(&[], &["account:hanako"]), None, 50), [s[5], s[3], s[0]]);
        assert_eq!(seqs(&mut c, &person(&["hanako-p"], &[]), None, 50), [s[2]]);
        assert!(seqs(&mut c, &person(&[], &[]), None, 50).is_empty());
        // Many logins and accounts take one IN query: the same answer.
        let many: Vec<String> = (0..20).map(|i| format!("account:nobody{i}")).collect();
        let mut targets: Vec<&str> = many.iter().map(String::as_str).collect();
        targets.extend(["account:hanako", "account:hanako-p"]);
        assert_eq!(seqs(&mut c, &person(&["hanako", "hanako-p"], &targets), None, 50), all);
        assert_eq!(seqs(&mut c, &person(&[], &targets), None, 50), [s[6], s[5], s[3], s[0]]);
    }
}
