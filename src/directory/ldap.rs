//! ldap3 client: ldap:// with optional StartTLS or ldaps://, simple bind, paged subtree searches, a
//! time-out on the connection and on every operation. A search that ends in anything but success is an
//! error (never a short list), so a cut-short read can never look like people leaving.

use super::content_sync::{self, SyncFailure};
use super::{DirectoryError, RawDirectory, ReadMethod, ReadMode};
use crate::config::DirectoryConfig;
use ldap3::adapters::{EntriesOnly, PagedResults};
use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
use std::time::Duration;
use tobira_domain::hr::RawEntry;
use tobira_domain::policy::directory::{DirectoryKind, DirectoryMapping, IncrementalMethod};

/// Whether two DNs name the same entry (case and spaces after commas aside).
fn same_dn(a: &str, b: &str) -> bool {
    let norm = |d: &str| d.split(',').map(|p| p.trim().to_lowercase()).collect::<Vec<_>>();
    norm(a) == norm(b)
}

/// The attributes of a person the mapping names.
fn person_attributes(m: &DirectoryMapping) -> Vec<String> {
    let a = &m.attributes;
    let mut v: Vec<String> = [
        Some(&a.employee_number),
        Some(&a.name_kanji),
        a.name_kana.as_ref(),
        Some(&a.department_code),
        a.employment_type.as_ref(),
    ]
    .into_iter()
    .flatten()
    .cloned()
    .chain(
        [
            &a.stable_key,
            &a.name_romaji,
            &a.department_name,
            &a.concurrent_departments,
            &a.post,
            &a.status,
            &a.start_date,
            &a.end_date,
            &a.head_of_section,
            &a.secondment_target,
            &a.contract_id,
            &a.mail,
            &a.account_control,
        ]
        .into_iter()
        .flatten()
        .cloned(),
    )
    .collect();
    v.sort();
    v.dedup();
    v
}

/// An entry as the mapping reads it. A binary value of the stable key (Active Directory's
/// objectGUID) becomes its GUID text; any other binary attribute is marked, so reading it as text is a
/// problem of the entry rather than a silently missing value.
fn to_raw(mut e: SearchEntry, m: &DirectoryMapping) -> RawEntry {
    let key = m.attributes.stable_key.as_deref().map(str::to_lowercase);
    // ldap3 files a value under text when its octets happen to be UTF-8: an objectGUID of 16 such
    // octets is still a GUID.
    if m.kind == DirectoryKind::ActiveDirectory {
        if let Some(name) = e.attrs.keys().find(|k| Some(k.to_lowercase()) == key).cloned() {
            let values = e.attrs.remove(&name).unwrap_or_default();
            e.bin_attrs.insert(name, values.into_iter().map(String::into_bytes).collect());
        }
    }
    let mut raw = RawEntry::new(e.dn, e.attrs);
    for (name, values) in e.bin_attrs {
        let name = name.to_lowercase();
        let guid: Option<Vec<String>> = (key.as_deref() == Some(name.as_str()))
            .then(|| values.iter().map(|v| guid_text(v, m.kind)).collect())
            .flatten();
        match guid {
            Some(g) => {
                raw.attrs.insert(name, g);
            }
            None => {
                raw.binary.insert(name);
            }
        }
    }
    raw
}

/// A 16-octet GUID as text: Active Directory stores the first three fields little-endian.
fn guid_text(b: &[u8], kind: DirectoryKind) -> Option<String> {
    let b: [u8; 16] = b.try_into().ok()?;
    let u = match kind {
        DirectoryKind::ActiveDirectory => uuid::Uuid::from_bytes_le(b),
        _ => uuid::Uuid::from_bytes(b),
    };
    Some(u.hyphenated().to_string())
}

