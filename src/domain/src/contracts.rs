//! The contract register (R-LC-12, R-LC-13): vendor contracts with their number, vendor and period,
//! read from the register's rows, and each contracted person bound to one.
//!
//! Invariants:
//! - a person under a contract ends no later than the contract, nor than any contract above it
//!   (再委託: a sub-contract ends with its parent), and starts no earlier;
//! - a person who names a contract the register does not hold (or holds twice, or cannot read), or
//!   whose employment type needs a contract and names none, is a problem of their entry: skipped and
//!   reported, never provisioned and never treated as gone (R-LC-14).

use crate::hr::{EntryProblem, HrPerson, RawEntry, Reader};
use crate::policy::directory::ContractRegisterMapping;
use std::collections::{BTreeMap, BTreeSet};
use time::Date;

/// One contract as the register states it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Contract {
    pub number: String,
    pub vendor: String,
    pub start: Option<Date>,
    pub end: Date,
    /// The contract this one is a sub-contract of (再委託).
    pub parent: Option<String>,
}

/// Reads one row of the register.
pub fn read_contract(e: &RawEntry, m: &ContractRegisterMapping) -> Result<Contract, EntryProblem> {
    let r = Reader { e, employee_number: None };
    let number = r.required(&m.number)?;
    let start = r.date(m.start_date.as_deref(), m.date_format)?;
    let end = r.date(Some(&m.end_date), m.date_format)?.ok_or_else(|| r.problem(&m.end_date, "is missing"))?;
    if let Some(start) = start.filter(|s| end < *s) {
        return Err(r.problem(&m.end_date, format!("contract {number}: end date {end} is before start date {start}")));
    }
    let parent = r.optional(m.parent.as_deref())?.filter(|p| *p != number);
    Ok(Contract { number, vendor: r.required(&m.vendor)?, start, end, parent })
}

/// The register as read: the contracts, and the numbers that cannot be relied on.
#[derive(Debug, Clone, Default)]
pub struct Register {
    contracts: BTreeMap<String, Contract>,
    /// Numbers whose row could not be read, or that appear more than once.
    doubtful: BTreeSet<String>,
}

/// How far a chain of sub-contracts is followed before it is called a loop.
const MAX_DEPTH: usize = 16;

impl Register {
    /// Builds the register from its rows; problems are the rows that cannot stand for a contract.
    pub fn read(rows: &[RawEntry], m: &ContractRegisterMapping) -> (Register, Vec<EntryProblem>) {
        let mut reg = Register::default();
        let mut problems = Vec::new();
        for e in rows {
            match read_contract(e, m) {
                Ok(c) if reg.contracts.contains_key(&c.number) || reg.doubtful.contains(&c.number) => {
                    problems.push(EntryProblem {
                        dn: e.dn.clone(),
                        employee_number: None,
                        attribute: m.number.clone(),
                        reason: format!("contract {} appears more than once", c.number),
                    });
                    reg.contracts.remove(&c.number);
                    reg.doubtful.insert(c.number);
                }
                Ok(c) => {
                    reg.contracts.insert(c.number.clone(), c);
                }
                Err(p) => {
                    // A row whose number could be read makes that contract doubtful.
                    if let Some(n) = e.attrs.get(&m.number.to_lowercase()).and_then(|v| v.first()) {
                        reg.doubtful.insert(n.trim().to_string());
                    }
                    problems.push(p);
                }
            }
        }
        (reg, problems)
    }

    pub fn get(&self, number: &str) -> Option<&Contract> {
        self.contracts.get(number)
    }

    /// The contracts that can be relied on, by number.
    pub fn contracts(&self) -> impl Iterator<Item = &Contract> {
        self.contracts.values()
    }

    pub fn len(&self) -> usize {
        self.contracts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.contracts.is_empty()
    }

