//! Vendor contracts as the contract register last stated them (R-LC-12), and the confirmation that
//! the information handed to a vendor was returned or erased at the contract's end (R-LC-13).
//!
//! Invariant: a contract that leaves the register keeps its row (the vendors report and the record
//! of its return still refer to it); only the register's own fields are rewritten by a sync.

use super::schema::contracts;
use super::{DbConnection, StoreError};
use diesel::prelude::*;
use tobira_domain::audit::AuditEvent;
use tobira_domain::contracts::Contract;
use tobira_domain::lifecycle::applied;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = contracts)]
pub struct ContractRow {
    pub number: String,
    pub vendor: String,
    pub start_date: Option<String>,
    pub end_date: String,
    pub parent: Option<String>,
    pub updated_at: i64,
    pub return_confirmed_at: Option<i64>,
    pub return_confirmed_by: Option<String>,
    pub return_note: Option<String>,
}

/// Stores the register's contracts that are new or changed; one `contract.saved` event each.
pub fn save(
    conn: &mut DbConnection,
    register: &[Contract],
    now: i64,
    actor: &str,
) -> Result<Vec<AuditEvent>, StoreError> {
    let mut events = Vec::new();
    for c in register {
        let (start, end) = (c.start.map(|d| d.to_string()), c.end.to_string());
        let fields = (
            contracts::vendor.eq(&c.vendor),
            contracts::start_date.eq(&start),
            contracts::end_date.eq(&end),
            contracts::parent.eq(&c.parent),
            contracts::updated_at.eq(now),
        );
        let old = by_number(conn, &c.number)?;
        match &old {
            Some(o) if (&o.vendor, &o.start_date, &o.end_date, &o.parent) == (&c.vendor, &start, &end, &c.parent) => {
                continue
            }
            Some(_) => diesel::update(contracts::table.find(&c.number)).set(fields).execute(conn)?,
            None => {
                diesel::insert_into(contracts::table).values((contracts::number.eq(&c.number), fields)).execute(conn)?
            }
        };
        events.push(applied::contract_event(actor, c, old.as_ref().map(|o| o.end_date.clone()), old.is_none()));
    }
    Ok(events)
}

pub fn by_number(conn: &mut DbConnection, number: &str) -> Result<Option<ContractRow>, StoreError> {
    Ok(contracts::table.find(number).select(ContractRow::as_select()).first(conn).optional()?)
}

pub fn all(conn: &mut DbConnection) -> Result<Vec<ContractRow>, StoreError> {
    Ok(contracts::table.order(contracts::number.asc()).select(ContractRow::as_select()).load(conn)?)
}

/// Records the confirmation of the return or erasure of information; false when already recorded.
pub fn confirm_return(
    conn: &mut DbConnection,
    number: &str,
    by: &str,
    note: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let n = diesel::update(contracts::table.find(number).filter(contracts::return_confirmed_at.is_null()))
        .set((
            contracts::return_confirmed_at.eq(now),
            contracts::return_confirmed_by.eq(by),
            contracts::return_note.eq(note),
        ))
        .execute(conn)?;
    Ok(n == 1)
}