async fn search(
    ldap: &mut ldap3::Ldap,
    timeout: Duration,
    page_size: u32,
    base: &str,
    filter: &str,
    attrs: Vec<String>,
) -> Result<Vec<SearchEntry>, DirectoryError> {
    let fail = |reason: String| DirectoryError::Search { base: base.into(), reason };
    let adapters: Vec<Box<dyn ldap3::adapters::Adapter<_, _>>> =
        vec![Box::new(EntriesOnly::new()), Box::new(PagedResults::new(page_size.max(1) as i32))];
    let mut stream = ldap
        .with_timeout(timeout)
        .streaming_search_with(adapters, base, Scope::Subtree, filter, attrs)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let mut out = Vec::new();
    loop {
        match stream.next().await {
            Ok(Some(re)) => {
                // ldap3's entry parser expects well-formed BER; a malformed entry is a failed read.
                let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| SearchEntry::construct(re)))
                    .map_err(|_| fail("a malformed entry in the result".into()))?;
                out.push(e);
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
        roots
            .add(cert.map_err(|e| format!("CA file {ca_file}: {e}"))?)
            .map_err(|e| format!("CA file {ca_file}: {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!("CA file {ca_file} holds no certificate"));
    }
    let cfg =
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(std::sync::Arc::new(cfg))
}

/// The operational attribute a `modifyTimestamp` read starts from.
const MODIFY_TIMESTAMP: &str = "modifyTimestamp";

/// A generalized time an LDAP filter may carry: digits, optionally fraction, then `Z`.
fn valid_generalized_time(t: &str) -> bool {
    t.len() >= 15 && t.ends_with('Z') && t[..t.len() - 1].bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

/// Whether the root DSE lists the content-sync control (OpenLDAP with syncprov does).
async fn offers_content_sync(ldap: &mut ldap3::Ldap, timeout: Duration) -> Result<bool, DirectoryError> {
    let fail = |reason: String| DirectoryError::Search { base: "the root DSE".into(), reason };
    let (entries, _) = ldap
        .with_timeout(timeout)
        .search("", Scope::Base, "(objectClass=*)", vec!["supportedControl"])
        .await
        .map_err(|e| fail(e.to_string()))?
        .success()
        .map_err(|e| fail(e.to_string()))?;
    Ok(entries.into_iter().any(|re| {
        let e = SearchEntry::construct(re);
        e.attrs.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("supportedControl") && v.iter().any(|o| o == content_sync::CONTROL_OID)
        })
    }))
}

/// The method this directory is read by, the policy's `incremental` resolved.
async fn method_for(
    ldap: &mut ldap3::Ldap,
    timeout: Duration,
    m: &DirectoryMapping,
) -> Result<ReadMethod, DirectoryError> {
    Ok(match (m.incremental, m.kind) {
        (IncrementalMethod::ContentSync, _) => ReadMethod::ContentSync,
        (IncrementalMethod::ModifyTimestamp, _) => ReadMethod::ModifyTimestamp,
        (IncrementalMethod::UsnChanged, _) | (IncrementalMethod::Auto, DirectoryKind::ActiveDirectory) => {
            ReadMethod::UsnChanged
        }
        (IncrementalMethod::Auto, _)
            if m.attributes.stable_key.is_some() && offers_content_sync(ldap, timeout).await? =>
        {
            ReadMethod::ContentSync
        }
        (IncrementalMethod::Auto, _) => ReadMethod::ModifyTimestamp,
    })
}

/// The highest `uSNChanged` among `entries`, as text.
fn highest_usn(entries: &[RawEntry], attr: &str) -> Option<String> {
    entries
        .iter()
        .filter_map(|e| e.attrs.get(&attr.to_lowercase()))
        .flatten()
        .filter_map(|v| v.parse::<u64>().ok())
        .max()
        .map(|n| n.to_string())
}

/// Reads departments (when the mapping has them) and people, in full or since the last run as
/// `mode` says. A method without its mark (no cookie, no high-water mark yet) reads in full.
pub async fn read(
    cfg: &DirectoryConfig,
    m: &DirectoryMapping,
    mode: &ReadMode,
) -> Result<RawDirectory, DirectoryError> {
    if cfg.url.is_empty() {
        return Err(DirectoryError::NotConfigured);
    }
    // The bind password and the HR data do not travel in clear unless the operator says so.
    if cfg.url.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("ldap://")) && !cfg.starttls && !cfg.allow_plaintext {
        return Err(DirectoryError::Plaintext { url: cfg.url.clone() });
    }
    let timeout = Duration::from_secs(cfg.timeout_seconds.max(1));
    let mut settings = LdapConnSettings::new().set_conn_timeout(timeout).set_starttls(cfg.starttls);
    if !cfg.ca_file.is_empty() {
        settings = settings.set_config(
            tls_config(&cfg.ca_file).map_err(|reason| DirectoryError::Connect { url: cfg.url.clone(), reason })?,
        );
    }
    let (conn, mut ldap) = LdapConnAsync::with_settings(settings, &cfg.url)
        .await
        .map_err(|e| DirectoryError::Connect { url: cfg.url.clone(), reason: e.to_string() })?;
    ldap3::drive!(conn);
    ldap.with_timeout(timeout).simple_bind(&cfg.bind_dn, &cfg.password).await.and_then(|r| r.success()).map_err(
        |e| match e {
            ldap3::LdapError::Timeout { .. } => {
                DirectoryError::Timeout { url: cfg.url.clone(), during: "bind", seconds: timeout.as_secs() }
            }
            e => DirectoryError::Bind { bind_dn: cfg.bind_dn.clone(), reason: e.to_string() },
        },
    )?;
    let mut dir = RawDirectory::default();
    if let Some(d) = &m.departments {
        let attrs = [Some(d.code.clone()), Some(d.name.clone()), d.parent_code.clone()].into_iter().flatten().collect();
        // The container itself (the base DN) is no department, whatever the filter matches.
        let entries = search(&mut ldap, timeout, cfg.page_size, &d.base_dn, &d.filter, attrs).await?;
        dir.departments = entries.into_iter().filter(|e| !same_dn(&e.dn, &d.base_dn)).map(|e| to_raw(e, m)).collect();
    }
    let method = method_for(&mut ldap, timeout, m).await?;
    let (high_water, cookie) = match mode {
        ReadMode::Full => (None, None),
        ReadMode::Changes { high_water, cookie } => (high_water.clone(), cookie.clone()),
    };
    let mut attrs = person_attributes(m);
    match method {
        ReadMethod::ContentSync => {
            let (read, used_cookie) =
                match content_sync::search(&mut ldap, timeout, &m.base_dn, &m.filter, attrs.clone(), cookie.clone())
                    .await
                {
                    // The server cannot continue from the cookie (e.g. its database was reloaded): read in full.
                    Err(SyncFailure::RefreshRequired) if cookie.is_some() => {
                        (content_sync::search(&mut ldap, timeout, &m.base_dn, &m.filter, attrs, None).await, false)
                    }
                    other => (other, cookie.is_some()),
                };
            let read = read.map_err(|f| match f {
                SyncFailure::Failed(e) => e,
                SyncFailure::RefreshRequired => DirectoryError::Search {
                    base: m.base_dn.clone(),
                    reason: "the server asks for a full refresh of a content sync without a cookie".into(),
                },
            })?;
            dir.complete = !used_cookie;
            dir.people = read.entries.into_iter().map(|e| to_raw(e, m)).collect();
            dir.cookie = read.cookie;
            dir.gone_keys = read.gone;
            dir.present_keys = read.present;
        }
        ReadMethod::UsnChanged | ReadMethod::ModifyTimestamp | ReadMethod::Search => {
            let usn = method == ReadMethod::UsnChanged;
            let mark_attr = if usn {
                m.attributes.usn_changed.clone().unwrap_or_else(|| "uSNChanged".into())
            } else {
                MODIFY_TIMESTAMP.into()
            };
            let filter = match &high_water {
                None => m.filter.clone(),
                Some(n) if usn => {
                    let n: u64 = n.parse().map_err(|_| DirectoryError::Search {
                        base: m.base_dn.clone(),
                        reason: format!("`{n}` is not a uSNChanged value"),
                    })?;
                    format!("(&{}({mark_attr}>={}))", m.filter, n + 1)
                }
                Some(t) if valid_generalized_time(t) => format!("(&{}({mark_attr}>={t}))", m.filter),
                Some(t) => {
                    return Err(DirectoryError::Search {
                        base: m.base_dn.clone(),
                        reason: format!("`{t}` is not a generalized time"),
                    })
                }
            };
            attrs.push(mark_attr.clone());
            dir.people = search(&mut ldap, timeout, cfg.page_size, &m.base_dn, &filter, attrs)
                .await?
                .into_iter()
                .map(|e| to_raw(e, m))
                .collect();
            dir.complete = high_water.is_none();
            dir.high_water = if usn {
                highest_usn(&dir.people, &mark_attr)
            } else {
                dir.people
                    .iter()
                    .filter_map(|e| e.attrs.get(&MODIFY_TIMESTAMP.to_lowercase()))
                    .flatten()
                    .filter(|t| valid_generalized_time(t))
                    .max()
                    .cloned()
            };
            // An incremental read that found nothing keeps the mark it started from.
            if dir.high_water.is_none() {
                dir.high_water = high_water;
            }
        }
    }
    dir.method = if dir.complete && method != ReadMethod::ContentSync { ReadMethod::Search } else { method };
    let _ = ldap.unbind().await;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_in_active_directory_byte_order_and_uuids_in_rfc_4122_order() {
        // objectGUID {00112233-4455-6677-8899-aabbccddeeff} as AD stores it: the first three fields little-endian.
        let ad = [0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff];
        assert_eq!(
            guid_text(&ad, DirectoryKind::ActiveDirectory).as_deref(),
            Some("00112233-4455-6677-8899-aabbccddeeff")
        );
        let rfc: Vec<u8> = (0..16).map(|i| i * 0x11).collect();
        assert_eq!(guid_text(&rfc, DirectoryKind::Ldap).as_deref(), Some("00112233-4455-6677-8899-aabbccddeeff"));
        assert_eq!(
            content_sync::uuid_text(&rfc).as_deref(),
            Some("00112233-4455-6677-8899-aabbccddeeff"),
            "the entryUUID of a Sync State control reads as the attribute does"
        );
        assert_eq!(guid_text(&ad[..15], DirectoryKind::ActiveDirectory), None);
    }

    #[test]
    fn the_highest_usn_is_compared_as_a_number() {
        let e = |v: &str| RawEntry::new("cn=x", [("uSNChanged".to_string(), vec![v.to_string()])]);
        assert_eq!(highest_usn(&[e("998"), e("1002"), e("not a number")], "uSNChanged").as_deref(), Some("1002"));
    }
}
