//! Command handlers of the `tobira` binary that are more than a few lines.

pub mod admin;
pub mod audit;
pub mod audit_hold;
pub mod provisioning;
pub mod report;
pub mod returns;
pub mod review;
pub mod shared_id;
pub mod sync;

/// The acting operator, as `operator:NAME`: the operating-system account of the real user id (from
/// /proc and /etc/passwd, not from environment variables a caller could set), or, when that is root
/// and the command runs under sudo, the account that invoked sudo. Approvals that must come from a
/// different person (R-AC-02) compare these names.
pub fn operator_name() -> String {
    let uid = std::fs::read_to_string("/proc/self/status").ok().and_then(|s| {
        s.lines().find_map(|l| l.strip_prefix("Uid:").and_then(|v| v.split_whitespace().next()).map(String::from))
    });
    let name = uid.as_deref().and_then(|uid| {
        std::fs::read_to_string("/etc/passwd").ok()?.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 2 && f[2] == uid).then(|| f[0].to_string())
        })
    });
    let name = match (uid.as_deref(), name) {
        (Some("0"), _) if std::env::var("SUDO_USER").is_ok_and(|u| !u.trim().is_empty()) => {
            std::env::var("SUDO_USER").unwrap_or_default()
        }
        (_, Some(n)) => n,
        (Some(uid), None) => format!("uid-{uid}"),
        (None, None) => "unknown".into(),
    };
    format!("operator:{}", name.trim())
}
