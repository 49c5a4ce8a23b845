//! Validation of privileged-role activation, the `[privileged]` limits, `[review]` and `[approvals]`
//! (R-PR-02, R-RV-03, R-RV-05, R-AC-02, R-RV-09): each failure with file and line, like [`super::validate`].

use super::validate_ctx::Ctx;
use super::*;
use std::collections::BTreeSet;

/// Checks who may activate privileged roles and the bounds of `[privileged]`, `[review]` and `[approvals]`.
pub(super) fn check(c: &mut Ctx, m: &Merged) {
    // Activation of privileged roles (R-PR-02): by appointment only for tobira's officer functions.
    let officer_roles: BTreeSet<&str> =
        m.officers.iter().flat_map(|(_, o)| o.values()).map(|o| o.role.get_ref().as_str()).collect();
    for r in m.roles.iter().filter(|r| *r.activation.get_ref() != Activation::Approval) {
        if !r.privileged {
            c.at(
                r.file,
                r.activation.span(),
                format!("role `{}` is not privileged; activation applies to privileged roles only", r.id.get_ref()),
            );
        } else if *r.activation.get_ref() == Activation::Appointment && !officer_roles.contains(r.id.get_ref().as_str())
        {
            c.at(r.file, r.activation.span(), format!("role `{}`: only officer roles are held by appointment; other privileged roles come by elevation (R-PR-02)", r.id.get_ref()));
        }
    }
    if let Some((file, p)) = &m.privileged {
        for (key, v) in [
            ("max_elevation_minutes", p.max_elevation_minutes),
            ("elevation_reauth_minutes", p.elevation_reauth_minutes),
            ("request_lapse_minutes", p.request_lapse_minutes),
            ("max_delegation_days", p.max_delegation_days),
            ("max_development_days", p.max_development_days),
            ("max_holders_per_system", p.max_holders_per_system),
        ] {
            if v == 0 {
                c.at(*file, 0..0, format!("privileged.{key} must be at least 1"));
            }
        }
        if p.break_glass && (p.break_glass_max_minutes == 0 || p.break_glass_max_minutes > p.max_elevation_minutes) {
            c.at(
                *file,
                0..0,
                "privileged.break_glass_max_minutes must be at least 1 and at most max_elevation_minutes",
            );
        }
    }

    // Periodic review (R-RV-03, R-RV-05, R-AC-04, R-LG-03).
    if let Some((file, r)) = &m.review {
        let d = &r.dormant_days;
        for (key, v) in [
            ("dormant_days.staff", d.staff),
            ("dormant_days.privileged", d.privileged),
            ("dormant_days.vendor", d.vendor),
            ("dormant_days.shared", d.shared),
            ("dormant_days.development", d.development),
            ("dormant_days.never_used", d.never_used),
            ("campaign_days", r.campaign_days),
            ("escalation_days", r.escalation_days),
            ("exception_review_months", r.exception_review_months),
            ("exception_max_days", r.exception_max_days),
            ("findings.failed_burst_count", r.findings.failed_burst_count),
            ("findings.failed_burst_minutes", r.findings.failed_burst_minutes),
        ] {
            if v == 0 {
                c.at(*file, 0..0, format!("review.{key} must be at least 1"));
            }
        }
        if d.privileged > d.staff {
            c.at(
                *file,
                0..0,
                "review.dormant_days.privileged exceeds staff's; privileged IDs are reviewed sooner (R-PR-05)",
            );
        }
        if r.reminder_days >= r.campaign_days {
            c.at(*file, 0..0, "review.reminder_days must be fewer than campaign_days");
        }
        if r.self_inspection_month > 12 {
            c.at(
                *file,
                0..0,
                "review.self_inspection_month must be 1–12 (the month the fiscal year begins), or 0 for by hand only",
            );
        }
        let [from, to] = r.findings.working_hours;
        if from >= to || to > 24 {
            c.at(*file, 0..0, "review.findings.working_hours must be [first, last) with 0 ≤ first < last ≤ 24");
        }
        for s in &r.campaign_sources {
            if !["birthright", "request", "delegate", "bootstrap"].contains(&s.as_str()) {
                c.at(*file, 0..0, format!("review.campaign_sources: unknown grant source `{s}` (birthright, request, delegate, bootstrap)"));
            }
        }
    }

    // Approvals (R-AC-02, R-RV-09).
    if let Some((file, a)) = &m.approvals {
        let defined: BTreeSet<OfficerFunction> = m.officers.iter().flat_map(|(_, o)| o.keys().copied()).collect();
        for (kind, list) in a.all() {
            if list.is_empty() {
                c.at(*file, 0..0, format!("approvals.{kind} names no approver"));
            }
            for ap in list {
                if *ap.get_ref() == Approver::Auditor {
                    c.at(
                        *file,
                        ap.span(),
                        format!("approvals.{kind}: an auditor is read-only and approves nothing (R-RV-09)"),
                    );
                } else if let Some(f) = ap.get_ref().officer().filter(|f| !defined.contains(f)) {
                    c.at(
                        *file,
                        ap.span(),
                        format!("approvals.{kind} names `{}`, which [officers] does not define", f.as_str()),
                    );
                }
            }
        }
    }
}
