//! Cross-file validation: every rule a loaded [`Policy`] promises, each failure with file and line.

use super::*;
use crate::authn::FACTOR_KIND_COUNT;
use crate::zone::{Cidr, ZoneKind};
use std::collections::{BTreeSet, HashMap};

pub(super) struct Ctx<'a> {
    files: &'a [SourceFile],
    errors: Vec<PolicyError>,
}

impl Ctx<'_> {
    /// An error at the start of `span` in file `file`; a default (0..0) span has no line.
    pub(super) fn at(&mut self, file: usize, span: std::ops::Range<usize>, message: impl Into<String>) {
        let f = &self.files[file];
        let line = (span != (0..0)).then(|| line_of(&f.text, span.start));
        self.errors.push(PolicyError { file: f.name.clone(), line, message: message.into() });
    }

    fn whole(&mut self, message: impl Into<String>) {
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

    fn factor_count(&mut self, file: usize, v: &Spanned<u8>, what: &str) {
        if !(1..=FACTOR_KIND_COUNT).contains(v.get_ref()) {
            self.at(file, v.span(), format!("{what}: min_factor_kinds must be 1 to {FACTOR_KIND_COUNT}, not {} (R-AU-01: a password or stronger)", v.get_ref()));
        }
    }
}

pub(super) fn build(files: &[SourceFile], m: Merged) -> Result<Policy, PolicyErrors> {
    let mut c = Ctx { files, errors: Vec::new() };
    let required = |c: &mut Ctx, present: bool, name: &str| {
        if !present {
            c.whole(format!("no file defines [{name}]; it is required"));
        }
    };
    required(&mut c, m.municipality.is_some(), "municipality");
    required(&mut c, m.classification.is_some(), "classification");
    required(&mut c, m.officers.is_some(), "officers");
    if m.zones.is_empty() {
        c.whole("no [[zones]] are defined; at least one is required (R-ZN-01)");
    }

    // Classification scale (R-ZN-02).
    let levels = match &m.classification {
        Some((file, cl)) => {
            if cl.levels.is_empty() {
                c.at(*file, 0..0, "[classification] has no levels; list them highest first");
            }
            for l in &cl.levels {
                c.factor_count(l.file, &l.min_factor_kinds, &format!("classification level `{}`", l.id.get_ref()));
            }
            c.unique("classification level", cl.levels.iter().map(|l| (l.file, &l.id)))
        }
        None => BTreeSet::new(),
    };

    // Networks (R-ZN-09).
    let networks = c.unique("network", m.networks.iter().map(|n| (n.file, &n.id)));
    for n in &m.networks {
        if n.cidrs.is_empty() {
            c.at(n.file, n.id.span(), format!("network `{}` lists no cidrs", n.id.get_ref()));
        }
        for cidr in &n.cidrs {
            if let Err(e) = Cidr::parse(cidr.get_ref()) {
                c.at(n.file, cidr.span(), format!("network `{}`: {e}", n.id.get_ref()));
            }
        }
    }

    // Zones (R-ZN-01, R-AU-02).
    let zones = c.unique("zone", m.zones.iter().map(|z| (z.file, &z.id)));
    let zone_by_id: HashMap<&str, &Zone> = m.zones.iter().map(|z| (z.id.get_ref().as_str(), z)).collect();
    for z in &m.zones {
        c.factor_count(z.file, &z.min_factor_kinds, &format!("zone `{}`", z.id.get_ref()));
        if z.kind == ZoneKind::Mynumber && *z.min_factor_kinds.get_ref() < 2 {
            c.at(
                z.file,
                z.min_factor_kinds.span(),
                format!("zone `{}` is a My Number zone (マイナンバー利用事務系) but allows sign-in with {} factor kind; R-AU-02 requires at least 2", z.id.get_ref(), z.min_factor_kinds.get_ref()),
            );
        }
        for n in &z.networks {
            if !networks.contains(n.get_ref()) {
                c.at(
                    z.file,
                    n.span(),
                    format!(
                        "zone `{}` refers to network `{}`, which no [[networks]] entry defines",
                        z.id.get_ref(),
                        n.get_ref()
                    ),
                );
            }
        }
    }

    // Systems: the register (R-ZN-07).
    let systems = c.unique("system", m.systems.iter().map(|s| (s.file, &s.id)));
    let level_min: HashMap<&str, u8> = m
        .classification
        .iter()
        .flat_map(|(_, cl)| cl.levels.iter())
        .map(|l| (l.id.get_ref().as_str(), *l.min_factor_kinds.get_ref()))
        .collect();
    for s in &m.systems {
        let sid = s.id.get_ref();
        let zone = zone_by_id.get(s.zone.get_ref().as_str());
        if !zones.contains(s.zone.get_ref()) {
            c.at(
                s.file,
                s.zone.span(),
                format!("system `{sid}` refers to zone `{}`, which no [[zones]] entry defines", s.zone.get_ref()),
            );
        }
        if !levels.contains(s.classification.get_ref()) {
            c.at(
                s.file,
                s.classification.span(),
                format!(
                    "system `{sid}` has classification `{}`, which is not a level of the scale ({})",
                    s.classification.get_ref(),
                    levels.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            );
        }
        if let Some(own) = &s.min_factor_kinds {
            c.factor_count(s.file, own, &format!("system `{sid}`"));
            let floor = zone
                .map_or(1, |z| *z.min_factor_kinds.get_ref())
                .max(level_min.get(s.classification.get_ref().as_str()).copied().unwrap_or(1));
            if zone.is_some_and(|z| z.kind == ZoneKind::Mynumber) && *own.get_ref() < 2 {
                c.at(s.file, own.span(), format!("system `{sid}` is in the My Number zone but allows sign-in with {} factor kind; R-AU-02 requires at least 2", own.get_ref()));
            } else if *own.get_ref() < floor {
                c.at(s.file, own.span(), format!("system `{sid}` sets min_factor_kinds {} below the {} its zone and classification require; a system may only raise it", own.get_ref(), floor));
            }
        }
        if s.owner.employee_number.trim().is_empty() {
            c.at(s.file, s.id.span(), format!("system `{sid}` names no owner (owner.employee_number, R-ZN-07)"));
        }
        if s.approval.status == ApprovalStatus::Approved && s.approval.approved_by.trim().is_empty() {
            c.at(
                s.file,
                s.id.span(),
                format!("system `{sid}` is approved but names no approver (approval.approved_by, R-AC-10)"),
            );
        }
        if let Some(d) = &s.approval.approved_on {
            if time::Date::parse(d.get_ref(), time::macros::format_description!("[year]-[month]-[day]")).is_err() {
                c.at(
                    s.file,
                    d.span(),
                    format!("system `{sid}`: approved_on `{}` is not a date (YYYY-MM-DD)", d.get_ref()),
                );
            }
        }
        if let Some(p) = &s.provisioning {
            for (span, message) in super::provisioning::problems(sid, p) {
                c.at(s.file, span, message);
            }
            // R-ZN-04: a system of the My Number zone is not reached over the network from outside.
            if zone.is_some_and(|z| z.kind == ZoneKind::Mynumber) && !p.is_file() {
                c.at(
                    s.file,
                    p.kind.span(),
                    format!("system `{sid}` is in the My Number zone, which is not reached over the network from outside its zone (R-ZN-04); use kind = \"file\" and carry the files across"),
                );
            }
        }
    }

    // Roles.
    let roles = c.unique("role", m.roles.iter().map(|r| (r.file, &r.id)));
    let privileged_roles: BTreeSet<&str> =
        m.roles.iter().filter(|r| r.privileged).map(|r| r.id.get_ref().as_str()).collect();
    for r in &m.roles {
        if !systems.contains(r.system.get_ref()) {
            c.at(
                r.file,
                r.system.span(),
                format!(
                    "role `{}` refers to system `{}`, which no [[systems]] entry defines",
                    r.id.get_ref(),
                    r.system.get_ref()
                ),
            );
        }
    }

    // Birthright rules.
    c.unique("birthright rule", m.birthright.iter().map(|b| (b.file, &b.id)));
    for b in &m.birthright {
        if b.roles.is_empty() {
            c.at(b.file, b.id.span(), format!("birthright rule `{}` grants no roles", b.id.get_ref()));
        }
        for r in &b.roles {
            if !roles.contains(r.get_ref()) {
                c.at(
                    b.file,
                    r.span(),
                    format!(
                        "birthright rule `{}` grants role `{}`, which no [[roles]] entry defines",
                        b.id.get_ref(),
                        r.get_ref()
                    ),
                );
            } else if privileged_roles.contains(r.get_ref().as_str()) {
                c.at(b.file, r.span(), format!("birthright rule `{}` grants privileged role `{}`; privileged roles come only by elevation (R-PR-02)", b.id.get_ref(), r.get_ref()));
            }
        }
    }

    // Officers (R-AC-09).
    if let Some((file, officers)) = &m.officers {
        for need in [OfficerFunction::Ciso, OfficerFunction::SecurityOfficer] {
            if !officers.contains_key(&need) {
                c.at(*file, 0..0, format!("[officers] must define `{}`", need.as_str()));
            }
        }
        for (f, o) in officers {
            if !roles.contains(o.role.get_ref()) {
                c.at(
                    *file,
                    o.role.span(),
                    format!(
                        "officer `{}` is held through role `{}`, which no [[roles]] entry defines",
                        f.as_str(),
                        o.role.get_ref()
                    ),
                );
            }
            for s in &o.substitutes {
                if s.get_ref() == f {
                    c.at(*file, s.span(), format!("officer `{}` cannot be their own substitute", f.as_str()));
                } else if !officers.contains_key(s.get_ref()) {
                    c.at(
                        *file,
                        s.span(),
                        format!(
                            "officer `{}` names substitute `{}`, which [officers] does not define",
                            f.as_str(),
                            s.get_ref().as_str()
                        ),
                    );
                }
            }
        }
        // All officer roles belong to one system: tobira's own entry in the register.
        let systems_of: BTreeSet<&str> = officers
            .values()
            .filter_map(|o| m.roles.iter().find(|r| r.id.get_ref() == o.role.get_ref()))
            .map(|r| r.system.get_ref().as_str())
            .collect();
        if systems_of.len() > 1 {
            c.at(
                *file,
                0..0,
                format!(
                    "officer roles belong to several systems ({}); they must all be roles of tobira's own system",
                    systems_of.into_iter().collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }

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
    let approvals = m.approvals.as_ref().map(|(_, a)| a.clone()).unwrap_or_default();
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

    super::validate_settings::check(&mut c, &m);
    super::clients_validate::check(&mut c, &m, &systems, &networks);
    super::requests::check(&mut c, &m, &roles);

    // A missing required table was reported above, so the errors are never empty when one is missing.
    let (true, Some((_, municipality)), Some((_, classification)), Some((_, officers))) =
        (c.errors.is_empty(), m.municipality, m.classification, m.officers)
    else {
        return Err(PolicyErrors(c.errors));
    };
    Ok(Policy {
        files: files.iter().map(|f| f.name.clone()).collect(),
        digest: digest(files),
        municipality,
        classification,
        networks: m.networks,
        zones: m.zones,
        systems: m.systems,
        roles: m.roles,
        birthright: m.birthright,
        sod: m.sod,
        access_requests: m.access_requests.map(|r| r.1).unwrap_or_default(),
        clients: m.clients,
        oidc: m.oidc.map(|o| o.1).unwrap_or_default(),
        officers,
        approvals,
        password,
        lockout,
        session,
        signin: m.signin.map(|s| s.1).unwrap_or_default(),
        privileged: m.privileged.map(|p| p.1).unwrap_or_default(),
        review: m.review.map(|r| r.1).unwrap_or_default(),
        audit: m.audit.map(|a| a.1).unwrap_or_default(),
        console: m.console.map(|k| k.1).unwrap_or_default(),
        onboarding: m.onboarding.map(|o| o.1).unwrap_or_default(),
        directory: m.directory.map(|d| d.1),
        sync: m.sync.map(|s| s.1).unwrap_or_default(),
    })
}
