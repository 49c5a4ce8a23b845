//! `tobira policy check` on the shipped policy and on broken copies: each error names file and line.

use crate::support::{output, repo_path};
use std::path::Path;
use std::process::Command;

fn check(dir: &Path) -> (i32, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tobira"));
    c.env_clear().args(["policy", "check"]).arg(dir);
    output(c)
}

/// A copy of the example policy with `from` replaced by `to` in `file`.
fn broken(file: &str, from: &str, to: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(repo_path("policies")).unwrap() {
        let p = entry.unwrap().path();
        let mut text = std::fs::read_to_string(&p).unwrap();
        if p.file_name().unwrap() == file {
            assert!(text.contains(from), "{from} not in {file}");
            text = text.replacen(from, to, 1);
        }
        std::fs::write(dir.path().join(p.file_name().unwrap()), text).unwrap();
    }
    dir
}

fn line_of(dir: &Path, file: &str, needle: &str) -> usize {
    std::fs::read_to_string(dir.join(file)).unwrap().lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn r_rv_07_shipped_policy_passes() {
    let (code, out, err) = check(&repo_path("policies"));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("policy OK: 東雲市"), "{out}");
}

#[test]
fn r_au_02_my_number_system_with_one_factor_fails_with_file_and_line() {
    let dir = broken("systems.toml", "max_privileged_holders = 2", "max_privileged_holders = 2\nmin_factor_kinds = 1");
    let (code, _, err) = check(dir.path());
    assert_eq!(code, 1);
    let line = line_of(dir.path(), "systems.toml", "min_factor_kinds = 1");
    assert!(err.contains(&format!("systems.toml:{line}: ")) && err.contains("R-AU-02"), "{err}");
}

#[test]
fn r_zn_01_a_system_in_no_known_zone_fails_with_file_and_line() {
    let dir = broken("systems.toml", "zone = \"mynumber\"", "zone = \"mynumbr\"");
    let (code, _, err) = check(dir.path());
    assert_eq!(code, 1);
    let line = line_of(dir.path(), "systems.toml", "zone = \"mynumbr\"");
    assert!(err.contains(&format!("systems.toml:{line}: ")) && err.contains("zone `mynumbr`"), "{err}");
    // A system without any zone is refused as well.
    let dir = broken("systems.toml", "zone = \"mynumber\"\n", "");
    let (code, _, err) = check(dir.path());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("zone"), "{err}");
}

#[test]
fn unknown_key_fails_with_file_and_line() {
    let dir = broken("review.toml", "campaign_days = 14", "campaign_days = 14\ncampain_days = 3");
    let (code, _, err) = check(dir.path());
    assert_eq!(code, 1);
    let line = line_of(dir.path(), "review.toml", "campain_days");
    assert!(err.contains(&format!("review.toml:{line}: ")) && err.contains("campain_days"), "{err}");
}

#[test]
fn role_of_a_missing_system_fails_with_file_and_line() {
    let dir = broken(
        "roles.toml",
        "system = \"juki\"\nname = \"住基 事務担当\"",
        "system = \"jyuki\"\nname = \"住基 事務担当\"",
    );
    let (code, _, err) = check(dir.path());
    assert_eq!(code, 1);
    let line = line_of(dir.path(), "roles.toml", "jyuki");
    assert!(err.contains(&format!("roles.toml:{line}: role `juki.clerk` refers to system `jyuki`")), "{err}");
}

#[test]
fn every_error_is_reported_and_counted() {
    let dir = broken("authentication.toml", "max_failures = 5", "max_failures = 50");
    std::fs::write(
        dir.path().join("extra.toml"),
        "[[zones]]\nid = \"mynumber2\"\nkind = \"mynumber\"\nmin_factor_kinds = 1\n",
    )
    .unwrap();
    let (code, _, err) = check(dir.path());
    assert_eq!(code, 1);
    assert!(err.contains("authentication.toml:") && err.contains("R-PR-05"), "{err}");
    assert!(err.contains("extra.toml:4: ") && err.contains("R-AU-02"), "{err}");
    assert!(err.contains("policy check failed: 2 error(s)"), "{err}");
}

#[test]
fn an_empty_or_missing_directory_fails() {
    let empty = tempfile::tempdir().unwrap();
    let (code, _, err) = check(empty.path());
    assert_eq!(code, 1);
    assert!(err.contains("no policy files"), "{err}");
    let (code, _, err) = check(&empty.path().join("absent"));
    assert_eq!(code, 1);
    assert!(err.contains("cannot read the policy directory"), "{err}");
}
