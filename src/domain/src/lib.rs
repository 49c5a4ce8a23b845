//! tobira-domain: the rules of tobira and nothing else.
//!
//! Invariants of this crate:
//! - no I/O: no network, database, file system or clock access; the Cargo manifest lists no I/O crate;
//! - functions are synchronous and take `now` (and any randomness) as parameters;
//! - every limit and scale comes from [`policy::Policy`], never from a constant in code.

pub mod access_request;
pub mod approval;
pub mod audit;
pub mod audit_checkpoint;
pub mod audit_hold;
pub mod authn;
pub mod catalogue;
pub mod console;
pub mod contracts;
pub mod four_eyes;
pub mod hr;
pub mod lifecycle;
pub mod oidc;
pub mod org;
pub mod policy;
pub mod privileged;
pub mod provisioning;
pub mod provisioning_sweep;
pub mod rbac;
pub mod refusal;
pub mod remote_access;
#[cfg(test)]
mod requirements_tests;
pub mod review;
#[cfg(test)]
mod test_support;
pub mod time_util;
pub mod zone;
