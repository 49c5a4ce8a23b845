//! Command handlers of the `tobira` binary that are more than a few lines.

pub mod sync;

/// The acting operator: `--as NAME`, else the operating-system user, as `operator:NAME`.
pub fn operator_name(given: Option<&str>) -> String {
    given
        .map(String::from)
        .or_else(|| std::env::var("SUDO_USER").ok())
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("LOGNAME").ok())
        .filter(|s| !s.trim().is_empty())
        .map(|s| format!("operator:{}", s.trim()))
        .unwrap_or_else(|| "operator:unknown".into())
}
