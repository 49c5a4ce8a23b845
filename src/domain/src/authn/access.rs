//! Whether a session may use a system from where it is: enough factor kinds for the system's zone and
//! classification (R-AU-02, R-AU-03), and a network the zone and classification allow (R-ZN-03,
//! R-ZN-09). Too few kinds asks for a step-up rather than a silent refusal.
//!
//! Invariant: an address in no network of the policy is treated as a public line and reaches no
//! zone that lists its networks.

use super::FactorKind;
use crate::policy::{ApprovalStatus, Network, Policy, System};
use crate::zone::{Cidr, NetworkKind};
use serde::Serialize;
use std::net::IpAddr;

/// The outcome of an access check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Allowed,
    /// The session proved `have` distinct kinds; the system needs `need`.
    StepUp {
        have: u8,
        need: u8,
    },
    /// Not from this network (`None`: an address in no network the policy names).
    NetworkRefused {
        network: Option<String>,
    },
    /// The system is not approved to connect (R-AC-10).
    NotApproved,
}

/// The policy's network that contains `ip`, if any.
pub fn network_of(policy: &Policy, ip: IpAddr) -> Option<&Network> {
    policy.networks.iter().find(|n| n.cidrs.iter().any(|c| Cidr::parse(c.get_ref()).is_ok_and(|c| c.contains(ip))))
}

/// Whether a request from `network` may reach `system` (zone's network list, classification's
/// remote-access and wireless rules); a remote network also needs the person's own telework grant
/// (`remote_permitted`, R-ZN-11).
pub fn network_allowed(policy: &Policy, system: &System, network: Option<&Network>, remote_permitted: bool) -> bool {
    let Some(net) = network else { return false };
    let zone_ok = policy
        .zone(system.zone.get_ref())
        .is_some_and(|z| z.networks.is_empty() || z.networks.iter().any(|n| n.get_ref() == net.id.get_ref()));
    let level = policy.level(system.classification.get_ref());
    let level_ok = match net.kind {
        NetworkKind::Remote => remote_permitted && level.is_none_or(|l| l.remote_access),
        NetworkKind::Wireless => level.is_none_or(|l| l.wireless),
        NetworkKind::Public => false,
        NetworkKind::Office | NetworkKind::Satellite => true,
    };
    zone_ok && level_ok
}

/// Where a request comes from: the policy's network, and whether the person holds a remote-access
/// grant in force (R-ZN-11).
#[derive(Debug, Clone, Copy, Default)]
pub struct Whence<'p> {
    pub network: Option<&'p Network>,
    pub remote_permitted: bool,
}

/// The decision for a session that proved `kinds`, coming from `whence`, asking for `system`.
pub fn decide(policy: &Policy, system: &System, kinds: &[FactorKind], whence: Whence) -> Decision {
    let Whence { network, remote_permitted } = whence;
    if system.approval.status != ApprovalStatus::Approved {
        return Decision::NotApproved;
    }
    if !network_allowed(policy, system, network, remote_permitted) {
        return Decision::NetworkRefused { network: network.map(|n| n.id.get_ref().clone()) };
    }
    let need = policy.required_factor_kinds(system);
    let have = u8::try_from(kinds.len()).unwrap_or(u8::MAX);
    if have < need {
        Decision::StepUp { have, need }
    } else {
        Decision::Allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::example_policy;

    /// From `network`, with a telework grant.
    fn w(network: Option<&Network>) -> Whence<'_> {
        Whence { network, remote_permitted: true }
    }

    #[test]
    fn r_zn_11_remote_networks_need_the_persons_grant() {
        let p = example_policy();
        let groupware = p.system("groupware").unwrap();
        let telework = network_of(&p, ip("10.40.3.3"));
        let kinds = [FactorKind::Knowledge, FactorKind::Possession];
        assert_eq!(decide(&p, groupware, &kinds, w(telework)), Decision::Allowed);
        let without = Whence { network: telework, remote_permitted: false };
        assert_eq!(
            decide(&p, groupware, &kinds, without),
            Decision::NetworkRefused { network: Some("telework".into()) }
        );
        // The grant is about remote networks only.
        let office = Whence { network: network_of(&p, ip("10.10.1.5")), remote_permitted: false };
        assert_eq!(decide(&p, groupware, &kinds, office), Decision::Allowed);
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn r_au_02_my_number_system_needs_two_kinds() {
        let p = example_policy();
        let juki = p.system("juki").unwrap();
        let office = network_of(&p, ip("10.10.1.5"));
        assert_eq!(decide(&p, juki, &[FactorKind::Knowledge], w(office)), Decision::StepUp { have: 1, need: 2 });
        assert_eq!(decide(&p, juki, &[FactorKind::Knowledge, FactorKind::Possession], w(office)), Decision::Allowed);
        let bunsho = p.system("bunsho").unwrap();
        assert_eq!(decide(&p, bunsho, &[FactorKind::Knowledge], w(office)), Decision::Allowed);
    }

    #[test]
    fn r_zn_03_my_number_refuses_telework_and_unknown_networks() {
        let p = example_policy();
        let juki = p.system("juki").unwrap();
        let both = [FactorKind::Knowledge, FactorKind::Possession];
        let telework = network_of(&p, ip("10.40.3.3"));
        assert_eq!(telework.unwrap().id.get_ref(), "telework");
        assert_eq!(decide(&p, juki, &both, w(telework)), Decision::NetworkRefused { network: Some("telework".into()) });
        assert_eq!(
            decide(&p, juki, &both, w(network_of(&p, ip("203.0.113.9")))),
            Decision::NetworkRefused { network: None }
        );
        // The groupware (internet zone, 機密性2) is fine from telework.
        assert_eq!(decide(&p, p.system("groupware").unwrap(), &both, w(telework)), Decision::Allowed);
    }

    #[test]
    fn r_zn_09_wireless_is_refused_where_the_classification_forbids_it() {
        let p = example_policy();
        let wireless = network_of(&p, ip("10.20.0.7"));
        let both = [FactorKind::Knowledge, FactorKind::Possession];
        // tobira itself: LGWAN zone allows the wireless network, but its 3B classification does not.
        assert!(matches!(decide(&p, p.system("tobira").unwrap(), &both, w(wireless)), Decision::NetworkRefused { .. }));
        assert_eq!(decide(&p, p.system("bunsho").unwrap(), &both, w(wireless)), Decision::Allowed);
    }
}
