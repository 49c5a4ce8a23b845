//! Departments, people and their department memberships as the HR sync stores them.
//!
//! Invariant: a person's memberships are replaced as a whole, so a transfer (異動) can never leave a
//! stale primary department behind.

use super::schema::{departments, people, person_departments};
use super::{DbConnection, StoreError};
use diesel::prelude::*;
use tobira_domain::org::Membership;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = departments, treat_none_as_null = true)]
pub struct Department {
    pub code: String,
    pub name: String,
    pub name_kana: Option<String>,
    pub parent_code: Option<String>,
    pub body: Option<String>,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = people, treat_none_as_null = true)]
pub struct Person {
    pub id: String,
    pub employee_number: String,
    pub directory_key: Option<String>,
    pub name_kanji: String,
    pub name_kana: String,
    pub name_romaji: Option<String>,
    pub post_title: Option<String>,
    pub employment_type: String,
    pub status: String,
    pub is_head_of_section: bool,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub secondment_target: Option<String>,
    pub contract_id: Option<String>,
    pub mail: Option<String>,
    pub updated_at: i64,
    pub department_name: Option<String>,
    /// `YYYY-MM-DD`, when HR provides it; only used to refuse passwords built from it (R-AU-05).
    pub birth_date: Option<String>,
    /// Phone numbers separated by `,`, when HR provides them (R-AU-05).
    pub phone: Option<String>,
}

/// Inserts or updates a department by code.
pub fn upsert_department(conn: &mut DbConnection, d: &Department) -> Result<(), StoreError> {
    let n = diesel::update(departments::table.find(&d.code)).set(d).execute(conn)?;
    if n == 0 {
        diesel::insert_into(departments::table).values(d).execute(conn)?;
    }
    Ok(())
}

/// Every department code stored (as the HR sync last saved them).
pub fn department_codes(conn: &mut DbConnection) -> Result<std::collections::BTreeSet<String>, StoreError> {
    Ok(departments::table.select(departments::code).load::<String>(conn)?.into_iter().collect())
}

pub fn department(conn: &mut DbConnection, code: &str) -> Result<Option<Department>, StoreError> {
    Ok(departments::table.find(code).select(Department::as_select()).first(conn).optional()?)
}

/// Inserts or updates a person by id, with the search key of their name (the console's search).
pub fn upsert_person(conn: &mut DbConnection, p: &Person) -> Result<(), StoreError> {
    let n = diesel::update(people::table.find(&p.id)).set(p).execute(conn)?;
    if n == 0 {
        diesel::insert_into(people::table).values(p).execute(conn)?;
    }
    diesel::update(people::table.find(&p.id)).set(people::search_key.eq(search_key(p))).execute(conn)?;
    Ok(())
}

/// The console's search key of a person's name (kanji, kana, romaji; normalised).
pub fn search_key(p: &Person) -> String {
    tobira_domain::console::search::person_key(&p.name_kanji, &p.name_kana, p.name_romaji.as_deref())
}

/// Fills the search key of people stored before it existed (after the migration that adds it);
/// returns how many were filled.
pub fn backfill_search_keys(conn: &mut DbConnection) -> Result<usize, StoreError> {
    let mut n = 0;
    loop {
        let rows: Vec<Person> =
            people::table.filter(people::search_key.eq("")).limit(500).select(Person::as_select()).load(conn)?;
        if rows.is_empty() {
            return Ok(n);
        }
        for p in &rows {
            diesel::update(people::table.find(&p.id)).set(people::search_key.eq(search_key(p))).execute(conn)?;
        }
        n += rows.len();
    }
}

pub fn person_by_id(conn: &mut DbConnection, id: &str) -> Result<Option<Person>, StoreError> {
    Ok(people::table.find(id).select(Person::as_select()).first(conn).optional()?)
}

pub fn person_by_employee_number(conn: &mut DbConnection, employee_number: &str) -> Result<Option<Person>, StoreError> {
    Ok(people::table
        .filter(people::employee_number.eq(employee_number))
        .select(Person::as_select())
        .first(conn)
        .optional()?)
}

/// Replaces the person's memberships: one primary department and any concurrent posts (兼務).
pub fn set_memberships(
    conn: &mut DbConnection,
    person_id: &str,
    primary: &str,
    concurrent: &[String],
) -> Result<(), StoreError> {
    diesel::delete(person_departments::table.filter(person_departments::person_id.eq(person_id))).execute(conn)?;
    let others = concurrent.iter().map(|c| (c.as_str(), Membership::Concurrent)).filter(|(c, _)| *c != primary);
    for (code, kind) in std::iter::once((primary, Membership::Primary)).chain(others) {
        diesel::insert_into(person_departments::table)
            .values((
                person_departments::person_id.eq(person_id),
                person_departments::department_code.eq(code),
                person_departments::membership.eq(kind.as_str()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The person's department codes with their membership kind, primary first.
pub fn memberships(conn: &mut DbConnection, person_id: &str) -> Result<Vec<(String, String)>, StoreError> {
    let mut rows: Vec<(String, String)> = person_departments::table
        .filter(person_departments::person_id.eq(person_id))
        .select((person_departments::department_code, person_departments::membership))
        .load(conn)?;
    rows.sort_by_key(|(code, m)| (m != Membership::Primary.as_str(), code.clone()));
    Ok(rows)
}
