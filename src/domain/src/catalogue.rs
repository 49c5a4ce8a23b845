//! The requirement catalogue (R-RV-07): every requirement of `shared/REQUIREMENTS.md` as data, for
//! the compliance report — its scope, short titles (ja/en), source clauses, how tobira implements it
//! today, the policy settings that decide it and the tests that prove it.
//!
//! The data is `catalogue/requirements.toml`, embedded at build time with `include_str!` (no other
//! I/O). Invariant, kept by the tests below: the catalogue lists the IDs of REQUIREMENTS.md in its
//! order with the same scope and area, every test it names exists, and every test named for a
//! requirement (`fn r_xx_nn_…`) is listed under that requirement.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// What REQUIREMENTS.md says the service does about a requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The service enforces it.
    Enforce,
    /// The service records, reports or otherwise helps the people who do it.
    Support,
    /// Not for the service; listed so that the report can say so.
    Outside,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Enforce => "enforce",
            Scope::Support => "support",
            Scope::Outside => "outside",
        }
    }
}

/// How far tobira implements a requirement today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Enforced,
    Partly,
    Not,
    /// Only for requirements whose scope is outside.
    Outside,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Enforced => "enforced",
            Status::Partly => "partly",
            Status::Not => "not",
            Status::Outside => "outside",
        }
    }
}

/// One requirement of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// `R-XX-NN`.
    pub id: String,
    pub scope: Scope,
    /// The REQUIREMENTS.md section it sits under, in English ("Authentication").
    pub area: String,
    pub title_ja: String,
    pub title_en: String,
    /// The policy clauses it comes from ("Iizuka 7.2(1)②(エ)").
    pub sources: Vec<String>,
    pub status: Status,
    /// Policy keys that decide it, as `file.toml [section] key`.
    #[serde(default)]
    pub settings: Vec<String>,
    /// Names of the test functions that prove it.
    #[serde(default)]
    pub tests: Vec<String>,
    /// What is done or missing, in one sentence.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    requirement: Vec<Requirement>,
}

const SOURCE: &str = include_str!("catalogue/requirements.toml");

fn parse(text: &str) -> Result<Vec<Requirement>, toml::de::Error> {
    toml::from_str::<CatalogueFile>(text).map(|f| f.requirement)
}

/// Every requirement, in the order of REQUIREMENTS.md.
pub fn catalogue() -> &'static [Requirement] {
    static CATALOGUE: OnceLock<Vec<Requirement>> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        // The file is a build-time asset that a unit test parses, so this cannot fail in a tested build.
        parse(SOURCE).unwrap_or_else(|e| panic!("the embedded catalogue/requirements.toml does not parse: {e}"))
    })
}

