//! 存在 (presence) must be proven, not claimed (R-AU-02): in headless Chromium with a virtual
//! authenticator (AAGUID 01020304-0506-0708-0102-030405060708) that the policy lists as biometric,
//! a key whose attestation does not chain to the city's attestation roots counts as 所持 + 知識: with
//! the password, two kinds, never three. Attestation is checked locally (no outbound calls).

use crate::browser::Browser;
use crate::support::{repo_path, TestDb};
use crate::web;
use diesel::prelude::*;
use tobira::store::schema::{accounts, sessions};

const PASSWORD: &str = "ume-boshi to ryokucha 3ji";
const VIRTUAL_AAGUID: &str = "01020304-0506-0708-0102-030405060708";

/// The example policy with the virtual authenticator's model listed as biometric and `roots` (a PEM
/// file copied beside the policy, or none) as the attestation roots.
fn policy_dir(roots: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(repo_path("policies")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
    }
    let auth = dir.path().join("authentication.toml");
    let mut text = std::fs::read_to_string(&auth)
        .unwrap()
        .replace("biometric_aaguids = []", &format!("biometric_aaguids = [\"{VIRTUAL_AAGUID}\"]"));
    if let Some(pem) = roots {
        std::fs::copy(pem, dir.path().join("attestation-roots.pem")).unwrap();
        text = text.replace("attestation_roots = \"\"", "attestation_roots = \"attestation-roots.pem\"");
    }
    std::fs::write(&auth, text).unwrap();
    dir
}

fn kinds_in_session(db: &TestDb, login: &str) -> Vec<String> {
    let pool = db.pool();
    let mut c = pool.get().unwrap();
    let factors: Vec<String> = sessions::table
        .inner_join(accounts::table.on(accounts::id.eq(sessions::account_id)))
        .filter(accounts::login_id.eq(login))
        .filter(sessions::revoked_at.is_null())
        .select(sessions::factors)
        .load(&mut *c)
        .unwrap();
    let mut kinds: Vec<String> = factors
        .iter()
        .flat_map(|f| serde_json::from_str::<serde_json::Value>(f).unwrap().as_array().cloned().unwrap_or_default())
        .flat_map(|f| f["kinds"].as_array().cloned().unwrap_or_default())
        .filter_map(|k| k.as_str().map(String::from))
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

async fn enrol_a_key(roots: Option<&str>) -> (Vec<String>, usize, usize, usize) {
    let db = TestDb::sqlite();
    let policy = policy_dir(roots);
    let dir = policy.path().display().to_string();
    let s = web::start(&db, |c| c.policy_dir = dir).await;
    s.account("ichiro", PASSWORD, false, false).await;
    let base = s.base.clone();
    tokio::task::spawn_blocking(move || {
        let b = Browser::start();
        b.add_authenticator();
        b.goto(&format!("{base}/signin"));
        b.fill("#login_id", "ichiro");
        b.fill("#password", PASSWORD);
        b.click("#signin-submit", true);
        assert_eq!(b.path(), "/account/enrol");
        b.fill("#key-name", "指紋キー");
        b.click("#key-register", false);
        b.wait_for("location.pathname === '/account' && document.readyState === 'complete' && document.getElementById('systems')");
    })
    .await
    .unwrap();
    let kinds = kinds_in_session(&db, "ichiro");
    let named = s.audit_count("credential.added", Some(VIRTUAL_AAGUID)).await;
    (
        kinds,
        s.audit_count("credential.added", Some("\"presence\"")).await,
        s.audit_count("credential.added", Some("\"attested\":false")).await,
        named,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_au_02_an_unattested_key_naming_a_biometric_model_proves_two_kinds_never_three() {
    // No roots shipped: nothing is attested.
    let (kinds, presence, unattested, named) = enrol_a_key(None).await;
    assert_eq!(named, 1, "the key names the biometric model");
    assert_eq!(kinds, ["knowledge", "possession"], "password + key: two kinds");
    assert_eq!((presence, unattested), (0, 1));
    // Roots shipped, but the virtual authenticator's attestation chains to none of them.
    let roots = "/etc/ssl/certs/ISRG_Root_X1.pem";
    if std::path::Path::new(roots).exists() {
        let (kinds, presence, unattested, named) = enrol_a_key(Some(roots)).await;
        assert_eq!(named, 1, "the key names the biometric model");
        assert_eq!(kinds, ["knowledge", "possession"], "an attestation no root vouches for earns nothing extra");
        assert_eq!((presence, unattested), (0, 1));
    }
}
