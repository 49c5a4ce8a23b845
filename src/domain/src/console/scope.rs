//! Who sees which people in the console (R-LC-02 context, R-RV-09): the security officers, the
//! CISO's office and the auditor see everyone; a 所属長 sees the people of the sections they head;
//! anyone else sees no one. Only security officers act (the officer API's rule); the auditor reads.

use crate::approval::ApproverFacts;
use crate::policy::OfficerFunction;

/// The people a reader may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every person.
    All,
    /// The people whose department (primary or concurrent) is one of these codes.
    Departments(Vec<String>),
}

impl Scope {
    /// Whether a person in `departments` is visible.
    pub fn sees(&self, departments: &[String]) -> bool {
        match self {
            Scope::All => true,
            Scope::Departments(mine) => departments.iter().any(|d| mine.contains(d)),
        }
    }
}

/// The functions that read every person's page.
pub const READ_ALL: [OfficerFunction; 5] = [
    OfficerFunction::Ciso,
    OfficerFunction::DeputyCiso,
    OfficerFunction::ChiefSecurityOfficer,
    OfficerFunction::SecurityOfficer,
    OfficerFunction::Auditor,
];

/// The reader's scope, or `None` when they may not use the console at all. The helpdesk finds
/// anyone (a caller may be of any section) but is not in [`READ_ALL`]: it does not read the audit log.
pub fn of(facts: &ApproverFacts) -> Option<Scope> {
    if READ_ALL.iter().any(|f| facts.holds(*f)) || facts.holds(OfficerFunction::Helpdesk) {
        return Some(Scope::All);
    }
    (!facts.headed.is_empty()).then(|| Scope::Departments(facts.headed.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(functions: &[OfficerFunction], headed: &[&str]) -> ApproverFacts {
        ApproverFacts {
            employee_number: "100001".into(),
            functions: functions.to_vec(),
            headed: headed.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn officers_and_the_auditor_see_all_a_head_of_section_their_section_staff_no_one() {
        assert_eq!(of(&facts(&[OfficerFunction::SecurityOfficer], &[])), Some(Scope::All));
        assert_eq!(of(&facts(&[OfficerFunction::Auditor], &[])), Some(Scope::All));
        assert_eq!(
            of(&facts(&[OfficerFunction::Helpdesk], &[])),
            Some(Scope::All),
            "the helpdesk finds anyone who calls"
        );
        assert!(!READ_ALL.contains(&OfficerFunction::Helpdesk), "but does not read the audit log (R-LG-11)");
        let head = of(&facts(&[], &["shimin"])).unwrap();
        assert!(head.sees(&["kazei".into(), "shimin".into()]), "a concurrent post in the section counts");
        assert!(!head.sees(&["kazei".into()]));
        assert!(!head.sees(&[]), "a person with no department is nobody's section");
        assert_eq!(of(&facts(&[], &[])), None);
    }
}
