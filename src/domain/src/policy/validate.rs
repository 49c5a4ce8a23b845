//! Cross-file validation: every rule a loaded [`Policy`] promises, each failure with file and line.

use super::validate_ctx::Ctx;
use super::*;
use crate::zone::{Cidr, ZoneKind};
use std::collections::{BTreeSet, HashMap};

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
            for (span, message) in super::provisioning_more::problems_of(sid, p) {
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

    super::validate_access::check(&mut c, &m);
    let approvals = m.approvals.as_ref().map(|(_, a)| a.clone()).unwrap_or_default();
    let (password, lockout, session) = super::validate_credentials::check(&mut c, &m);

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
