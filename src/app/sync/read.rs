//! Reading the HR directory for a sync: which read a run needs (everything, or the changes since
//! the marks the last applied run left), and the read itself, with the contract register when the
//! policy maps one (R-LC-01, R-LC-12).
//!
//! Invariants: a failed or cut-short read changes nothing; the marks are read here and written only
//! once a run is applied.

use crate::app::AppError;
use crate::config::DirectoryConfig;
use crate::directory::RawDirectory;
pub use crate::directory::ReadMode;
use crate::store::{sync_runs, DbConnection};
use tobira_domain::policy::directory::{ContractRegisterMapping, DirectoryMapping};
use tobira_domain::policy::Policy;

/// `sync_state` names: the newest modifyTimestamp (or uSNChanged) applied, the content-sync cookie
/// of the last applied run (hex), and when the last full read was applied.
pub const HIGH_WATER: &str = "hr-sync.high-water";
pub const COOKIE: &str = "hr-sync.cookie";
pub const LAST_FULL: &str = "hr-sync.last-full-at";
/// The SHA-256 of the contract register as of the last applied full read.
pub const CONTRACTS_DIGEST: &str = "hr-sync.contracts-digest";

pub(crate) fn mapping(policy: &Policy) -> Result<&DirectoryMapping, AppError> {
    policy.directory.as_ref().ok_or_else(|| {
        AppError::invalid(
            "no_directory_mapping",
            "ポリシーに [directory] の対応付けがありません",
            "the policy has no [directory] mapping",
        )
    })
}

fn unread(e: crate::directory::DirectoryError) -> AppError {
    AppError::Directory(format!("{e}; nothing was changed"))
}

/// The contract register's file, when the policy maps one: an error when it is not configured.
fn register_file<'a>(
    cfg: &'a DirectoryConfig,
    policy: &'a Policy,
) -> Result<Option<(&'a str, &'a ContractRegisterMapping)>, AppError> {
    let Some(m) = mapping(policy)?.contracts.as_ref() else {
        return Ok(None);
    };
    if cfg.contracts_file.is_empty() {
        return Err(AppError::invalid("contracts_file_not_set",
            "ポリシーは契約台帳（[directory.contracts]）を対応付けていますが、directory.contracts_file が設定されていません。何も変更していません",
            "the policy maps a contract register ([directory.contracts]) but directory.contracts_file is not set; nothing was changed",
        ));
    }
    Ok(Some((cfg.contracts_file.as_str(), m)))
}

/// Full when asked, when nothing has been read yet, when the last full read is older than
/// `sync.full_every_seconds`, or when the contract register changed since the last full read (a
/// contract's new end date concerns people whose entries did not change); otherwise the changes
/// since the stored marks.
pub fn mode_for(
    conn: &mut DbConnection,
    cfg: &DirectoryConfig,
    policy: &Policy,
    now: i64,
    force_full: bool,
) -> Result<ReadMode, AppError> {
    let high_water = sync_runs::state(conn, HIGH_WATER)?;
    let cookie = sync_runs::state(conn, COOKIE)?.and_then(|c| hex::decode(c).ok());
    let last_full: Option<i64> = sync_runs::state(conn, LAST_FULL)?.and_then(|v| v.parse().ok());
    let full_due = last_full.is_none_or(|t| now - t >= policy.sync.full_every_seconds as i64 * 1000);
    let register_changed = match register_file(cfg, policy)? {
        Some((file, _)) => {
            sync_runs::state(conn, CONTRACTS_DIGEST)?
                != Some(crate::directory::csv::register_digest(file).map_err(unread)?)
        }
        None => false,
    };
    Ok(if force_full || full_due || register_changed || (high_water.is_none() && cookie.is_none()) {
        ReadMode::Full
    } else {
        ReadMode::Changes { high_water, cookie }
    })
}

/// Reads the directory (or the HR system's CSV export) as `mode` says, and the contract register
/// when the policy maps one.
pub async fn read(cfg: &DirectoryConfig, policy: &Policy, mode: &ReadMode) -> Result<RawDirectory, AppError> {
    use tobira_domain::policy::directory::DirectoryKind;
    let mapping = mapping(policy)?;
    let register = register_file(cfg, policy)?;
    let mut raw = match mapping.kind {
        DirectoryKind::Csv => crate::directory::csv::read(&cfg.url, mapping),
        DirectoryKind::Ldap | DirectoryKind::ActiveDirectory => crate::directory::ldap::read(cfg, mapping, mode).await,
    }
    .map_err(unread)?;
    if let Some((file, m)) = register {
        raw.contracts = Some(crate::directory::csv::read_register(file, m).map_err(unread)?);
    }
    Ok(raw)
}
