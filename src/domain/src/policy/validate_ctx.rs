//! Where the policy's validation gathers its errors: each with its file and line. The checks of
//! each area (`validate`, `validate_access`, `validate_credentials`, `validate_settings`,
//! `clients_validate`, `requests`) report into one [`Ctx`].

use super::{line_of, Id, PolicyError, SourceFile, Spanned};
use crate::authn::FACTOR_KIND_COUNT;
use std::collections::BTreeSet;

pub(super) struct Ctx<'a> {
    pub(super) files: &'a [SourceFile],
    pub(super) errors: Vec<PolicyError>,
}

impl Ctx<'_> {
    /// An error at the start of `span` in file `file`; a default (0..0) span has no line.
    pub(super) fn at(&mut self, file: usize, span: std::ops::Range<usize>, message: impl Into<String>) {
        let f = &self.files[file];
        let line = (span != (0..0)).then(|| line_of(&f.text, span.start));
        self.errors.push(PolicyError { file: f.name.clone(), line, message: message.into() });
    }

    pub(super) fn whole(&mut self, message: impl Into<String>) {
        self.errors.push(PolicyError { file: "(policy)".into(), line: None, message: message.into() });
    }

    /// Reports ids that occur twice among `items`.
    pub(super) fn unique<'i>(&mut self, kind: &str, items: impl Iterator<Item = (usize, &'i Id)>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        for (file, id) in items {
            if id.get_ref().trim().is_empty() {
                self.at(file, id.span(), format!("{kind} id must not be empty"));
            } else if !seen.insert(id.get_ref().clone()) {
                self.at(file, id.span(), format!("{kind} `{}` is defined more than once", id.get_ref()));
            }
        }
        seen
    }

    pub(super) fn factor_count(&mut self, file: usize, v: &Spanned<u8>, what: &str) {
        if !(1..=FACTOR_KIND_COUNT).contains(v.get_ref()) {
            self.at(file, v.span(), format!("{what}: min_factor_kinds must be 1 to {FACTOR_KIND_COUNT}, not {} (R-AU-01: a password or stronger)", v.get_ref()));
        }
    }
}
