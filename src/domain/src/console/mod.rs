//! The operator's console, as rules: how a typed name is normalised so that the helpdesk finds a
//! person however the name was keyed in ([`search`]), which people a reader may see
//! ([`scope`]), and what the helpdesk may do ([`helpdesk`]).
//!
//! Invariants: pure (no I/O); the same normaliser builds the stored search key and the query, so a
//! name matches itself in every spelling the normaliser folds together.

pub mod helpdesk;
pub mod scope;
pub mod search;
