//! The officers who approve things (R-AC-09): the officer functions tobira relies on, who holds them,
//! who approves what (`[approvals]`), and their defaults.

use super::model::Id;
use serde::{Deserialize, Serialize};
use toml::Spanned;

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
        [
            Approver::Ciso,
            Approver::DeputyCiso,
            Approver::ChiefSecurityOfficer,
            Approver::SecurityOfficer,
            Approver::Auditor,
            Approver::HeadOfSection,
            Approver::SystemOwner,
        ]
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
    vec![
        Spanned::new(0..0, Approver::SecurityOfficer),
        Spanned::new(0..0, Approver::ChiefSecurityOfficer),
        Spanned::new(0..0, Approver::Ciso),
    ]
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
