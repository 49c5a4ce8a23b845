//! tobira's integration tests: one binary, a module per area. Store tests run on SQLite and on
//! PostgreSQL (`TOBIRA_TEST_PG_URL`; each test gets its own database).

// The suite drives real servers on the real clock (domain rules are tested on a fixed one).
#![allow(clippy::disallowed_methods)]
// Helpers outside #[test] functions unwrap too: a failed setup fails the test, loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;
mod support;

mod access_requests;
mod access_requests_browser;
mod api_schema;
mod attestation_browser;
mod audit_log;
mod audit_search;
mod audit_verify;
mod authority;
mod bootstrap;
mod browser;
mod browser_selftest;
mod cli;
mod console;
mod console_browser;
mod console_ops;
mod console_ops_browser;
mod console_privileged_forms;
mod console_provisioning;
mod eligibility_pages;
mod enrollment;
mod four_eyes;
mod hardening;
mod hr_sync;
mod hr_sync_ad;
mod hr_sync_edges;
mod hr_sync_hold;
mod hr_sync_pages;
mod idle_tokens;
mod layout;
mod layout_cycles;
mod legal_hold;
mod lockout;
mod mail;
mod officer_browser;
mod oidc;
mod oidc_rp;
mod onboarding;
mod onboarding_browser;
mod policy_check;
mod privileged;
mod privileged_browser;
mod provisioning;
mod provisioning_file;
mod provisioning_groups;
mod provisioning_oauth;
mod provisioning_paths;
mod provisioning_reconcile;
mod provisioning_schedule;
mod requirements_data;
mod requirements_evidence;
mod requirements_review;
mod requirements_sessions;
mod requirements_zone;
mod returns;
mod review;
mod review_browser;
mod review_mail;
mod scim_server;
mod serve;
mod signin;
mod signin_browser;
mod signin_records;
mod slapd;
mod sso;
mod sso_browser;
mod sso_mfa_browser;
mod store;
mod web;
