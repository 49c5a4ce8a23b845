//! Finding a person (issue 21): by part of a name in kanji, kana or romaji (however it was typed,
//! see `tobira_domain::console::search`), employee number, login ID, department and account status;
//! one page at a time (`[console] search_page_size`); each row the person's accounts and their
//! status. A 所属長 finds only their own sections' people.

use super::Reader;
use crate::app::{App, AppError};
use crate::store::{self, console::PeopleFilter};
use serde::Serialize;
use tobira_domain::console::{scope::Scope, search};
use tobira_domain::rbac::AccountStatus;

/// The search form.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct Query {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub department: String,
    /// An account status: active, suspended, disabled or deleted.
    #[serde(default)]
    pub status: String,
    /// 1-based.
    #[serde(default)]
    pub page: Option<u32>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountRow {
    pub login_id: String,
    pub status: String,
    pub is_privileged: bool,
    pub is_shared: bool,
    pub is_vendor: bool,
    pub is_development: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonRow {
    pub id: String,
    pub employee_number: String,
    pub name_kanji: String,
    pub name_kana: String,
    pub department: Option<String>,
    pub hr_status: String,
    pub accounts: Vec<AccountRow>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Found {
    pub people: Vec<PersonRow>,
    pub page: u32,
    pub page_size: u32,
    pub has_next: bool,
}

/// The query as a store filter, or why it cannot be one.
pub fn filter(q: &Query, reader: &Reader) -> Result<PeopleFilter, AppError> {
    let status = match q.status.trim() {
        "" => None,
        s => Some(
            AccountStatus::parse(s)
                .ok_or_else(|| {
                    AppError::invalid(
                        "unknown_account_status",
                        format!("アカウントの状態 `{s}` は不明です（active、suspended、disabled、deleted のいずれか）"),
                        format!("unknown account status `{s}`: active, suspended, disabled or deleted"),
                    )
                })?
                .as_str()
                .to_string(),
        ),
    };
    let text = q.q.trim();
    let id = store::console::plain(text);
    Ok(PeopleFilter {
        name: search::query_term(text),
        id: (!id.is_empty() && !id.chars().any(char::is_whitespace)).then_some(id),
        department: Some(q.department.trim().to_string()).filter(|d| !d.is_empty()),
        account_status: status,
        within: match &reader.scope {
            Scope::All => None,
            Scope::Departments(d) => Some(d.clone()),
        },
    })
}

/// One page of people matching `q`, as `reader` may see them.
pub async fn search(app: &App, reader: &Reader, q: &Query) -> Result<Found, AppError> {
    let f = filter(q, reader)?;
    let size = app.policy.console.search_page_size;
    let page = q.page.unwrap_or(1).max(1);
    let offset = i64::from(page - 1) * i64::from(size);
    app.db(move |c| {
        let mut people = store::console::search(c, &f, offset, i64::from(size))?;
        let has_next = people.len() > size as usize;
        people.truncate(size as usize);
        let ids: Vec<String> = people.iter().map(|p| p.id.clone()).collect();
        let accounts = store::console::accounts_of(c, &ids)?;
        let rows = people
            .into_iter()
            .map(|p| PersonRow {
                accounts: accounts
                    .iter()
                    .filter(|a| a.person_id.as_deref() == Some(p.id.as_str()))
                    .map(|a| AccountRow {
                        login_id: a.login_id.clone(),
                        status: a.status.clone(),
                        is_privileged: a.is_privileged,
                        is_shared: a.is_shared,
                        is_vendor: a.is_vendor,
                        is_development: a.is_development,
                    })
                    .collect(),
                id: p.id,
                employee_number: p.employee_number,
                name_kanji: p.name_kanji,
                name_kana: p.name_kana,
                department: p.department_name,
                hr_status: p.status,
            })
            .collect();
        Ok(Found { people: rows, page, page_size: size, has_next })
    })
    .await
}
