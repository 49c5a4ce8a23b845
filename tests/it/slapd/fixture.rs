//! Made-up people (R-LC-18: no real personal data) as entries of the test directory, with Active
//! Directory's attributes for an AD-shaped one.

use super::SUFFIX;
use std::collections::HashSet;

/// One made-up person.
#[derive(Clone, Debug)]
pub struct Fixture {
    pub employee_number: String,
    pub name: String,
    pub kana: String,
    pub department: String,
    pub concurrent: Vec<String>,
    pub employment: String,
    pub status: String,
    pub end_date: Option<String>,
    pub head: bool,
    pub contract: Option<String>,
    /// Active Directory's attributes, for an AD-shaped directory.
    pub ad: Option<AdUser>,
}

/// What Active Directory adds to a user: objectGUID in AD's byte order, uSNChanged, userAccountControl.
#[derive(Clone, Debug)]
pub struct AdUser {
    pub guid: [u8; 16],
    pub usn: u64,
    pub account_control: u32,
}

impl Fixture {
    pub fn new(en: &str, department: &str) -> Fixture {
        Fixture {
            employee_number: en.into(),
            name: format!("東雲 職員{en}"),
            kana: format!("シノノメ ショクイン{en}"),
            department: department.into(),
            concurrent: vec![],
            employment: "正規".into(),
            status: "在職".into(),
            end_date: None,
            head: false,
            contract: None,
            ad: None,
        }
    }

    pub fn dn(&self) -> String {
        format!("employeeNumber={},ou=people,{SUFFIX}", self.employee_number)
    }

    pub(super) fn attrs(&self) -> Vec<(Vec<u8>, HashSet<Vec<u8>>)> {
        let one = |k: &str, v: &str| (k.to_string(), HashSet::from([v.to_string()]));
        let mut classes = HashSet::from(["inetOrgPerson".to_string(), "shinonomePerson".to_string()]);
        if self.ad.is_some() {
            classes.insert("adLikeUser".into());
        }
        let mut a = vec![
            ("objectClass".to_string(), classes),
            one("employeeNumber", &self.employee_number),
            one("cn", &self.name),
            one("sn", &format!("Shokuin{}", self.employee_number)),
            one("displayName", &self.kana),
            one("departmentNumber", &self.department),
            one("employeeType", &self.employment),
            one("description", &self.status),
            one("shinonomeStartDate", "20200401"),
        ];
        if !self.concurrent.is_empty() {
            a.push(("businessCategory".into(), self.concurrent.iter().cloned().collect()));
        }
        if let Some(d) = &self.end_date {
            a.push(one("shinonomeEndDate", d));
        }
        if self.head {
            a.push(one("shinonomeHeadOfSection", "TRUE"));
        }
        if let Some(c) = &self.contract {
            a.push(one("shinonomeContract", c));
        }
        if let Some(ad) = &self.ad {
            a.push(one("uSNChanged", &ad.usn.to_string()));
            a.push(one("userAccountControl", &ad.account_control.to_string()));
        }
        let mut bytes: Vec<(Vec<u8>, HashSet<Vec<u8>>)> =
            a.into_iter().map(|(k, v)| (k.into_bytes(), v.into_iter().map(String::into_bytes).collect())).collect();
        if let Some(ad) = &self.ad {
            bytes.push((b"objectGUID".to_vec(), HashSet::from([ad.guid.to_vec()])));
        }
        bytes
    }
}
