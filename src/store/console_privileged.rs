//! The console's list of privileged and development accounts (R-PR-01, R-PR-09): each with its
//! holder (the person behind it) and, for a development account, its record (responsible member of
//! staff, worker, reason).

use super::accounts::Account;
use super::privileged::DevelopmentId;
use super::schema::{accounts, development_ids as dev, people};
use super::{DbConnection, StoreError};
use diesel::prelude::*;

/// A privileged or development account as the console lists it.
#[derive(Debug, Clone)]
pub struct Listed {
    pub account: Account,
    /// The holder: (employee number, name in kanji).
    pub holder: Option<(String, String)>,
    pub development: Option<DevelopmentId>,
}

/// A row as loaded: the account, its holder, its development record.
type Row = (Account, Option<(String, String)>, Option<DevelopmentId>);

/// Every privileged or development account, by login ID; at most `limit`.
pub fn privileged_and_development(c: &mut DbConnection, limit: i64) -> Result<Vec<Listed>, StoreError> {
    let rows: Vec<Row> = accounts::table
        .left_join(people::table.on(people::id.nullable().eq(accounts::person_id)))
        .left_join(dev::table.on(dev::account_id.eq(accounts::id)))
        .filter(accounts::is_privileged.eq(true).or(accounts::is_development.eq(true)))
        .order(accounts::login_id)
        .limit(limit)
        .select((
            Account::as_select(),
            (people::employee_number, people::name_kanji).nullable(),
            Option::<DevelopmentId>::as_select(),
        ))
        .load(c)?;
    Ok(rows.into_iter().map(|(account, holder, development)| Listed { account, holder, development }).collect())
}
