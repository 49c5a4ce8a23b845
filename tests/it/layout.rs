//! The shape the architecture promises: the domain crate depends on no I/O crate (and on utoipa only
//! behind its optional `openapi` feature), and both backends' migrations have the same names.

use crate::support::{repo_path, rust_files};

#[test]
fn the_domain_crate_lists_no_io_crates() {
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(repo_path("src/domain/Cargo.toml")).unwrap()).unwrap();
    let deps: Vec<&String> = ["dependencies", "dev-dependencies", "build-dependencies"]
        .iter()
        .filter_map(|s| manifest.get(*s).and_then(|d| d.as_table()))
        .flat_map(|t| t.keys())
        .collect();
    assert!(!deps.is_empty());
    for forbidden in [
        "actix-web",
        "actix",
        "diesel",
        "ldap3",
        "argon2",
        "webauthn-rs",
        "jsonwebtoken",
        "tokio",
        "reqwest",
        "aws-lc-rs",
        "totp-rs",
        "r2d2",
    ] {
        assert!(!deps.iter().any(|d| d.as_str() == forbidden), "tobira-domain must not depend on {forbidden}");
    }
    // The schemas of the JSON API are an optional feature, not part of the rules.
    let utoipa =
        manifest["dependencies"].get("utoipa").and_then(|d| d.as_table()).expect("utoipa, for the `openapi` feature");
    assert_eq!(
        utoipa.get("optional").and_then(|o| o.as_bool()),
        Some(true),
        "tobira-domain's utoipa must be optional (the `openapi` feature)"
    );
}

#[test]
fn both_backends_have_the_same_migrations() {
    let names = |dir: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(repo_path(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let sqlite = names("migrations/sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, names("migrations/postgres"));
}

/// The codes of the refusals made in `src` (`AppError::invalid("code", …)`, `.coded("code")`).
fn refusal_codes(dir: &std::path::Path, found: &mut std::collections::BTreeSet<String>) {
    for path in rust_files(dir) {
        let text = std::fs::read_to_string(&path).unwrap();
        let starts =
            ["AppError::invalid(", "AppError::refused(", "AppError::conflict(", "AppError::not_found(", ".coded("];
        for start in starts {
            for (i, _) in text.match_indices(start) {
                let rest = text[i + start.len()..].trim_start();
                if let Some(quoted) = rest.strip_prefix('"') {
                    found.insert(quoted[..quoted.find('"').unwrap()].to_string());
                }
            }
        }
        // A held plan's refusal takes its code as the argument before `now`; the session's
        // refusals are the arms of `denied_code`.
        for (i, _) in text.match_indices("sync_hold::refuse(") {
            // Up to its last argument, `now`.
            let end = text[i..]
                .match_indices("now")
                .map(|(j, _)| j)
                .find(|&j| text[i + j - 1..].starts_with([' ', '\n']) && text[i + j + 3..].starts_with([')', ',']))
                .unwrap();
            let call = &text[i..i + end];
            let last = call.rfind('"').map(|end| &call[..end]);
            if let Some(head) = last {
                found.insert(head[head.rfind('"').unwrap() + 1..].to_string());
            }
        }
        if let Some(i) = text.find("fn denied_code(") {
            let body = &text[i..i + text[i..].find("\n}").unwrap()];
            for arm in body.split("=> \"").skip(1) {
                found.insert(arm[..arm.find('"').unwrap()].to_string());
            }
        }
    }
}

#[test]
fn every_refusal_code_is_snake_case_and_listed_in_the_api_document() {
    let mut codes = std::collections::BTreeSet::new();
    refusal_codes(&repo_path("src/app"), &mut codes);
    refusal_codes(&repo_path("src/http"), &mut codes);
    refusal_codes(&repo_path("src/cli"), &mut codes);
    assert!(codes.len() > 100, "the scan finds the codes: {codes:?}");
    for made_elsewhere in ["locked", "wrong_code", "step_up_required", "onboarding_due"] {
        assert!(codes.contains(made_elsewhere), "the scan finds `{made_elsewhere}`: {codes:?}");
    }
    let api = std::fs::read_to_string(repo_path("docs/api.md")).unwrap();
    for code in &codes {
        assert!(
            !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "`{code}` is not a snake_case code"
        );
        assert!(api.contains(&format!("`{code}`")), "docs/api.md does not list the refusal code `{code}`");
    }
}
