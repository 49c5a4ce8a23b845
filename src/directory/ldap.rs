//! ldap3 client: ldap:// with optional StartTLS or ldaps://, simple bind, paged subtree searches, a
//! time-out on the connection and on every operation. A search that ends in anything but success is an
//! error (never a short list), so a cut-short read can never look like people leaving.

use super::{DirectoryError, RawDirectory};
use crate::config::DirectoryConfig;
use ldap3::adapters::{EntriesOnly, PagedResults};
use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
use std::time::Duration;
use tobira_domain::hr::RawEntry;
use tobira_domain::policy::directory::DirectoryMapping;

/// The attributes of a person the mapping names.
fn person_attributes(m: &DirectoryMapping) -> Vec<String> {
    let a = &m.attributes;
    let mut v: Vec<String> = [Some(&a.employee_number), Some(&a.name_kanji), Some(&a.name_kana), Some(&a.department_code), Some(&a.employment_type)]
        .into_iter()
        .flatten()
        .cloned()
        .chain(
            [&a.stable_key, &a.name_romaji, &a.department_name, &a.concurrent_departments, &a.post, &a.status, &a.start_date, &a.end_date, &a.head_of_section, &a.secondment_target, &a.contract_id, &a.mail]
                .into_iter()
                .flatten()
                .cloned(),
        )
        .collect();
    v.sort();
    v.dedup();
    v
}

async fn search(ldap: &mut ldap3::Ldap, timeout: Duration, page_size: u32, base: &str, filter: &str, attrs: Vec<String>) -> Result<Vec<RawEntry>, DirectoryError> {
    let fail = |reason: String| DirectoryError::Search { base: base.into(), reason };
    let adapters: Vec<Box<dyn ldap3::adapters::Adapter<_, _>>> = vec![Box::new(EntriesOnly::new()), Box::new(PagedResults::new(page_size.max(1) as i32))];
    let mut stream = ldap.with_timeout(timeout).streaming_search_with(adapters, base, Scope::Subtree, filter, attrs).await.map_err(|e| fail(e.to_string()))?;
    let mut out = Vec::new();
    loop {
        match stream.next().await {
            Ok(Some(re)) => {
                // ldap3's entry parser expects well-formed BER; a malformed entry is a failed read.
                let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| SearchEntry::construct(re))).map_err(|_| fail("a malformed entry in the result".into()))?;
                out.push(RawEntry::new(e.dn, e.attrs));
            }
            Ok(None) => break,
            Err(e) => return Err(fail(e.to_string())),
        }
    }
    let res = stream.finish().await;
    res.success().map_err(|e| fail(e.to_string()))?;
    Ok(out)
}

/// A TLS client configuration trusting only the CAs in `ca_file` (ring provider, chosen explicitly).
fn tls_config(ca_file: &str) -> Result<std::sync::Arc<rustls::ClientConfig>, String> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca_file).map_err(|e| format!("CA file {ca_file}: {e}"))? {
        roots.add(cert.map_err(|e| format!("CA file {ca_file}: {e}"))?).map_err(|e| format!("CA file {ca_file}: {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!("CA file {ca_file} holds no certificate"));
    }
    let cfg = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(std::sync::Arc::new(cfg))
}

/// The operational attribute an incremental read starts from.
const MODIFY_TIMESTAMP: &str = "modifyTimestamp";

/// A generalized time an LDAP filter may carry: digits, optionally fraction, then `Z`.
fn valid_generalized_time(t: &str) -> bool {
    t.len() >= 15 && t.ends_with('Z') && t[..t.len() - 1].bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

/// Reads departments (when the mapping has them) and people in full.
pub async fn read_all(cfg: &DirectoryConfig, m: &DirectoryMapping) -> Result<RawDirectory, DirectoryError> {
    read(cfg, m, None).await
}

/// Reads departments, and people changed at or after `since` (an earlier read's high-water mark; the
/// boundary second is read again, which the idempotent plan absorbs). Deletions are not visible to
/// such a read: only a full read removes people.
pub async fn read_changed(cfg: &DirectoryConfig, m: &DirectoryMapping, since: &str) -> Result<RawDirectory, DirectoryError> {
    read(cfg, m, Some(since)).await
}

async fn read(cfg: &DirectoryConfig, m: &DirectoryMapping, since: Option<&str>) -> Result<RawDirectory, DirectoryError> {
    if cfg.url.is_empty() {
        return Err(DirectoryError::NotConfigured);
    }
    let timeout = Duration::from_secs(cfg.timeout_seconds.max(1));
    let mut settings = LdapConnSettings::new().set_conn_timeout(timeout).set_starttls(cfg.starttls);
    if !cfg.ca_file.is_empty() {
        settings = settings.set_config(tls_config(&cfg.ca_file).map_err(|reason| DirectoryError::Connect { url: cfg.url.clone(), reason })?);
    }
    let (conn, mut ldap) = LdapConnAsync::with_settings(settings, &cfg.url).await.map_err(|e| DirectoryError::Connect { url: cfg.url.clone(), reason: e.to_string() })?;
    ldap3::drive!(conn);
    ldap.with_timeout(timeout)
        .simple_bind(&cfg.bind_dn, &cfg.password)
        .await
        .and_then(|r| r.success())
        .map_err(|e| DirectoryError::Bind { bind_dn: cfg.bind_dn.clone(), reason: e.to_string() })?;
    let mut dir = RawDirectory::default();
    if let Some(d) = &m.departments {
        let attrs = [Some(d.code.clone()), Some(d.name.clone()), d.parent_code.clone()].into_iter().flatten().collect();
        dir.departments = search(&mut ldap, timeout, cfg.page_size, &d.base_dn, &d.filter, attrs).await?;
    }
    let filter = match since {
        Some(t) if valid_generalized_time(t) => format!("(&{}({MODIFY_TIMESTAMP}>={t}))", m.filter),
        Some(t) => return Err(DirectoryError::Search { base: m.base_dn.clone(), reason: format!("`{t}` is not a generalized time") }),
        None => m.filter.clone(),
    };
    let mut attrs = person_attributes(m);
    attrs.push(MODIFY_TIMESTAMP.into());
    dir.people = search(&mut ldap, timeout, cfg.page_size, &m.base_dn, &filter, attrs).await?;
    let _ = ldap.unbind().await;
    dir.complete = since.is_none();
    dir.high_water = dir.people.iter().filter_map(|e| e.attrs.get(&MODIFY_TIMESTAMP.to_lowercase())).flatten().filter(|t| valid_generalized_time(t)).max().cloned();
    Ok(dir)
}
