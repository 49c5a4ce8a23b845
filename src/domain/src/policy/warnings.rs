//! What `tobira policy check` warns about without refusing the policy: a mapping that checks no
//! department codes, and birthright rules naming departments the directory does not have (the
//! example city's, left in a new city's copy). Errors stay in `validate`.

use super::Policy;
use std::collections::BTreeSet;

/// The warnings of `p`; `directory_departments` are the department codes the directory is known to
/// have (from the last sync), when known.
pub fn warnings(p: &Policy, directory_departments: Option<&BTreeSet<String>>) -> Vec<String> {
    let mut out = Vec::new();
    let Some(m) = &p.directory else { return out };
    if m.has_no_departments() {
        out.push("directory: neither [directory.departments] (department entries) nor [[directory.department_table]] is configured: any department code a person's entry names is accepted unchecked (R-LC-14)".into());
    }
    let mut known: BTreeSet<String> = m.department_table.iter().map(|d| d.code.clone()).collect();
    known.extend(directory_departments.into_iter().flatten().cloned());
    if known.is_empty() {
        return out;
    }
    for rule in &p.birthright {
        for d in rule.departments.iter().filter(|d| !known.contains(*d)) {
            out.push(format!(
                "birthright rule `{}` names department `{d}`, which the directory does not have: nobody gets its roles",
                rule.id.get_ref()
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::directory::DepartmentRow;

    #[test]
    fn r_lc_14_policy_check_warns_of_unchecked_departments_and_birthright_rules_naming_unknown_ones() {
        let mut p = crate::test_support::example_policy();
        let in_directory: BTreeSet<String> = ["somu", "shimin", "zeimu"].map(String::from).into();
        assert_eq!(
            warnings(&p, Some(&in_directory)),
            Vec::<String>::new(),
            "the example city's rules name its own departments"
        );
        let elsewhere: BTreeSet<String> = ["soumu-ka", "shiminka"].map(String::from).into();
        let w = warnings(&p, Some(&elsewhere));
        assert!(w.iter().any(|w| w.contains("names department `shimin`, which the directory does not have")), "{w:?}");
        assert!(w.iter().any(|w| w.contains("`zeimu`")), "{w:?}");
        assert!(warnings(&p, None).is_empty(), "nothing known, nothing claimed");

        let m = p.directory.as_mut().unwrap();
        m.departments = None;
        let w = warnings(&p, None);
        assert!(w.len() == 1 && w[0].contains("neither [directory.departments]"), "{w:?}");
        let m = p.directory.as_mut().unwrap();
        m.attributes.head_of_section = None; // a directory without a 所属長 attribute
        m.department_table = vec![DepartmentRow {
            code: "shimin".into(),
            name: "市民課".into(),
            parent: None,
            head_post: Some("課長".into()),
        }];
        let w = warnings(&p, None);
        assert!(w.len() == 1 && w[0].contains("`zeimu`"), "the table is what the directory has: {w:?}");
        let m = p.directory.as_ref().unwrap();
        assert!(
            m.head_by_post("shimin", Some("課長"))
                && !m.head_by_post("shimin", Some("主事"))
                && !m.head_by_post("zeimu", Some("課長"))
        );
    }
}
