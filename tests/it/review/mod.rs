//! Periodic review on a running tobira (SQLite and PostgreSQL, fixed clock): dormant IDs noticed,
//! suspended and restored; a recertification campaign from creation to its deadline with keep,
//! remove and undecided items and self-review refused; the exceptions register with expiry; who
//! reads what (auditor, 所属長, audit-usage search); log findings; `/metrics`; the compliance report.
//! One submodule per behaviour; shared helpers in `harness::review`.

mod accounts;
mod campaigns;
mod exceptions;
mod oversight;