    /// The period a person under `number` may work in: the latest start and the earliest end along
    /// the chain of parent contracts. Err says why the contract cannot be relied on.
    pub fn period(&self, number: &str) -> Result<(Option<Date>, Date), String> {
        let mut at = number;
        let (mut start, mut end): (Option<Date>, Option<Date>) = (None, None);
        for _ in 0..MAX_DEPTH {
            if self.doubtful.contains(at) {
                return Err(format!("contract {at} cannot be read from the contract register"));
            }
            let c = self.contracts.get(at).ok_or_else(|| {
                if at == number {
                    format!("contract {at} is not in the contract register")
                } else {
                    format!("contract {number}'s parent contract {at} is not in the contract register")
                }
            })?;
            start = start.max(c.start);
            let chain_end = end.map_or(c.end, |e| e.min(c.end));
            end = Some(chain_end);
            match &c.parent {
                Some(p) => at = p,
                None => return Ok((start, chain_end)),
            }
        }
        Err(format!("contract {number}'s parent contracts form a loop or a chain deeper than {MAX_DEPTH}"))
    }

    /// Binds `p` to its contract: the contract's period bounds the person's. Err says why the person
    /// cannot be read (their entry is then skipped).
    pub fn bind(&self, p: &mut HrPerson, m: &ContractRegisterMapping) -> Result<(), String> {
        let Some(number) = p.contract_id.as_deref() else {
            if m.required_for.contains(&p.employment_type) {
                return Err(format!(
                    "a {} must name a contract of the contract register (R-LC-12)",
                    p.employment_type.as_str()
                ));
            }
            return Ok(());
        };
        let (start, end) = self.period(number)?;
        p.end_date = Some(p.end_date.map_or(end, |e| e.min(end)));
        p.start_date = match (p.start_date, start) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::{EmploymentType, PersonStatus};
    use crate::policy::directory::{CsvEncoding, DateFormat};
    use time::macros::date;

    fn mapping() -> ContractRegisterMapping {
        ContractRegisterMapping {
            number: "契約番号".into(),
            vendor: "事業者".into(),
            start_date: Some("開始日".into()),
            end_date: "終了日".into(),
            parent: Some("元契約".into()),
            date_format: DateFormat::Iso,
            encoding: CsvEncoding::Utf8,
            required_for: vec![EmploymentType::Vendor],
        }
    }

    fn row(line: usize, cells: &[(&str, &str)]) -> RawEntry {
        RawEntry::new(format!("contracts.csv:{line}"), cells.iter().map(|(k, v)| (k.to_string(), vec![v.to_string()])))
    }

    fn contract(line: usize, number: &str, start: &str, end: &str, parent: &str) -> RawEntry {
        let mut cells = vec![("契約番号", number), ("事業者", "株式会社テスト"), ("開始日", start), ("終了日", end)];
        if !parent.is_empty() {
            cells.push(("元契約", parent));
        }
        row(line, &cells)
    }

    fn vendor(contract: Option<&str>, end: Option<Date>) -> HrPerson {
        HrPerson {
            employee_number: "V0001".into(),
            directory_key: None,
            name_kanji: "委託 一郎".into(),
            name_kana: "イタク イチロウ".into(),
            name_romaji: None,
            department_code: "joho".into(),
            department_name: None,
            concurrent: vec![],
            post: None,
            employment_type: EmploymentType::Vendor,
            status: PersonStatus::Active,
            start_date: Some(date!(2026 - 04 - 01)),
            end_date: end,
            head_of_section: false,
            secondment_target: None,
            contract_id: contract.map(String::from),
            mail: None,
        }
    }

    fn register(rows: &[RawEntry]) -> (Register, Vec<EntryProblem>) {
        Register::read(rows, &mapping())
    }

    #[test]
    fn r_lc_12_a_contracted_person_ends_with_the_contract() {
        let (reg, problems) = register(&[contract(2, "R8-001", "2026-04-01", "2027-03-31", "")]);
        assert!(problems.is_empty());
        let mut p = vendor(Some("R8-001"), None);
        reg.bind(&mut p, &mapping()).unwrap();
        assert_eq!(p.end_date, Some(date!(2027 - 03 - 31)), "HR gave no end date: the contract's applies");
        let mut p = vendor(Some("R8-001"), Some(date!(2026 - 09 - 30)));
        reg.bind(&mut p, &mapping()).unwrap();
        assert_eq!(p.end_date, Some(date!(2026 - 09 - 30)), "HR's earlier end date stays");
        let mut p = vendor(Some("R8-001"), Some(date!(2028 - 03 - 31)));
        reg.bind(&mut p, &mapping()).unwrap();
        assert_eq!(p.end_date, Some(date!(2027 - 03 - 31)), "nobody outlasts the contract");
    }

    #[test]
    fn r_lc_12_a_sub_contract_ends_with_its_parent() {
        let (reg, _) = register(&[
            contract(2, "R8-001", "2026-04-01", "2026-12-31", ""),
            contract(3, "R8-001-A", "2026-06-01", "2027-03-31", "R8-001"),
        ]);
        assert_eq!(reg.period("R8-001-A"), Ok((Some(date!(2026 - 06 - 01)), date!(2026 - 12 - 31))));
        let mut p = vendor(Some("R8-001-A"), None);
        reg.bind(&mut p, &mapping()).unwrap();
        assert_eq!(
            (p.start_date, p.end_date),
            (Some(date!(2026 - 06 - 01)), Some(date!(2026 - 12 - 31))),
            "the later start, the earlier end"
        );
        let (reg, _) = register(&[contract(2, "A", "", "2027-03-31", "B"), contract(3, "B", "", "2027-03-31", "A")]);
        assert!(reg.period("A").unwrap_err().contains("loop"));
        let (reg, _) = register(&[contract(2, "A", "", "2027-03-31", "ZZ")]);
        assert!(reg.period("A").unwrap_err().contains("parent contract ZZ is not in"));
    }

    #[test]
    fn r_lc_14_unknown_doubtful_or_missing_contracts_are_problems() {
        let (reg, problems) = register(&[
            contract(2, "R8-001", "2026-04-01", "2027-03-31", ""),
            contract(3, "R8-002", "2026-04-01", "2027-02-30", ""),
            contract(4, "R8-003", "2026-04-01", "2027-03-31", ""),
            contract(5, "R8-003", "2026-04-01", "2028-03-31", ""),
            contract(6, "R8-004", "2027-04-01", "2026-04-01", ""),
            row(7, &[("事業者", "番号なし株式会社"), ("終了日", "2027-03-31")]),
        ]);
        let reasons: Vec<(&str, &str)> = problems.iter().map(|p| (p.dn.as_str(), p.reason.as_str())).collect();
        assert_eq!(reasons.len(), 4, "{reasons:?}");
        assert!(reasons[0].0.ends_with(":3") && reasons[0].1.contains("not a valid date"));
        assert!(reasons[1].0.ends_with(":5") && reasons[1].1.contains("more than once"));
        assert!(reasons[2].1.contains("before start date"));
        assert!(reasons[3].0.ends_with(":7") && reasons[3].1 == "is missing");
        assert_eq!(reg.len(), 1, "only R8-001 can be relied on");
        let why = |c: Option<&str>| reg.bind(&mut vendor(c, None), &mapping()).unwrap_err();
        assert!(why(Some("R8-002")).contains("cannot be read"));
        assert!(
            why(Some("R8-003")).contains("cannot be read"),
            "a number twice in the register is not trusted either way"
        );
        assert!(why(Some("R9-999")).contains("not in the contract register"));
        assert!(why(None).contains("must name a contract"));
        let mut staff = vendor(None, None);
        staff.employment_type = EmploymentType::Regular;
        assert_eq!(reg.bind(&mut staff, &mapping()), Ok(()), "staff need no contract");
        assert_eq!(staff.end_date, None);
    }
}
