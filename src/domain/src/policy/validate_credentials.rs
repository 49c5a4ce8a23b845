//! Validation of `[password]`, `[lockout]` and `[session]`: each within bounds, and privileged IDs
//! held to stricter rules than staff (R-AU-07, R-AU-11, R-AU-19, R-PR-05, R-PR-07).

use super::validate_ctx::Ctx;
use super::*;

/// Checks the numeric rules of `m`; returns them, each defaulted where no file sets it.
pub(super) fn check(c: &mut Ctx, m: &Merged) -> (PasswordRules, LockoutRules, SessionRules) {
    // Numeric rules.
    let (pw_file, password) = m.password.clone().unwrap_or((0, PasswordRules::default()));
    for (who, r) in [("staff", &password.staff), ("privileged", &password.privileged)] {
        if *r.min_length.get_ref() < 1 || r.min_length.get_ref() > r.max_length.get_ref() {
            c.at(
                pw_file,
                r.min_length.span(),
                format!("password.{who}.min_length must be at least 1 and at most max_length"),
            );
        }
        if *r.max_length.get_ref() < 64 {
            c.at(
                pw_file,
                r.max_length.span(),
                format!(
                    "password.{who}.max_length must be at least 64 so passphrases fit, not {}",
                    r.max_length.get_ref()
                ),
            );
        }
        match (r.profile, *r.max_age_days.get_ref()) {
            (PasswordProfile::Nist, d) if d > 0 => c.at(pw_file, r.max_age_days.span(), format!("password.{who}: the nist profile has no periodic change; set max_age_days = 0")),
            (PasswordProfile::Municipal, 0) => {
                c.at(pw_file, r.max_age_days.span(), format!("password.{who}: the municipal profile changes passwords periodically (R-AU-07); max_age_days must be above 0"))
            }
            _ => {}
        }
    }
    let (s, p) = (&password.staff, &password.privileged);
    if p.min_length.get_ref() < s.min_length.get_ref() {
        c.at(
            pw_file,
            p.min_length.span(),
            "password.privileged.min_length is below staff's; privileged IDs need stronger rules (R-PR-05)",
        );
    }
    let (sd, pd) = (*s.max_age_days.get_ref(), *p.max_age_days.get_ref());
    if sd > 0 && (pd == 0 || pd > sd) {
        c.at(
            pw_file,
            p.max_age_days.span(),
            format!("password.privileged.max_age_days ({pd}) must be set and no longer than staff's ({sd}) (R-PR-05)"),
        );
    }

    let (lo_file, lockout) = m.lockout.clone().unwrap_or((0, LockoutRules::default()));
    for (who, r) in [("staff", &lockout.staff), ("privileged", &lockout.privileged)] {
        if *r.max_failures.get_ref() < 1 {
            c.at(lo_file, r.max_failures.span(), format!("lockout.{who}.max_failures must be at least 1 (R-AU-11)"));
        }
    }
    let ps = &lockout.per_source;
    if ps.cap_failures != 0 && ps.cap_failures < ps.max_failures {
        c.at(lo_file, 0..0, format!("lockout.per_source.cap_failures ({}) is below max_failures ({}): an address is slowed before it is refused (R-AU-19)", ps.cap_failures, ps.max_failures));
    }
    if ps.window_seconds < 1 {
        c.at(lo_file, 0..0, "lockout.per_source.window_seconds must be at least 1");
    }
    if lockout.privileged.max_failures.get_ref() > lockout.staff.max_failures.get_ref() {
        c.at(
            lo_file,
            lockout.privileged.max_failures.span(),
            "lockout.privileged.max_failures exceeds staff's; privileged IDs get fewer attempts (R-PR-05)",
        );
    }

    let (se_file, session) = m.session.clone().unwrap_or((0, SessionRules::default()));
    for (who, r) in [("staff", &session.staff), ("privileged", &session.privileged)] {
        if *r.idle_minutes.get_ref() < 1 {
            c.at(se_file, r.idle_minutes.span(), format!("session.{who}.idle_minutes must be at least 1 (R-AU-11)"));
        }
        if r.absolute_minutes.get_ref() < r.idle_minutes.get_ref() {
            c.at(
                se_file,
                r.absolute_minutes.span(),
                format!("session.{who}.absolute_minutes must not be below idle_minutes"),
            );
        }
    }
    if session.privileged.idle_minutes.get_ref() > session.staff.idle_minutes.get_ref() {
        c.at(
            se_file,
            session.privileged.idle_minutes.span(),
            "session.privileged.idle_minutes exceeds staff's; privileged sessions are shorter (R-PR-07)",
        );
    }
    if session.privileged.absolute_minutes.get_ref() > session.staff.absolute_minutes.get_ref() {
        c.at(
            se_file,
            session.privileged.absolute_minutes.span(),
            "session.privileged.absolute_minutes exceeds staff's; privileged sessions are shorter (R-PR-07)",
        );
    }
    (password, lockout, session)
}
