//! R-ZN-04: tobira runs inside a zone with no route to any other. The real binary is started in a
//! network namespace of its own (`unshare --net`: loopback only, no other interface, no route), on
//! its embedded defaults with the example policy and SQLite, and answers there: ready (database,
//! policy, clock), discovery, the key set and the sign-in page. Nothing it needs to start or serve
//! lies outside the host, so an instance can run inside the My Number zone.

use std::process::Command;

/// Starts `tobira serve` in a namespace without network, asks it the given paths, prints
/// `<path> <status>` per path and the `/readyz` body, and stops it.
const SCRIPT: &str = r#"
set -u
ip link set lo up
ip route 2>/dev/null | grep -q . && { echo "a route exists in the namespace"; exit 9; }
"$TOBIRA_BIN" serve > "$DATA/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do
  curl -s -o /dev/null http://127.0.0.1:8080/healthz && break
  sleep 0.5
done
for path in /readyz /.well-known/openid-configuration /oauth/jwks /signin; do
  echo "$path $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:8080$path")"
done
echo "body $(curl -s http://127.0.0.1:8080/readyz)"
kill -TERM $pid; wait $pid
echo "exit $?"
"#;

#[test]
fn r_zn_04_tobira_starts_and_serves_in_a_namespace_with_no_network_but_its_own_host() {
    let data = tempfile::tempdir().unwrap();
    let policies = concat!(env!("CARGO_MANIFEST_DIR"), "/policies");
    let out = Command::new("unshare")
        .args(["--net", "sh", "-c", SCRIPT])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TOBIRA_BIN", env!("CARGO_BIN_EXE_tobira"))
        .env("DATA", data.path())
        .env("TOBIRA__DATA_DIR", data.path())
        .env("TOBIRA__DATABASE__URL", format!("sqlite://{}/tobira.db", data.path().display()))
        .env("TOBIRA__POLICY_DIR", policies)
        .env("TOBIRA__LOG__LEVEL", "warn")
        .output()
        .expect("unshare (util-linux) runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let log = std::fs::read_to_string(data.path().join("serve.log")).unwrap_or_default();
    let context = format!("{text}{}\n--- serve log ---\n{log}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{context}");
    for path in ["/readyz", "/.well-known/openid-configuration", "/oauth/jwks", "/signin"] {
        assert!(text.lines().any(|l| l == format!("{path} 200")), "{path} must answer 200 inside the zone:\n{context}");
    }
    let body: serde_json::Value =
        serde_json::from_str(text.lines().find_map(|l| l.strip_prefix("body ")).unwrap_or("{}")).unwrap_or_default();
    assert_eq!(body["database"], "ok", "{context}");
    assert!(text.lines().any(|l| l == "exit 0"), "serve stops cleanly on SIGTERM:\n{context}");
}
