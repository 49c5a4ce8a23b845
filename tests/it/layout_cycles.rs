//! No two source files import each other, directly or round a longer loop (issue 20: the import
//! circles). Every `use` and every path written in the code (`crate::…`, `super::…`, `self::…`,
//! `tobira_domain::…`) outside comments and test modules is resolved to the file of the longest
//! module it names; a loop among those edges fails the test with the files in it.

use crate::support::{repo_path, rust_files};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `src/app/sync/mod.rs` → `crate::app::sync`; `src/domain/src/policy/x.rs` →
/// `tobira_domain::policy::x`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts[0] == "domain" {
        parts.splice(0..2, ["tobira_domain".to_string()]);
    } else {
        parts.insert(0, "crate".into());
    }
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The code of a file without its test module and comment lines, with each `use a::{b, c}` also
/// written out as `a::b a::c`.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut code: String = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let mut extra = String::new();
    for stmt in code.split(';') {
        let Some(u) = stmt.trim().split("use ").nth(1) else { continue };
        if let Some((base, group)) = u.split_once("::{") {
            for item in group.trim_end_matches('}').split(',') {
                let item = item.trim().split(" as ").next().unwrap_or_default().split("::{").next().unwrap_or_default();
                if !item.is_empty() && item != "self" {
                    extra.push_str(&format!(" {}::{item} ", base.trim()));
                }
            }
        }
    }
    code.push_str(&extra);
    code
}

/// The paths written in `code`: `crate::a::b`, `super::x`, `self::y`, `tobira_domain::z`.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    for start in ["crate::", "super::", "self::", "tobira_domain::"] {
        for (i, _) in code.match_indices(start) {
            if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] == b':') {
                continue;
            }
            let end = code[i..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .map_or(code.len(), |e| i + e);
            out.push(code[i..end].split("::").filter(|s| !s.is_empty()).map(String::from).collect());
        }
    }
    out
}

#[test]
fn no_two_source_files_import_each_other() {
    let src = repo_path("src");
    let files: Vec<PathBuf> = rust_files(&src).into_iter().filter(|p| !p.ends_with("tests.rs")).collect();
    let modules: BTreeMap<Vec<String>, PathBuf> = files.iter().map(|f| (module_of(&src, f), f.clone())).collect();
    let resolve = |path: &[String]| (1..=path.len()).rev().find_map(|n| modules.get(&path[..n]).cloned());
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for file in &files {
        let me = module_of(&src, file);
        // `super` of a file is its parent module; `self` the module itself.
        let parent = me[..me.len() - 1].to_vec();
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        let targets = edges.entry(file.clone()).or_default();
        for p in paths_in(&code) {
            let full = match p[0].as_str() {
                "super" => {
                    let ups = p.iter().take_while(|s| *s == "super").count();
                    let base = &parent[..parent.len().saturating_sub(ups - 1)];
                    [base, &p[ups..]].concat()
                }
                "self" => [&me[..], &p[1..]].concat(),
                _ => p,
            };
            if let Some(t) = resolve(&full).filter(|t| t != file) {
                targets.insert(t);
            }
        }
    }
    assert!(edges.values().map(BTreeSet::len).sum::<usize>() > 500, "the scan finds the imports");
    // A loop is a file reachable from one of the files it imports.
    let mut loops = BTreeSet::new();
    for (file, targets) in &edges {
        for t in targets {
            let (mut seen, mut todo) = (BTreeSet::new(), vec![t.clone()]);
            while let Some(f) = todo.pop() {
                if &f == file {
                    loops.insert(format!(
                        "{} → {}",
                        file.strip_prefix(&src).unwrap().display(),
                        t.strip_prefix(&src).unwrap().display()
                    ));
                    break;
                }
                if seen.insert(f.clone()) {
                    todo.extend(edges.get(&f).into_iter().flatten().cloned());
                }
            }
        }
    }
    assert!(
        loops.is_empty(),
        "imports that come back to the file that made them:\n{}",
        loops.into_iter().collect::<Vec<_>>().join("\n")
    );
}
