//! The organisation as HR describes it: employment types and a person's status.
//!
//! The HR sync (directory → plan) builds on these; R-LC-10 requires every type the policies cover to be
//! representable, so rules can differ by type.

use serde::{Deserialize, Serialize};

/// 雇用形態: the kinds of people the policies apply to (R-LC-10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmploymentType {
    /// 正規職員 (一般職).
    Regular,
    /// 特別職.
    Special,
    /// 会計年度任用職員.
    FixedTerm,
    /// 再任用 / 定年前再任用短時間勤務職員.
    Reappointed,
    /// 臨時的任用職員 / 臨時職員.
    Temporary,
    /// 非常勤(嘱託)職員.
    PartTime,
    /// アルバイト.
    Casual,
    /// 派遣労働者.
    Agency,
    /// 指定管理者.
    DesignatedManager,
    /// 外部委託者 / 委託事業者 (incl. 再委託).
    Vendor,
}

impl EmploymentType {
    pub const ALL: [EmploymentType; 10] = [
        EmploymentType::Regular,
        EmploymentType::Special,
        EmploymentType::FixedTerm,
        EmploymentType::Reappointed,
        EmploymentType::Temporary,
        EmploymentType::PartTime,
        EmploymentType::Casual,
        EmploymentType::Agency,
        EmploymentType::DesignatedManager,
        EmploymentType::Vendor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EmploymentType::Regular => "regular",
            EmploymentType::Special => "special",
            EmploymentType::FixedTerm => "fixed_term",
            EmploymentType::Reappointed => "reappointed",
            EmploymentType::Temporary => "temporary",
            EmploymentType::PartTime => "part_time",
            EmploymentType::Casual => "casual",
            EmploymentType::Agency => "agency",
            EmploymentType::DesignatedManager => "designated_manager",
            EmploymentType::Vendor => "vendor",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Whether the person is outside the municipality's own staff.
    pub fn is_external(self) -> bool {
        matches!(self, EmploymentType::Agency | EmploymentType::DesignatedManager | EmploymentType::Vendor)
    }
}

/// 在籍状況 as HR reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonStatus {
    /// 在職.
    Active,
    /// 休職 / 育休.
    OnLeave,
    /// 出向.
    Seconded,
    /// 退職 / contract ended.
    Left,
}

impl PersonStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PersonStatus::Active => "active",
            PersonStatus::OnLeave => "on_leave",
            PersonStatus::Seconded => "seconded",
            PersonStatus::Left => "left",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [PersonStatus::Active, PersonStatus::OnLeave, PersonStatus::Seconded, PersonStatus::Left]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// Whether a department membership is the person's main post or a concurrent one (兼務).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Membership {
    Primary,
    Concurrent,
}

impl Membership {
    pub fn as_str(self) -> &'static str {
        match self {
            Membership::Primary => "primary",
            Membership::Concurrent => "concurrent",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_lc_10_every_employment_type_round_trips() {
        for t in EmploymentType::ALL {
            assert_eq!(EmploymentType::parse(t.as_str()), Some(t));
        }
        assert!(EmploymentType::Vendor.is_external());
        assert!(!EmploymentType::FixedTerm.is_external());
        assert_eq!(EmploymentType::parse("boss"), None);
    }
}
