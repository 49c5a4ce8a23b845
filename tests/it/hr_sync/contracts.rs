//! Vendors and their contracts: suspending a contract at once (the sync does not undo it) and the
//! contract register ending vendors with their contract.

use super::{people, Hr};
use crate::slapd::Fixture;
use crate::support::{both_backends, conn, count, output, tobira};
use tobira::store;

fn vendor(en: &str, contract: &str) -> Fixture {
    let mut v = Fixture::new(en, "kikaku");
    v.employment = "委託".into();
    v.contract = Some(contract.into());
    v
}

both_backends! {
    async fn r_lc_13_a_contract_is_suspended_at_once_and_the_sync_does_not_undo_it(db: TestDb) {
        let mut all = people();
        all.extend([vendor("V00001", "C-2026-017"), vendor("V00002", "C-2026-017"), vendor("V00003", "C-2026-099")]);
        let hr = Hr::new(db, &all, (20, 100.0)).await;
        assert_eq!(hr.sync(&[]).0, 0);
        let v1 = hr.account("V00001").unwrap();
        assert!(v1.is_vendor, "R-LC-12: vendor accounts are flagged");
        assert!(hr.roles("V00001").is_empty(), "the staff birthright rules do not cover vendors");

        let contract = |args: &[&str]| {
            let mut c = tobira(&hr.db);
            c.env("SUDO_USER", "cso").arg("contract").args(args);
            output(c)
        };
        let (code, _, err) = contract(&["suspend", "C-2026-017", "--reason", ""]);
        assert_eq!(code, 1, "a reason is required: {err}");
        let (code, out, err) = contract(&["suspend", "C-2026-017", "--reason", "委託先での情報漏えい事案"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("2 件"), "{out}");
        assert_eq!(hr.account("V00001").unwrap().status, "suspended");
        assert_eq!(hr.account("V00002").unwrap().status, "suspended");
        assert_eq!(hr.account("V00003").unwrap().status, "active", "another contract is untouched");
        assert_eq!(hr.account("100001").unwrap().status, "active");

        // HR still lists them as active: the sync must not lift the suspension.
        let (code, out, _) = hr.sync(&[]);
        assert_eq!(code, 0);
        assert!(out.contains(": applied — 0 件の操作"), "{out}");
        assert_eq!(hr.account("V00001").unwrap().status, "suspended");

        let (code, out, err) = contract(&["resume", "C-2026-017"]);
        assert_eq!(code, 0, "{out}{err}");
        assert_eq!(hr.account("V00002").unwrap().status, "active");
        assert_eq!(contract(&["resume", "C-2026-017"]).0, 1, "nothing left to resume");
        assert_eq!(contract(&["suspend", "C-0000-000", "--reason", "x"]).0, 1, "unknown contract");
        assert_eq!(count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM audit_events WHERE action IN ('contract.suspended', 'contract.resumed') AND actor = 'operator:cso'"), 2);
    }
}

/// A JST date `days` from today, as the register writes it.
fn jst_date(days: i64) -> String {
    let d =
        (time::OffsetDateTime::now_utc().to_offset(tobira_domain::time_util::JST) + time::Duration::days(days)).date();
    format!("{}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

both_backends! {
    async fn r_lc_13_a_contract_register_binds_vendors_ends_them_with_the_contract_and_records_the_return(db: TestDb) {
        let vendor = |en: &str, contract: Option<&str>| {
            let mut f = Fixture::new(en, "kikaku");
            f.employment = "委託".into();
            f.contract = contract.map(String::from);
            f
        };
        let people = [Fixture::new("400001", "somu"), vendor("400002", Some("R8-001")), vendor("400003", Some("R8-001-A")), vendor("400004", Some("R9-999")), vendor("400005", None)];
        let hr = Hr::new(db, &people, (20, 100.0)).await;
        hr.edit_policy("directory.toml", &[("[directory.attributes]", "[directory.contracts]\nnumber = \"契約番号\"\nvendor = \"事業者\"\nstart_date = \"開始日\"\nend_date = \"終了日\"\nparent = \"元契約\"\n\n[directory.attributes]")]);
        let register = hr.policy.path().join("contracts.csv");
        let write = |main_end: &str| {
            let rows = format!("契約番号,事業者,開始日,終了日,元契約\r\nR8-001,株式会社しののめ情報,2026-04-01,{main_end},\r\nR8-001-A,有限会社再委託,2026-04-01,2099-03-31,R8-001\r\n");
            std::fs::write(&register, rows).unwrap();
        };
        let sync = |args: &[&str]| {
            let mut c = hr.cmd(args);
            c.env("TOBIRA__DIRECTORY__CONTRACTS_FILE", &register);
            output(c)
        };
        // Without the register's file the sync refuses to run: a vendor's end could be missed.
        let (code, _, err) = output(hr.cmd(&[]));
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("directory.contracts_file is not set") && err.contains("nothing was changed"), "{err}");

        let main_end = jst_date(120);
        write(&main_end);
        let (code, out, err) = sync(&[]);
        assert_eq!(code, if out.contains("スキップ") { 4 } else { 0 }, "exit 4 exactly when entries were skipped: {out}{err}");
        assert_eq!(out.matches("アカウント作成").count(), 3, "staff, a vendor and a sub-contractor's worker: {out}");
        assert!(out.contains("contract R9-999 is not in the contract register"), "{out}");
        assert!(out.contains("a vendor must name a contract of the contract register"), "{out}");
        assert!(hr.account("400004").is_none() && hr.account("400005").is_none(), "no account without a contract in the register");
        let end = |en: &str| store::org::person_by_employee_number(&mut conn(&hr.db.pool()), en).unwrap().unwrap().end_date;
        assert_eq!(end("400002").as_deref(), Some(main_end.as_str()), "the contract's end is the person's");
        assert_eq!(end("400003").as_deref(), Some(main_end.as_str()), "a sub-contract ends with its parent");
        assert_eq!(end("400001"), None);

        // The contract ends early (e.g. cancelled): the changed register alone makes the next run
        // read everyone, and both workers under it lose access; staff are untouched.
        write(&jst_date(-1));
        let (code, out, err) = sync(&[]);
        assert_eq!(code, if out.contains("スキップ") { 4 } else { 0 }, "exit 4 exactly when entries were skipped: {out}{err}");
        assert!(!err.contains("content sync") && !err.contains("incremental read"), "a changed register is read with everyone: {err}");
        assert_eq!(out.lines().filter(|l| l.contains("アカウント無効化") && l.contains("任期・契約満了")).count(), 2, "{out}");
        assert_eq!(hr.account("400002").unwrap().status, "disabled");
        assert_eq!(hr.account("400003").unwrap().status, "disabled");
        assert_eq!(hr.account("400001").unwrap().status, "active");
        // The same register again: an incremental run with nothing to do.
        let (code, out, err) = sync(&[]);
        assert_eq!(code, if out.contains("スキップ") { 4 } else { 0 }, "exit 4 exactly when entries were skipped: {out}{err}");
        assert!(err.contains("content sync"), "{err}");
        assert!(out.contains(": applied — 0 件の操作"), "{out}");

        // R-LC-13: the vendors report names the vendor and, once the contract has ended, asks for
        // the confirmation that the information handed over was returned or erased.
        let run = |args: &[&str]| {
            let mut c = hr.command();
            c.args(args);
            output(c)
        };
        let (code, out, err) = run(&["report", "vendors", "--format", "json"]);
        assert_eq!(code, if out.contains("スキップ") { 4 } else { 0 }, "exit 4 exactly when entries were skipped: {out}{err}");
        assert!(out.contains("株式会社しののめ情報") && out.contains("未確認 / not confirmed"), "{out}");
        let note = "貸与資料の返却と作業端末のデータ消去を確認（消去証明書を受領）";
        let (code, out, err) = run(&["contract", "confirm-return", "R8-001", "--note", note]);
        assert_eq!(code, if out.contains("スキップ") { 4 } else { 0 }, "exit 4 exactly when entries were skipped: {out}{err}");
        let (code, _, err) = run(&["contract", "confirm-return", "R8-001", "--note", "again"]);
        assert_eq!(code, 1);
        assert!(err.contains("already confirmed by operator:hr-operator"), "{err}");
        let (code, _, err) = run(&["contract", "confirm-return", "R9-999", "--note", note]);
        assert_eq!(code, 1);
        assert!(err.contains("not in the contract register"), "{err}");
        let (_, out, _) = run(&["report", "vendors", "--format", "json"]);
        assert!(out.contains("hr-operator") && !out.contains("未確認"), "{out}");
        assert_eq!(count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'contract.return_confirmed'"), 1);
        assert_eq!(count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'contract.saved' AND target = 'contract:R8-001'"), 2, "saved, then its new end date");

        // A register that cannot be read changes nothing; a broken row is reported, and the people
        // under its contract are skipped, not removed.
        std::fs::write(&register, "契約番号,事業者,開始日,終了日\r\nR8-001,\"株式会社").unwrap();
        let (code, _, err) = sync(&[]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("never closes") && err.contains("nothing was changed"), "{err}");
        std::fs::write(&register, "契約番号,事業者,開始日,終了日,元契約\r\nR8-001,株式会社しののめ情報,2026-04-01,2099-02-30,\r\n").unwrap();
        let (code, out, err) = sync(&[]);
        assert_eq!(code, if out.contains("スキップ") { 4 } else { 0 }, "exit 4 exactly when entries were skipped: {out}{err}");
        assert!(out.contains("contracts.csv:2: 終了日: `2099-02-30` is not a valid date"), "{out}");
        assert!(out.contains("400002") && out.contains("contract R8-001 cannot be read from the contract register"), "{out}");
        assert_eq!(hr.account("400001").unwrap().status, "active");
    }
}
