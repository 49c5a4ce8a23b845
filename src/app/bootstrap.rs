//! `tobira admin bootstrap`: the first security-officer account, created once.
//!
//! The account is a privileged ID (R-PR-06: never a default name such as `admin`) with a random
//! temporary password that must be changed at first sign-in (R-AU-06). The password is returned to
//! the caller to show once; only its argon2id hash is stored. Refused when any account already holds
//! the security officer's role.

use super::AppError;
use crate::crypto::password;
use crate::store::{
    self,
    accounts::{Account, Grant},
    DbConnection,
};
use serde_json::json;
use tobira_domain::audit::{AuditEvent, AuditRecord};
use tobira_domain::policy::{OfficerFunction, Policy};
use tobira_domain::rbac::GrantSource;

pub const ACTOR: &str = "system:bootstrap";

/// Length of the temporary password: 20 characters of a 57-letter alphabet ≈ 116 bits.
pub const TEMP_PASSWORD_LEN: usize = 20;

#[derive(Debug)]
pub struct Bootstrapped {
    pub login_id: String,
    pub temporary_password: String,
    pub records: Vec<AuditRecord>,
}

/// A login id for the bootstrap account: the policy's privileged prefix, `so-` and ten random
/// characters of a 32-letter alphabet (50 bits), so nobody can guess the only officer's ID and lock it
/// out before anyone has signed in (R-AU-19).
fn generated_login_id(policy: &Policy) -> Result<String, AppError> {
    const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut b = [0u8; GENERATED_SUFFIX_LEN];
    crate::crypto::random_bytes(&mut b)?;
    let suffix: String = b.iter().map(|x| ALPHABET[usize::from(*x) % ALPHABET.len()] as char).collect();
    Ok(format!("{}so-{suffix}", policy.privileged.account_prefix))
}

/// Length of the random part of a generated bootstrap login ID.
pub const GENERATED_SUFFIX_LEN: usize = 10;

/// Login IDs tobira creates itself: 1 to 64 characters of A–Z, a–z, 0–9, '-', '_' and '.'.
pub fn check_login_id(l: &str) -> Result<(), AppError> {
    if l.is_empty() || l.len() > 64 || !l.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(AppError::invalid(
            "login_id_malformed",
            "ログインIDは A–Z、a–z、0–9、'-'、'_'、'.' の1〜64文字で入力してください",
            "a login ID is 1 to 64 characters of A–Z, a–z, 0–9, '-', '_' and '.'",
        ));
    }
    Ok(())
}

/// The policy's security officer role, which bootstrap grants and recovery looks for.
pub fn security_officer_role(policy: &Policy) -> Result<String, AppError> {
    let role = policy.officer_role(OfficerFunction::SecurityOfficer);
    let role = role.ok_or_else(|| {
        AppError::invalid(
            "no_security_officer_role",
            "ポリシーにセキュリティ担当のロールが定義されていません（[officers] security_officer）",
            "the policy defines no security officer role ([officers] security_officer)",
        )
    })?;
    Ok(role.to_string())
}

pub fn run(
    conn: &mut DbConnection,
    policy: &Policy,
    now: i64,
    login_id: Option<String>,
) -> Result<Bootstrapped, AppError> {
    let role = security_officer_role(policy)?;
    let login_id = match login_id {
        Some(l) => {
            let l = l.trim().to_string();
            check_login_id(&l)?;
            if policy.privileged.is_forbidden_name(&l) {
                return Err(AppError::invalid(
                    "generic_login_id",
                    format!("`{l}` は既定または汎用の名前です。特権IDには使えません（R-PR-06）"),
                    format!("`{l}` is a default or generic name; privileged IDs must not use one (R-PR-06)"),
                ));
            }
            l
        }
        None => generated_login_id(policy)?,
    };
    let temporary_password = password::temporary(TEMP_PASSWORD_LEN)?;
    // Hash before the transaction: it is deliberately slow.
    let hash = password::hash(&temporary_password, &policy.password.hashing)?;
    let records = store::write_tx(conn, |c| {
        if store::accounts::holders_of_role(c, &role, now)? > 0 {
            return Err(AppError::conflict(
                "already_bootstrapped",
                format!("セキュリティ担当のアカウントは既にあります（ロール {role}）。初期設定は一度だけ実行できます"),
                format!("a security officer account already exists (role {role}); bootstrap runs only once"),
            ));
        }
        if store::accounts::by_login_id(c, &login_id)?.is_some() {
            return Err(AppError::login_id_taken(&login_id));
        }
        if !store::accounts::role_exists(c, &role)? {
            return Err(AppError::invalid("role_not_registered",
                format!("ロール {role} はデータベースのロール台帳にありません。先にサービスを一度起動するか、migrate を実行してください"),
                format!("role {role} is not in the stored register; start the service once or run migrate first"),
            ));
        }
        let mut account = Account::new(store::new_id(), login_id.clone(), None, now);
        account.is_privileged = true;
        store::accounts::insert(c, &account)?;
        store::accounts::set_password(c, &account.id, &hash, true, now, None)?;
        let mut grant = Grant::new(&account.id, &role, GrantSource::Bootstrap, now);
        grant.reason = Some("tobira admin bootstrap".into());
        store::accounts::insert_grant(c, &grant)?;
        let events = vec![
            AuditEvent::new(ACTOR, "account.created", format!("account:{login_id}")).with_details(
                json!({ "privileged": true, "temporary_password": "issued", "must_change_password": true }),
            ),
            AuditEvent::new(ACTOR, "grant.added", format!("account:{login_id}"))
                .with_details(json!({ "role": role, "source": GrantSource::Bootstrap.as_str(), "grant_id": grant.id })),
        ];
        Ok(store::audit::append(c, now, events)?)
    })?;
    Ok(Bootstrapped { login_id, temporary_password, records })
}
