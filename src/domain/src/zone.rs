//! Network zones (三層の対策, R-ZN-01) and the networks requests come from (R-ZN-09).
//!
//! Invariant: a network's CIDR blocks parse; an address belongs to the first network that contains it.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The zone a business system connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneKind {
    /// マイナンバー利用事務系 (個人番号利用事務系; Tome 基幹系).
    Mynumber,
    /// LGWAN接続系.
    Lgwan,
    /// インターネット接続系 (Tome 内部情報系).
    Internet,
    /// 独立系 (Sendai only).
    Independent,
}

/// What kind of network a request arrives from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkKind {
    /// The office's wired network.
    Office,
    /// The office's wireless LAN.
    Wireless,
    /// A サテライトオフィス with physical measures equal to the office's.
    Satellite,
    /// Remote access (telework) over an approved path.
    Remote,
    /// Anything else, e.g. a public line.
    Public,
}

/// An IPv4 or IPv6 block such as `10.0.0.0/8`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Self, String> {
        let (a, p) = s.split_once('/').ok_or_else(|| format!("`{s}` is not a CIDR block (address/prefix)"))?;
        let addr: IpAddr = a.parse().map_err(|_| format!("`{a}` is not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix: u8 =
            p.parse().ok().filter(|p| *p <= max).ok_or_else(|| format!("prefix `/{p}` is out of range 0..={max}"))?;
        Ok(Cidr { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(_), IpAddr::V4(a)) => self.contains(IpAddr::V6(a.to_ipv6_mapped())),
            (IpAddr::V4(_), IpAddr::V6(a)) => a.to_ipv4_mapped().is_some_and(|a| self.contains(IpAddr::V4(a))),
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let full = (prefix / 8) as usize;
    if a[..full] != b[..full] {
        return false;
    }
    let rest = prefix % 8;
    rest == 0 || (a[full] ^ b[full]) >> (8 - rest) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_contains() {
        let c = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(c.contains("10.1.200.3".parse().unwrap()));
        assert!(!c.contains("10.2.0.1".parse().unwrap()));
        assert!(c.contains("::ffff:10.1.0.9".parse().unwrap()));
        let odd = Cidr::parse("192.168.4.0/22").unwrap();
        assert!(odd.contains("192.168.7.255".parse().unwrap()));
        assert!(!odd.contains("192.168.8.0".parse().unwrap()));
        assert!(Cidr::parse("fd00::/8").unwrap().contains("fd12::1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
    }

    #[test]
    fn cidr_rejects_garbage() {
        assert!(Cidr::parse("10.0.0.0").is_err());
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("nonsense/8").is_err());
    }
}
