//! The HR sync against an Active Directory-shaped directory (objectGUID octets in AD's byte order,
//! uSNChanged increments, userAccountControl's disabled bit), served by a real slapd with AD's
//! attribute definitions, through the `tobira sync` command, on both backends. AD itself does not run
//! here: its server raises uSNChanged on every change, which the test does by hand.

use crate::hr_sync::{policy_with_limits, Hr, DEPARTMENTS};
use crate::slapd::{AdUser, Fixture, Slapd};
use crate::support::{both_backends, conn, count};
use tobira::store;

/// userAccountControl: NORMAL_ACCOUNT, and with ACCOUNTDISABLE.
const NORMAL: u32 = 0x200;
const DISABLED: u32 = 0x202;

/// A GUID's text from AD's octets: the first three fields are stored little-endian.
fn guid_text(b: &[u8; 16]) -> String {
    let h = |r: &[u8]| r.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let rev = |r: &[u8]| h(&r.iter().rev().copied().collect::<Vec<u8>>());
    format!("{}-{}-{}-{}-{}", rev(&b[0..4]), rev(&b[4..6]), rev(&b[6..8]), h(&b[8..10]), h(&b[10..16]))
}

fn ad_person(en: &str, department: &str, guid: [u8; 16], usn: u64) -> Fixture {
    let mut f = Fixture::new(en, department);
    f.ad = Some(AdUser { guid, usn, account_control: NORMAL });
    f
}

fn people() -> Vec<Fixture> {
    vec![
        ad_person(
            "500001",
            "shimin",
            [0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff],
            100,
        ),
        // Octets that happen to be valid UTF-8 (all ASCII) are still a GUID, not text.
        ad_person("500002", "shimin", *b"ABCDEFGHIJKLMNOP", 101),
        ad_person("500003", "zeimu", [0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 102),
        ad_person(
            "500004",
            "somu",
            [0xf0, 0x9f, 0x98, 0x80, 0xc0, 0xff, 0xee, 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80],
            103,
        ),
    ]
}

fn directory_key(hr: &Hr, en: &str) -> Option<String> {
    store::org::person_by_employee_number(&mut conn(&hr.db.pool()), en).unwrap().unwrap().directory_key
}

both_backends! {
    async fn r_lc_10_active_directory_guids_usn_increments_and_the_disabled_bit(db: TestDb) {
        let ldap = Slapd::start();
        ldap.load(DEPARTMENTS, &people()).await;
        let hr = Hr { db, ldap, policy: policy_with_limits(20, 100.0) };
        hr.edit_policy("directory.toml", &[
            ("kind = \"ldap\"", "kind = \"active_directory\""),
            ("stable_key = \"entryUUID\"", "stable_key = \"objectGUID\"\naccount_control = \"userAccountControl\"\nusn_changed = \"uSNChanged\""),
        ]);
        let (code, out, err) = hr.sync(&[]);
        assert_eq!(code, 0, "{out}{err}");
        assert_eq!(out.matches("アカウント作成").count(), 4, "{out}");
        for p in people() {
            let guid = p.ad.as_ref().unwrap().guid;
            assert_eq!(directory_key(&hr, &p.employee_number), Some(guid_text(&guid)), "{}: objectGUID in AD's byte order", p.employee_number);
        }
        assert_eq!(directory_key(&hr, "500001").as_deref(), Some("00112233-4455-6677-8899-aabbccddeeff"));
        assert_eq!(store::sync_runs::state(&mut conn(&hr.db.pool()), tobira::app::sync::HIGH_WATER).unwrap().as_deref(), Some("103"), "the highest uSNChanged read");

        // AD raises uSNChanged on each change: a transfer (104) and an account disabled in AD (105).
        // A change whose uSNChanged stays below the mark is not an increment's business.
        let p = people();
        hr.ldap.set(&p[0].dn(), "departmentNumber", &["zeimu"]).await;
        hr.ldap.set(&p[0].dn(), "uSNChanged", &["104"]).await;
        hr.ldap.set(&p[1].dn(), "userAccountControl", &[&DISABLED.to_string()]).await;
        hr.ldap.set(&p[1].dn(), "uSNChanged", &["105"]).await;
        hr.ldap.set(&p[2].dn(), "departmentNumber", &["kikaku"]).await;
        let (code, out, err) = hr.sync(&[]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(err.contains("incremental read of entries changed since 103"), "{err}");
        assert!(out.contains("異動（shimin → zeimu）"), "{out}");
        assert_eq!(hr.account("500002").unwrap().status, "suspended", "userAccountControl's disabled bit: directory.disabled_status = on_leave");
        assert!(!out.contains("kikaku"), "an entry whose uSNChanged did not move is not read: {out}");
        assert_eq!(store::sync_runs::state(&mut conn(&hr.db.pool()), tobira::app::sync::HIGH_WATER).unwrap().as_deref(), Some("105"));
        let incremental = count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'sync.applied' AND details LIKE '%\"method\":\"usn_changed\"%'");
        assert_eq!(incremental, 1);

        // Re-enabled in AD: the account returns with its grants. A full read sees what an increment
        // could not, and an entry deleted from AD.
        hr.ldap.set(&p[1].dn(), "userAccountControl", &[&NORMAL.to_string()]).await;
        hr.ldap.set(&p[1].dn(), "uSNChanged", &["106"]).await;
        hr.ldap.delete(&p[3].dn()).await;
        let (code, out, err) = hr.sync(&[]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("復職"), "{out}");
        assert_eq!(hr.account("500002").unwrap().status, "active");
        assert_eq!(hr.account("500004").unwrap().status, "active", "an increment cannot see a deletion");
        let (code, out, err) = hr.sync(&["--full"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("異動（zeimu → kikaku）") && out.contains("人事情報から削除"), "{out}");
        assert_eq!(hr.account("500004").unwrap().status, "disabled");
        let (code, out, _) = hr.sync(&[]);
        assert_eq!(code, 0);
        assert!(out.contains(": applied — 0 件の操作"), "{out}");
    }
}
