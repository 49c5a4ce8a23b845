//! The shape the architecture promises: the domain crate depends on no I/O crate (and on utoipa only
//! behind its optional `openapi` feature), and both backends' migrations have the same names.

use crate::support::repo_path;

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
