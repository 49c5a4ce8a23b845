//! The HR sync against a real slapd, through the `tobira sync` command, on both backends, one
//! submodule per behaviour. The fixture lives in `harness::hr`; it is re-exported here for the
//! other HR sync test modules.

pub(crate) use crate::harness::hr::{people, policy_with_limits, Hr, DEPARTMENTS};

mod contracts;
mod incremental;
mod runs;
mod safety;
mod sources;
