//! R-LC-18: the tests use no personal information or live data. The HR directory the sync tests
//! serve is made up from employee numbers in the fictional city 東雲市, and every mail address in the
//! tests and in the example policy they load is in a domain that cannot belong to anyone: the
//! fictional city's own (`shinonome.lg.jp`) or one reserved for examples (RFC 2606, RFC 6761).
//! Scope of the scan: `tests/` and `policies/` (the unit tests under `src/` are pure functions
//! over these same example files).

use crate::slapd::{Fixture, SUFFIX};
use crate::support::repo_path;
use std::path::Path;

/// Domains no real person's mail can be in.
fn made_up(domain: &str) -> bool {
    let d = domain.to_ascii_lowercase();
    let under = |parent: &str| d == parent || d.ends_with(&format!(".{parent}"));
    under("shinonome.lg.jp")
        || ["example", "test", "invalid", "localhost", "example.com", "example.net", "example.org"]
            .into_iter()
            .any(under)
}

/// Every `local@domain` in `text` (the domain: labels of letters, digits and '-', at least one dot).
fn mail_domains(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    for (i, _) in text.match_indices('@') {
        let local = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b"._%+-".contains(&b[i - 1]));
        let end = b[i + 1..]
            .iter()
            .position(|c| !(c.is_ascii_alphanumeric() || *c == b'.' || *c == b'-'))
            .map_or(b.len(), |n| i + 1 + n);
        let domain = text[i + 1..end].trim_end_matches('.');
        if local
            && domain.contains('.')
            && domain
                .rsplit('.')
                .next()
                .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|c| c.is_ascii_alphabetic()))
        {
            out.push(domain.to_string());
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else if p
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| ["rs", "toml", "py", "csv", "ldif", "json", "txt"].contains(&x))
        {
            out.push(p);
        }
    }
}

#[test]
fn r_lc_18_every_mail_address_in_the_tests_and_the_example_policy_is_made_up() {
    let mut files = Vec::new();
    walk(&repo_path("tests"), &mut files);
    walk(&repo_path("policies"), &mut files);
    assert!(files.len() > 20, "the scan sees the tests: {files:?}");
    let mut seen = 0;
    let mut real = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for d in mail_domains(&text) {
            seen += 1;
            if !made_up(&d) {
                real.push(format!("{}: {d}", f.display()));
            }
        }
    }
    assert!(seen > 5, "the scan finds the addresses the tests use");
    assert!(real.is_empty(), "mail addresses outside the fictional city and the reserved example domains: {real:?}");
    // The scanner itself: it finds what it must and lets nothing real through.
    assert_eq!(
        mail_domains("to: sato@city.shinonome.lg.jp, x@mail.example."),
        ["city.shinonome.lg.jp", "mail.example"]
    );
    assert!(!made_up("gmail.com") && !made_up("shinonome.lg.jp.evil.com") && !made_up("notshinonome.lg.jp"));
}

#[test]
fn r_lc_18_the_hr_directory_the_sync_tests_serve_is_made_up_people_of_the_fictional_city() {
    let p = Fixture::new("100042", "shimin");
    assert_eq!(p.name, "東雲 職員100042", "names are made from the employee number, not taken from anyone");
    assert_eq!(p.kana, "シノノメ ショクイン100042");
    assert!(p.dn().ends_with(SUFFIX) && SUFFIX == "dc=shinonome,dc=lg,dc=jp", "{}", p.dn());
    let municipality = std::fs::read_to_string(repo_path("policies/municipality.toml")).unwrap();
    assert!(municipality.contains("name = \"東雲市\"") && municipality.contains("fictional municipality"));
    // The example directory mapping reads that same fictional tree.
    let directory = std::fs::read_to_string(repo_path("policies/directory.toml")).unwrap();
    assert!(directory.contains(&format!("base_dn = \"ou=people,{SUFFIX}\"")));
}
