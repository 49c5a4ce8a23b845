//! Validation of the later settings files (sign-in, directory, sync, audit, console, onboarding):
//! each failure with file and line, like the rest of [`super::validate`].

use super::validate_ctx::Ctx;
use super::*;
use crate::org::PersonStatus;

/// Checks the settings of `m` that stand on their own (no cross-file rule).
pub(super) fn check(c: &mut Ctx, m: &Merged) {
    if let Some((file, si)) = &m.signin {
        if si.totp_skew_steps > 2 {
            c.at(
                *file,
                0..0,
                format!(
                    "signin.totp_skew_steps = {} accepts codes {} seconds away from now; at most 2",
                    si.totp_skew_steps,
                    u32::from(si.totp_skew_steps) * 30
                ),
            );
        }
        if si.reauth_minutes == 0 || si.reauth_minutes > 60 {
            c.at(*file, 0..0, "signin.reauth_minutes must be between 1 and 60");
        }
        if si.challenge_seconds == 0 || si.challenge_seconds > 900 {
            c.at(*file, 0..0, "signin.challenge_seconds must be between 1 and 900");
        }
        if si.hashing_queue_max < 1 {
            c.at(*file, 0..0, "signin.hashing_queue_max must be at least 1 (R-AU-19)");
        }
        if !(1..=720).contains(&si.enrollment_link_hours) {
            c.at(*file, 0..0, format!("signin.enrollment_link_hours = {} must be between 1 and 720 (30 days): an enrollment link sets a password (R-AU-06)", si.enrollment_link_hours));
        }
        for a in si.allowed_aaguids.iter().chain(&si.biometric_aaguids) {
            if !crate::authn::is_aaguid(a) {
                c.at(*file, 0..0, format!("signin: `{a}` is not an AAGUID (8-4-4-4-12 hex digits)"));
            }
        }
    }

    if let Some((file, d)) = &m.directory {
        for (hr_value, status) in &d.status_values {
            if PersonStatus::parse(status.get_ref()).is_none() {
                c.at(
                    *file,
                    status.span(),
                    format!(
                        "directory.status_values.{hr_value} = `{}` is not one of active, on_leave, seconded, left",
                        status.get_ref()
                    ),
                );
            }
        }
        let mut codes = std::collections::BTreeSet::new();
        for row in &d.department_table {
            if row.code.trim().is_empty() || row.name.trim().is_empty() || !codes.insert(row.code.as_str()) {
                c.at(
                    *file,
                    0..0,
                    format!("directory.department_table: `{}` needs a code of its own and a name", row.code),
                );
            }
        }
        for field in d.attributes.empty_names() {
            c.at(*file, 0..0, format!("directory.attributes.{field} is empty: name the directory's attribute, or leave the line out when it has none (an empty name skips every entry, R-LC-14)"));
        }
        if d.attributes.employment_type.is_none() && d.default_employment_type.is_none() {
            c.at(*file, 0..0, "directory.attributes.employment_type is not mapped: set directory.default_employment_type, the type of everyone (R-LC-10)");
        }
        if d.attributes.employment_type.is_some() && d.employment_types.is_empty() {
            c.at(*file, 0..0, "directory.employment_types maps no HR value to a type (R-LC-10)");
        }
        if !matches!(d.disabled_status.get_ref().as_str(), "on_leave" | "left") {
            c.at(
                *file,
                d.disabled_status.span(),
                format!("directory.disabled_status = `{}` must be on_leave or left", d.disabled_status.get_ref()),
            );
        }
        use crate::policy::directory::{DirectoryKind as K, IncrementalMethod as I};
        match (d.incremental, d.kind) {
            (I::ContentSync, K::Ldap) if d.attributes.stable_key.is_none() => {
                c.at(*file, 0..0, "directory.incremental = content_sync needs attributes.stable_key = \"entryUUID\": deletions are reported by entryUUID")
            }
            (I::ContentSync | I::ModifyTimestamp, K::ActiveDirectory) => c.at(*file, 0..0, "directory.incremental: Active Directory is read by uSNChanged (usn_changed or auto)"),
            (I::UsnChanged, K::Ldap) => c.at(*file, 0..0, "directory.incremental = usn_changed is for kind = \"active_directory\""),
            _ => {}
        }
        if d.kind == K::Csv && d.departments.is_some() {
            c.at(*file, 0..0, "directory.departments are directory entries; a CSV source has none (departments come from the people's rows)");
        }
        if d.kind == K::ActiveDirectory && d.attributes.account_control.is_none() {
            c.at(*file, 0..0, "directory.attributes.account_control (userAccountControl) is needed for Active Directory: a disabled AD account must not stay active here");
        }
        if d.kind == K::ActiveDirectory && d.attributes.usn_changed.is_none() {
            c.at(
                *file,
                0..0,
                "directory.attributes.usn_changed (uSNChanged) is needed for Active Directory's incremental reads",
            );
        }
        if d.csv.multi_value_separator.is_empty() || d.csv.multi_value_separator.contains(['"', '\n', '\r', ',']) {
            c.at(
                *file,
                0..0,
                "directory.csv.multi_value_separator must be a non-empty string without quotes, commas or line breaks",
            );
        }
        if let Some(reg) = &d.contracts {
            if d.attributes.contract_id.is_none() {
                c.at(*file, 0..0, "directory.contracts needs directory.attributes.contract_id: people are bound to a contract by the number their entry names");
            }
            let columns = [
                Some(&reg.number),
                Some(&reg.vendor),
                Some(&reg.end_date),
                reg.start_date.as_ref(),
                reg.parent.as_ref(),
            ];
            if columns.iter().flatten().any(|col| col.trim().is_empty()) {
                c.at(*file, 0..0, "directory.contracts: every column name must be non-empty");
            }
        }
    }

    if let Some((file, s)) = &m.sync {
        if !(0.0..=100.0).contains(&s.max_removal_percent) {
            c.at(*file, 0..0, "sync.max_removal_percent must be between 0 and 100");
        }
        if !(1..=10_080).contains(&s.hold_max_age_minutes) {
            c.at(*file, 0..0, "sync.hold_max_age_minutes must be between 1 and 10080 (a week)");
        }
        if !s.login_id_pattern.contains("{employee_number}") {
            c.at(
                *file,
                0..0,
                "sync.login_id_pattern must contain {employee_number}, so login IDs never collide (R-LC-09)",
            );
        }
        use crate::time_util::parse_iso_date;
        for w in &s.bulk_windows {
            let (from, until) = (parse_iso_date(w.from.get_ref()), parse_iso_date(w.until.get_ref()));
            for (d, parsed) in [(&w.from, from), (&w.until, until)] {
                if parsed.is_none() {
                    c.at(*file, d.span(), format!("sync.bulk_windows: `{}` is not a date (YYYY-MM-DD)", d.get_ref()));
                }
            }
            if from.zip(until).is_some_and(|(f, u)| u < f) {
                c.at(*file, w.until.span(), "sync.bulk_windows: until is before from");
            }
            if w.approved_by.trim().is_empty() {
                c.at(
                    *file,
                    w.from.span(),
                    "sync.bulk_windows: a window names who approved it in advance (approved_by)",
                );
            }
        }
    }

    if let Some((file, a)) = &m.audit {
        if !(1..=600_000).contains(&a.max_clock_skew_ms) {
            c.at(*file, 0..0, "audit.max_clock_skew_ms must be between 1 and 600000 (R-LG-04)");
        }
        if !(10..=86_400).contains(&a.checkpoint_seconds) {
            c.at(*file, 0..0, "audit.checkpoint_seconds must be between 10 and 86400 (R-LG-02)");
        }
        if a.prune_every_hours > 8_784 {
            c.at(*file, 0..0, "audit.prune_every_hours must be between 0 (only by hand) and 8784, a year (R-LG-01)");
        }
    }

    if let Some((file, k)) = &m.console {
        for p in k.problems() {
            c.at(*file, 0..0, &p);
        }
    }
    if let Some((file, o)) = &m.onboarding {
        for p in o.problems() {
            c.at(*file, 0..0, &p);
        }
    }
}
