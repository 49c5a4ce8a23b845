//! Refresh-token rotation (OAuth 2.0 Security BCP §4.14): each refresh token is good once; a second
//! use means it was stolen, and the whole family (every token descended from one sign-in) is revoked.

/// What a presented refresh token's row says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presented<'a> {
    pub token_client: &'a str,
    pub presenting_client: &'a str,
    pub used_at: Option<i64>,
    pub family_revoked: bool,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshCheck {
    /// Good: issue a new pair, mark this one used.
    Rotate,
    /// Used before: revoke the family.
    Reused,
    Expired,
    Revoked,
    /// Issued to another client (RFC 6749 §6): refused, and not counted as reuse.
    WrongClient,
}

pub fn check(p: Presented, now: i64) -> RefreshCheck {
    if p.token_client != p.presenting_client {
        RefreshCheck::WrongClient
    } else if p.family_revoked {
        RefreshCheck::Revoked
    } else if p.used_at.is_some() {
        RefreshCheck::Reused
    } else if p.expires_at <= now {
        RefreshCheck::Expired
    } else {
        RefreshCheck::Rotate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_lc_03_rotation_reuse_and_expiry() {
        let p = Presented {
            token_client: "a",
            presenting_client: "a",
            used_at: None,
            family_revoked: false,
            expires_at: 100,
        };
        assert_eq!(check(p, 50), RefreshCheck::Rotate);
        assert_eq!(check(Presented { used_at: Some(40), ..p }, 50), RefreshCheck::Reused);
        assert_eq!(check(p, 100), RefreshCheck::Expired);
        assert_eq!(check(Presented { family_revoked: true, used_at: Some(1), ..p }, 50), RefreshCheck::Revoked);
        assert_eq!(check(Presented { presenting_client: "b", ..p }, 50), RefreshCheck::WrongClient);
    }
}
