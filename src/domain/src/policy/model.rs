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
        self.mail_domains.iter().map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase()).any(|d| domain == d || domain.ends_with(&format!(".{d}")))
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

/// Officer functions tobira itself relies on; each is held through a role of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfficerFunction {
    /// CISO 最高情報セキュリティ責任者.
    Ciso,
    /// 副CISO.
    DeputyCiso,
    /// 統括情報セキュリティ責任者.
    ChiefSecurityOfficer,
    /// The security officers who run tobira (e.g. 情報政策課).
    SecurityOfficer,
    /// Read-only auditor (R-RV-09).
    Auditor,
    /// The helpdesk: finds people and reads their page, unlocks a staff member and sends them an
    /// enrolment link; nothing on officers or privileged IDs (`console::helpdesk`).
    Helpdesk,
}

impl OfficerFunction {
    pub fn as_str(self) -> &'static str {
        match self {
            OfficerFunction::Ciso => "ciso",
            OfficerFunction::DeputyCiso => "deputy_ciso",
            OfficerFunction::ChiefSecurityOfficer => "chief_security_officer",
            OfficerFunction::SecurityOfficer => "security_officer",
            OfficerFunction::Auditor => "auditor",
            OfficerFunction::Helpdesk => "helpdesk",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Officer {
    /// The role that confers the function.
    pub role: Id,
    /// The municipality's own title, e.g. 最高情報統括責任者.
    pub title: String,
    /// Who acts when the holder is absent, in order (R-AC-09).
    #[serde(default)]
    pub substitutes: Vec<Spanned<OfficerFunction>>,
}

/// Who may approve a kind of request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approver {
    Ciso,
    DeputyCiso,
    ChiefSecurityOfficer,
    SecurityOfficer,
    Auditor,
    /// 所属長 of the person concerned.
    HeadOfSection,
    /// 情報システム管理者 of the system concerned.
    SystemOwner,
}

impl Approver {
    /// The name the policy files use (serde's snake_case).
    pub fn as_str(self) -> &'static str {
        match self {
            Approver::Ciso => "ciso",
            Approver::DeputyCiso => "deputy_ciso",
            Approver::ChiefSecurityOfficer => "chief_security_officer",
            Approver::SecurityOfficer => "security_officer",
            Approver::Auditor => "auditor",
            Approver::HeadOfSection => "head_of_section",
            Approver::SystemOwner => "system_owner",
        }
    }

    pub fn parse(s: &str) -> Option<Approver> {
        [Approver::Ciso, Approver::DeputyCiso, Approver::ChiefSecurityOfficer, Approver::SecurityOfficer, Approver::Auditor, Approver::HeadOfSection, Approver::SystemOwner]
            .into_iter()
            .find(|a| a.as_str() == s)
    }

    pub fn officer(self) -> Option<OfficerFunction> {
        match self {
            Approver::Ciso => Some(OfficerFunction::Ciso),
            Approver::DeputyCiso => Some(OfficerFunction::DeputyCiso),
            Approver::ChiefSecurityOfficer => Some(OfficerFunction::ChiefSecurityOfficer),
            Approver::SecurityOfficer => Some(OfficerFunction::SecurityOfficer),
            Approver::Auditor => Some(OfficerFunction::Auditor),
            Approver::HeadOfSection | Approver::SystemOwner => None,
        }
    }
}