/// The requirement with this ID (`R-AU-02`).
pub fn find(id: &str) -> Option<&'static Requirement> {
    catalogue().iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    //! These tests read REQUIREMENTS.md and the repository's sources from disk: the crate's no-I/O
    //! rule is for its library code, and these checks are what keep the embedded data true.

    use super::*;
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};

    const REQUIREMENTS_MD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/REQUIREMENTS.md");

    fn repo_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// `R-AU-02` for `r_au_02_…`, when the name has that form.
    fn id_of_test(name: &str) -> Option<String> {
        let b = name.as_bytes();
        let ok = b.len() >= 7
            && b.starts_with(b"r_")
            && b[2..4].iter().all(u8::is_ascii_lowercase)
            && b[4] == b'_'
            && b[5..7].iter().all(u8::is_ascii_digit)
            && (b.len() == 7 || b[7] == b'_');
        ok.then(|| format!("R-{}-{}", name[2..4].to_ascii_uppercase(), &name[5..7]))
    }

    /// `r_au_02` for `R-AU-02`.
    fn test_prefix(id: &str) -> String {
        format!("r_{}_{}", id[2..4].to_ascii_lowercase(), &id[5..7])
    }

    fn well_formed_id(id: &str) -> bool {
        let b = id.as_bytes();
        b.len() == 7
            && b.starts_with(b"R-")
            && b[2..4].iter().all(u8::is_ascii_uppercase)
            && b[4] == b'-'
            && b[5..7].iter().all(u8::is_ascii_digit)
    }

    /// (id, scope, area) of every entry of REQUIREMENTS.md, in order.
    fn requirements_md() -> Vec<(String, Scope, String)> {
        let text = std::fs::read_to_string(REQUIREMENTS_MD).unwrap_or_else(|e| panic!("cannot read {REQUIREMENTS_MD} ({e}): the catalogue is checked against it; the clone needs shared/ beside it"));
        let mut area = String::new();
        let mut out = Vec::new();
        for line in text.lines() {
            if let Some(heading) = line.strip_prefix("## ") {
                area = heading.split(" (").next().unwrap_or(heading).trim().to_string();
            } else if let Some(entry) = line.strip_prefix("- R-") {
                let (id, rest) = line[2..].split_at(7);
                let scope = match rest.trim_start().split(')').next() {
                    Some("(enforce") => Scope::Enforce,
                    Some("(support") => Scope::Support,
                    Some("(outside") => Scope::Outside,
                    other => panic!("REQUIREMENTS.md: {id} has no scope ({other:?}) in `- R-{entry}`"),
                };
                out.push((id.to_string(), scope, area.clone()));
            }
        }
        assert!(!out.is_empty(), "{REQUIREMENTS_MD} lists no requirement");
        out
    }

    /// Every `fn r_xx_nn…` (plain or `async`, inside macros too) under the repository's src/ and tests/.
    fn requirement_tests_in_repo() -> BTreeSet<String> {
        fn walk(dir: &Path, found: &mut BTreeSet<String>) {
            let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
            for entry in entries {
                let path = entry.expect("directory entry").path();
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if path.is_dir() {
                    if !name.starts_with('.') && name != "target" {
                        walk(&path, found);
                    }
                } else if name.ends_with(".rs") {
                    let text = std::fs::read_to_string(&path)
                        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
                    for (at, _) in text.match_indices("fn r_") {
                        let before = text[..at].chars().next_back();
                        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                            continue;
                        }
                        let ident: String =
                            text[at + 3..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                        if id_of_test(&ident).is_some() {
                            found.insert(ident);
                        }
                    }
                }
            }
        }
        let mut found = BTreeSet::new();
        for dir in ["src", "tests"] {
            walk(&repo_root().join(dir), &mut found);
        }
        assert!(!found.is_empty(), "no test named for a requirement under {}", repo_root().display());
        found
    }

    #[test]
    fn r_rv_07_the_embedded_catalogue_parses() {
        let parsed = parse(SOURCE).unwrap_or_else(|e| panic!("catalogue/requirements.toml: {e}"));
        assert_eq!(parsed.len(), catalogue().len());
        assert_eq!(find("R-AU-02").map(|r| r.scope), Some(Scope::Enforce));
        assert!(find("R-XX-99").is_none());
        assert_eq!(Scope::Support.as_str(), "support");
        assert_eq!(Status::Partly.as_str(), "partly");
    }

    #[test]
    fn r_rv_07_catalogue_lists_every_requirement_once_with_titles_and_sources() {
        let mut seen = BTreeSet::new();
        for r in catalogue() {
            assert!(well_formed_id(&r.id), "{:?} is not of the form R-XX-NN", r.id);
            assert!(seen.insert(r.id.as_str()), "{} is listed twice", r.id);
            assert!(!r.title_ja.trim().is_empty() && !r.title_en.trim().is_empty(), "{} lacks a title", r.id);
            assert!(r.title_ja.chars().count() <= 40, "{}: title_ja is over 40 characters", r.id);
            assert!(r.title_en.chars().count() <= 80, "{}: title_en is over 80 characters", r.id);
            assert!(
                !r.sources.is_empty() && r.sources.iter().all(|s| !s.trim().is_empty()),
                "{} names no source",
                r.id
            );
            if r.status != Status::Enforced {
                assert!(
                    r.note.as_deref().is_some_and(|n| !n.trim().is_empty()),
                    "{} is {} but says nothing about what is missing",
                    r.id,
                    r.status.as_str()
                );
            }
        }
    }

    #[test]
    fn r_rv_07_scope_outside_is_status_outside_and_only_then() {
        for r in catalogue() {
            assert_eq!(
                r.scope == Scope::Outside,
                r.status == Status::Outside,
                "{}: scope {} with status {}",
                r.id,
                r.scope.as_str(),
                r.status.as_str()
            );
        }
    }

    #[test]
    fn r_rv_07_settings_name_a_policy_file_section_and_key() {
        for r in catalogue() {
            for s in &r.settings {
                let mut parts = s.splitn(3, ' ');
                let (file, section, key) =
                    (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                assert!(
                    file.ends_with(".toml") && repo_root().join("policies").join(file).is_file(),
                    "{}: {s:?} names no file of policies/",
                    r.id
                );
                assert!(
                    section.len() > 2 && section.starts_with('[') && section.ends_with(']'),
                    "{}: {s:?} names no [section]",
                    r.id
                );
                assert!(!key.is_empty() && !key.contains(' '), "{}: {s:?} names no key", r.id);
            }
        }
    }

    #[test]
    fn r_rv_07_catalogue_matches_requirements_md() {
        let expected = requirements_md();
        let actual: Vec<_> = catalogue().iter().map(|r| (r.id.clone(), r.scope, r.area.clone())).collect();
        for (i, (want, got)) in expected.iter().zip(&actual).enumerate() {
            assert_eq!(want, got, "entry {} differs (REQUIREMENTS.md, catalogue)", i + 1);
        }
        assert_eq!(
            expected.len(),
            actual.len(),
            "REQUIREMENTS.md lists {} requirements, the catalogue {}",
            expected.len(),
            actual.len()
        );
    }

    #[test]
    fn r_rv_07_catalogue_names_exactly_the_tests_of_the_repo() {
        let in_repo = requirement_tests_in_repo();
        let mut listed: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for r in catalogue() {
            let prefix = test_prefix(&r.id);
            for t in &r.tests {
                assert!(in_repo.contains(t), "{} lists {t}, which is no `fn` under src/ or tests/", r.id);
                // A test is listed under its own ID, or under another that its name also mentions
                // (`r_pr_01_…_and_r_pr_04_…`).
                assert!(
                    t.starts_with(&format!("{prefix}_")) || t.contains(&format!("_{prefix}_")),
                    "{} lists {t}, whose name does not mention it",
                    r.id
                );
                assert!(listed.entry(r.id.as_str()).or_default().insert(t), "{} lists {t} twice", r.id);
            }
        }
        let missing: Vec<String> = in_repo
            .iter()
            .filter_map(|t| {
                let id = id_of_test(t)?;
                let under_id = listed.get(id.as_str()).is_some_and(|s| s.contains(t.as_str()));
                (!under_id).then(|| format!("{id}: {t}"))
            })
            .collect();
        assert!(
            missing.is_empty(),
            "tests named for a requirement but not listed under it in catalogue/requirements.toml:\n{}",
            missing.join("\n")
        );
    }
}
