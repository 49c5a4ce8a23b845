//! Test fixtures shared by several test modules (beyond `support`, the database and process harness).

pub(crate) mod hr;
pub(crate) mod oidc;
pub(crate) mod review;
