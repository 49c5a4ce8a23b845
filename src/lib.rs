//! tobira: identity lifecycle and access control for Japanese municipalities.
//!
//! The adapters around the pure rules in `tobira-domain`: storage, crypto, the HTTP server, the
//! use cases that tie them together, configuration and the CLI.

pub mod app;
pub mod config;
pub mod crypto;
pub mod directory;
pub mod http;
pub mod mail;
pub mod startup;
pub mod store;
