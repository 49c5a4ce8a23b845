//! The review and audit rules: dormant thresholds and what follows, campaign deadlines, log-analysis
//! findings, and what happens when an audit record cannot be written.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DormantDays {
    pub staff: u32,
    pub privileged: u32,
    pub vendor: u32,
    pub shared: u32,
    pub development: u32,
    /// An account never used this many days after creation counts as dormant.
    pub never_used: u32,
}

impl Default for DormantDays {
    fn default() -> Self {
        DormantDays { staff: 90, privileged: 30, vendor: 30, shared: 60, development: 30, never_used: 30 }
    }
}

/// What follows when an account is found dormant (R-RV-03).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DormantAction {
    /// Listed in the dormant report only.
    Report,
    /// Noticed to the holder and their 所属長, then suspended after `dormant_notice_days`.
    Suspend,
}

/// What happens to review items nobody decided by the campaign's deadline (R-RV-05).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineAction {
    /// The grant is removed, as if the reviewer had said so.
    Remove,
    /// The item goes to `approvals.review_escalation` with a new deadline.
    Escalate,
}

/// Thresholds of the scheduled log analysis (R-LG-03).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FindingRules {
    /// This many failed sign-ins against one account or from one source …
    pub failed_burst_count: u32,
    /// … within this many minutes is a finding.
    pub failed_burst_minutes: u32,
    /// Working hours in JST, `[first hour, last hour)`; a sign-in outside them is a finding.
    pub working_hours: [u8; 2],
    /// Whether weekend sign-ins (JST) are findings.
    pub weekends_unusual: bool,
}

impl Default for FindingRules {
    fn default() -> Self {
        FindingRules {
            failed_burst_count: 10,
            failed_burst_minutes: 10,
            working_hours: [7, 22],
            weekends_unusual: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReviewRules {
    pub dormant_days: DormantDays,
    /// What follows a dormant finding.
    pub dormant_action: DormantAction,
    /// Days between the notice and the suspension of a dormant account.
    pub dormant_notice_days: u32,
    /// Months between recertification campaigns of each system (R-RV-05); 0 = by hand only.
    pub recertification_months: u32,
    /// Days a reviewer has to decide.
    pub campaign_days: u32,
    /// Days before the deadline the reviewers with open items are reminded.
    pub reminder_days: u32,
    /// What happens to items undecided at the deadline.
    pub deadline_action: DeadlineAction,
    /// Days the escalated items have.
    pub escalation_days: u32,
    /// A micro-review for the new 所属長 after each transfer (異動) (R-LC-05).
    pub transfer_review: bool,
    /// The month (1–12) each fiscal year (年度) begins; every department's self-inspection
    /// (自己点検) campaign starts with it (R-RV-08). 0 = started by hand only.
    pub self_inspection_month: u8,
    /// Grant sources a campaign reviews. Birthright grants follow the HR record and `roles.toml`;
    /// listing `birthright` here makes them reviewable (a removal then holds until the rule changes).
    pub campaign_sources: Vec<String>,
    /// Months between reviews of open exceptions (R-AC-04).
    pub exception_review_months: u32,
    /// The longest an exception may run, in days.
    pub exception_max_days: u32,
    /// Minutes between scheduled review runs inside `serve` (dormant, campaigns, exceptions,
    /// findings); 0 = only `tobira review run`.
    pub every_minutes: u32,
    pub findings: FindingRules,
}

impl Default for ReviewRules {
    fn default() -> Self {
        ReviewRules {
            dormant_days: DormantDays::default(),
            dormant_action: DormantAction::Suspend,
            dormant_notice_days: 14,
            recertification_months: 12,
            campaign_days: 14,
            reminder_days: 3,
            deadline_action: DeadlineAction::Escalate,
            escalation_days: 7,
            transfer_review: true,
            self_inspection_month: 4,
            campaign_sources: vec!["request".into(), "delegate".into(), "bootstrap".into()],
            exception_review_months: 3,
            exception_max_days: 365,
            every_minutes: 60,
            findings: FindingRules::default(),
        }
    }
}

/// What happens when an audit record cannot be written (R-LG-07).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditFailureAction {
    /// The action that could not be recorded is refused (fail closed).
    Refuse,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditRules {
    /// How long access records are kept (R-LG-01), in days.
    pub retention_days: u32,
    pub on_failure: AuditFailureAction,
    /// Most a node's clock may differ from the database server's, in milliseconds, before it is
    /// reported (R-LG-04): records from nodes whose clocks disagree cannot be put in order.
    pub max_clock_skew_ms: u32,
    /// Seconds between checkpoints of the audit chain's head (R-LG-02): the head is sealed with a MAC
    /// and written outside the database this often, and at shutdown.
    pub checkpoint_seconds: u32,
    /// `tobira serve` deletes the records past `retention_days` this often, in hours, as `tobira
    /// audit prune` does (a verified prefix, never into an active legal hold); 0 = only by hand.
    pub prune_every_hours: u32,
}

impl Default for AuditRules {
    fn default() -> Self {
        // Five years: longer than any statutory limitation period an investigation would need.
        AuditRules {
            retention_days: 1_827,
            on_failure: AuditFailureAction::Refuse,
            max_clock_skew_ms: 1_000,
            checkpoint_seconds: 300,
            prune_every_hours: 24,
        }
    }
}
