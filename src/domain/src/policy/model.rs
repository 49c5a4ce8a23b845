//! The register and organisation parts of the policy: the municipality, its classification scale,
//! networks, zones, business systems (the 情報システム台帳, R-ZN-07), roles, birthright rules, and the
//! officers who approve things (R-AC-09).
//!
//! Fields that other parts refer to, or that validation points at, are `Spanned` so an error can name
//! the line. Every item of a list records the file it came from in `file` (an index into
//! [`super::Policy::files`]).

use crate::org::EmploymentType;
use crate::zone::{NetworkKind, ZoneKind};
use serde::{Deserialize, Serialize};
use toml::Spanned;

pub type Id = Spanned<String>;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Municipality {
    /// e.g. 架空市
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    /// The mail domains staff addresses must use (R-LC-17); empty means not checked.
    #[serde(default)]
    pub mail_domains: Vec<String>,
}

impl Municipality {
    /// Whether `address` is on one of the municipality's mail domains (or a subdomain of one); any
    /// address when none are set.
    pub fn mail_allowed(&self, address: &str) -> bool {
        if self.mail_domains.is_empty() {
            return true;
        }
        let Some((_, domain)) = address.trim().rsplit_once('@') else { return false };
        let domain = domain.to_ascii_lowercase();
        self.mail_domains
            .iter()
            .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
            .any(|d| domain == d || domain.ends_with(&format!(".{d}")))
    }
}

/// The municipality's own classification scale (R-ZN-02), highest level first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassificationScale {
    /// What the scale measures, e.g. 自治体機密性 or 重要性分類.
    pub name: String,
    pub levels: Vec<ClassificationLevel>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassificationLevel {
    pub id: Id,
    #[serde(default)]
    pub name: String,
    /// Distinct factor kinds a sign-in needs for systems at this level.
    pub min_factor_kinds: Spanned<u8>,
    /// Whether work at this level may be done by telework / remote access (R-ZN-03).
    #[serde(default)]
    pub remote_access: bool,
    /// Whether this level may be used over wireless LAN (R-ZN-09).
    #[serde(default)]
    pub wireless: bool,
    #[serde(skip)]
    pub file: usize,
}

/// A network requests can come from (R-ZN-09).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    pub id: Id,
    pub kind: NetworkKind,
    #[serde(default)]
    pub name: String,
    pub cidrs: Vec<Spanned<String>>,
    #[serde(skip)]
    pub file: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    pub id: Id,
    pub kind: ZoneKind,
    #[serde(default)]
    pub name: String,
    /// Distinct factor kinds a sign-in needs for any system of the zone (R-AU-02: two for My Number).
    pub min_factor_kinds: Spanned<u8>,
    /// The networks sign-ins to this zone may come from; empty means any known network.
    #[serde(default)]
    pub networks: Vec<Id>,
    #[serde(skip)]
    pub file: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    /// 承認済み: may connect (R-AC-10).
    Approved,
    Pending,
    Rejected,
}

/// The approval that lets a system connect (R-AC-10).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemApproval {
    pub status: ApprovalStatus,
    /// Who decided (許可権限者), by title or name.
    #[serde(default)]
    pub approved_by: String,
    /// Date of the decision, `YYYY-MM-DD`.
    #[serde(default)]
    pub approved_on: Option<Spanned<String>>,
    /// クラウドサービス管理者 / 業務委託サービス管理者, where the system is an outside service.
    #[serde(default)]
    pub service_manager: String,
}

/// The system owner (情報システム管理者) and the operators they name (R-PR-09).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemOwner {
    pub employee_number: String,
    pub title: String,
    #[serde(default)]
    pub operators: Vec<String>,
}

/// A business system in the register (R-ZN-07).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct System {
    pub id: Id,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    pub owner: SystemOwner,
    pub zone: Id,
    pub classification: Id,
    /// 重要な情報システム (R-ZN-05).
    #[serde(default)]
    pub important: bool,
    /// A cloud or outside service.
    #[serde(default)]
    pub cloud: bool,
    /// Raises (never lowers) the factor kinds the zone and classification require.
    #[serde(default)]
    pub min_factor_kinds: Option<Spanned<u8>>,
    /// Cap on holders of this system's privileged roles (R-PR-01); the privileged section's default
    /// applies when absent.
    #[serde(default)]
    pub max_privileged_holders: Option<u32>,
    /// Where the system cannot meet the password rules, what it deviates in (R-AU-17).
    #[serde(default)]
    pub password_deviation: String,
    pub approval: SystemApproval,
    /// Pushing the system's accounts to its own user table (SCIM 2.0); none: tobira only.
    #[serde(default)]
    pub provisioning: Option<super::provisioning::Provisioning>,
    #[serde(skip)]
    pub file: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub id: Id,
    pub system: Id,
    pub name: String,
    #[serde(default)]
    pub privileged: bool,
    /// How a privileged role comes into force (R-PR-02); ignored for ordinary roles.
    #[serde(default = "default_activation")]
    pub activation: Spanned<Activation>,
    #[serde(default)]
    pub description: String,
    /// Staff may ask for it (R-LC-02); never a privileged or officer role.
    #[serde(default)]
    pub requestable: bool,
    /// The longest a requested grant of it runs, in days; `[access_requests] default_max_days`
    /// when absent.
    #[serde(default)]
    pub max_request_days: Option<Spanned<u32>>,
    #[serde(skip)]
    pub file: usize,
}

fn default_activation() -> Spanned<Activation> {
    Spanned::new(0..0, Activation::Approval)
}

/// How a privileged role comes into force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// A holder asks for a time-limited elevation and someone the policy names approves it.
    #[default]
    Approval,
    /// A holder activates it alone for a limited time; each activation is reviewed afterwards.
    SelfReview,
    /// An officer function held by appointment (tobira's own officer roles only): a standing grant,
    /// under the privileged account's stricter sign-in, lockout and session rules.
    Appointment,
}

impl Activation {
    pub fn as_str(self) -> &'static str {
        match self {
            Activation::Approval => "approval",
            Activation::SelfReview => "self_review",
            Activation::Appointment => "appointment",
        }
    }
}

/// Roles everyone matching the conditions gets from HR data alone. Empty conditions match everyone.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BirthrightRule {
    pub id: Id,
    #[serde(default)]
    pub departments: Vec<String>,
    #[serde(default)]
    pub posts: Vec<String>,
    #[serde(default)]
    pub employment_types: Vec<EmploymentType>,
    /// Only for heads of section (所属長).
    #[serde(default)]
    pub heads_of_section_only: bool,
    pub roles: Vec<Id>,
    #[serde(skip)]
    pub file: usize,
}