/// Who approves each kind of request (R-AC-02, R-AC-04, R-AC-10, R-PR-03).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approvals {
    /// 例外措置 (R-AC-04).
    pub exception: Vec<Spanned<Approver>>,
    /// Who may put an exception in force at once, as an emergency (緊急時の例外措置, R-AC-04):
    /// the CISO or their deputy by default.
    #[serde(default = "default_exception_emergency")]
    pub exception_emergency: Vec<Spanned<Approver>>,
    /// 代行者 (R-PR-03).
    pub delegate: Vec<Spanned<Approver>>,
    /// Connecting a business system (R-AC-10).
    pub system_connection: Vec<Spanned<Approver>>,
    /// Privileged elevation (R-PR-02).
    pub elevation: Vec<Spanned<Approver>>,
    /// A held HR sync plan (too many removals).
    pub sync_hold: Vec<Spanned<Approver>>,
    /// Remote access / telework grants (R-ZN-11).
    pub remote_access: Vec<Spanned<Approver>>,
    /// Recertification of a grant (R-RV-05): the reviewers a campaign item is assigned to.
    #[serde(default = "default_recertification")]
    pub recertification: Vec<Spanned<Approver>>,
    /// Who decides the items a campaign escalates at its deadline.
    #[serde(default = "default_escalation")]
    pub review_escalation: Vec<Spanned<Approver>>,
    /// Restoring an account suspended as dormant (R-RV-03).
    #[serde(default = "default_dormant_restore")]
    pub dormant_restore: Vec<Spanned<Approver>>,
    /// Searching a person's usage in the audit log (R-LG-11); the CISO names others by delegation.
    #[serde(default = "default_audit_search")]
    pub audit_search: Vec<Spanned<Approver>>,
    /// The second person for an officer's action on an officer, the CISO, an auditor or a privileged
    /// ID (password reset, enrolment link, credential revocation, unlock, reinstatement; R-AC-02).
    #[serde(default = "default_officer_action")]
    pub officer_action: Vec<Spanned<Approver>>,
    /// An access request (R-LC-02): unlike the other kinds, these are steps in order, each decided by
    /// a different person (by default the requester's 所属長, then the system's owner).
    #[serde(default = "default_access_request")]
    pub access_request: Vec<Spanned<Approver>>,
}

pub(crate) fn default_access_request() -> Vec<Spanned<Approver>> {
    vec![Spanned::new(0..0, Approver::HeadOfSection), Spanned::new(0..0, Approver::SystemOwner)]
}

pub(crate) fn default_officer_action() -> Vec<Spanned<Approver>> {
    vec![Spanned::new(0..0, Approver::SecurityOfficer), Spanned::new(0..0, Approver::ChiefSecurityOfficer), Spanned::new(0..0, Approver::Ciso)]
}

pub(crate) fn default_exception_emergency() -> Vec<Spanned<Approver>> {
    vec![Spanned::new(0..0, Approver::Ciso), Spanned::new(0..0, Approver::DeputyCiso)]
}

pub(crate) fn default_audit_search() -> Vec<Spanned<Approver>> {
    vec![Spanned::new(0..0, Approver::Ciso), Spanned::new(0..0, Approver::ChiefSecurityOfficer)]
}

pub(crate) fn default_recertification() -> Vec<Spanned<Approver>> {
    vec![Spanned::new(0..0, Approver::HeadOfSection), Spanned::new(0..0, Approver::SystemOwner)]
}

pub(crate) fn default_escalation() -> Vec<Spanned<Approver>> {
    vec![Spanned::new(0..0, Approver::SecurityOfficer)]
}

pub(crate) fn default_dormant_restore() -> Vec<Spanned<Approver>> {
    vec![Spanned::new(0..0, Approver::HeadOfSection), Spanned::new(0..0, Approver::SecurityOfficer)]
}

impl Approvals {
    pub fn all(&self) -> [(&'static str, &Vec<Spanned<Approver>>); 13] {
        [
            ("exception", &self.exception),
            ("exception_emergency", &self.exception_emergency),
            ("delegate", &self.delegate),
            ("system_connection", &self.system_connection),
            ("elevation", &self.elevation),
            ("sync_hold", &self.sync_hold),
            ("remote_access", &self.remote_access),
            ("recertification", &self.recertification),
            ("review_escalation", &self.review_escalation),
            ("dormant_restore", &self.dormant_restore),
            ("audit_search", &self.audit_search),
            ("officer_action", &self.officer_action),
            ("access_request", &self.access_request),
        ]
    }
}
