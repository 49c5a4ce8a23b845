//! One review run (`tobira review run`, and every `review.every_minutes` inside `serve`, once per
//! period across the nodes and never two at a time, by leases): the dormant sweep, the HR
//! cross-check against the directory, scheduled, self-inspection and transfer campaigns, deadlines,
//! exception expiry and the log analysis. A step that fails is reported and the others still run;
//! each step commits whole or not at all.

use super::{campaign, dormant, exceptions, findings};
use crate::app::audit_log::Exporter;
use crate::app::{sync, App, AppError};
use crate::config::Config;
use crate::store::{self, DbConnection, DbPool};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Arc;
use tobira_domain::policy::Policy;

/// What a run needs: `serve` hands over its [`App`]'s parts, `tobira review run` its own.
#[derive(Clone)]
pub struct Ctx {
    pub pool: DbPool,
    pub policy: Arc<Policy>,
    pub config: Arc<Config>,
    pub exporter: Arc<Exporter>,
}

impl Ctx {
    pub fn of(app: &App) -> Ctx {
        Ctx {
            pool: app.pool.clone(),
            policy: app.policy.clone(),
            config: app.config.clone(),
            exporter: app.audit.exporter_arc(),
        }
    }

    async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        crate::app::on_pool(&self.pool, f).await
    }
}

pub const JOB: &str = "review";
/// The lease that lets one scheduled run through per `review.every_minutes` across the nodes.
const SCHEDULE: &str = "review-schedule";
/// How long a run may hold the run lease before another may take it over (a node that died).
const RUN_LEASE_MS: i64 = 30 * 60_000;

#[derive(Debug, Default, Clone, Serialize, utoipa::ToSchema)]
pub struct RunReport {
    pub dormant: dormant::Sweep,
    /// Whether the HR directory was read for the cross-check.
    pub directory_checked: bool,
    pub hr_findings: usize,
    pub campaigns_started: usize,
    pub transfer_reviews: usize,
    pub self_inspections: usize,
    pub deadlines: campaign::Deadlines,
    pub exceptions_expired: usize,
    pub log_findings: usize,
    /// Steps that failed, with their error (no secrets: errors name the step and the cause).
    pub errors: Vec<String>,
}

/// The employee numbers in the HR directory now, when one is configured and answers completely.
async fn directory_numbers(app: &Ctx) -> Result<Option<HashSet<String>>, AppError> {
    if app.config.directory.url.is_empty() || app.policy.directory.is_none() {
        return Ok(None);
    }
    let raw = sync::read(&app.config.directory, &app.policy, &sync::ReadMode::Full).await?;
    let checked = sync::check(&raw, &app.policy)?;
    if !checked.snapshot.complete {
        return Err(AppError::Directory("the read was cut short; the cross-check needs a complete read".into()));
    }
    let mut numbers: HashSet<String> = checked.snapshot.people.into_iter().map(|p| p.employee_number).collect();
    numbers.extend(checked.snapshot.problems.into_iter().filter_map(|p| p.employee_number));
    Ok(Some(numbers))
}

/// A run asked for by an officer (not the schedule), under a node name of its own.
pub async fn run_now(app: &Ctx, now: i64) -> Result<Option<RunReport>, AppError> {
    run(app, &format!("http-{}", crate::store::new_id()), now, false).await
}

/// Runs every step once. A scheduled run first takes the period's lease (one per period across the
/// nodes); every run takes the run lease `review` for its duration, so two never overlap. `None`
/// when another node holds either.
pub async fn run(app: &Ctx, node: &str, now: i64, scheduled: bool) -> Result<Option<RunReport>, AppError> {
    let period = i64::from(app.policy.review.every_minutes.max(1)) * 60_000;
    let holder = node.to_string();
    let got = app
        .db(move |c| {
            Ok(store::write_tx(c, |c| {
                if scheduled && !store::leases::try_acquire(c, SCHEDULE, &holder, now, period)? {
                    return Ok(false);
                }
                store::leases::try_acquire(c, JOB, &holder, now, RUN_LEASE_MS)
            })?)
        })
        .await?;
    if !got {
        return Ok(None);
    }
    let report = steps(app, now).await;
    let holder = node.to_string();
    app.db(move |c| Ok(store::write_tx(c, |c| store::leases::release(c, JOB, &holder))?)).await?;
    Ok(Some(report))
}

async fn steps(app: &Ctx, now: i64) -> RunReport {
    let mut report = RunReport::default();
    let policy = app.policy.clone();
    macro_rules! step {
        ($name:literal, $e:expr) => {
            match $e {
                Ok(v) => Some(v),
                Err(e) => {
                    tracing::error!(job = JOB, step = $name, error = %e, "review step failed");
                    report.errors.push(format!("{}: {}", $name, e));
                    None
                }
            }
        };
    }
    let p = policy.clone();
    if let Some(s) = step!("dormant", app.db(move |c| dormant::sweep(c, &p, now)).await) {
        report.dormant = s;
    }
    let numbers = step!("directory", directory_numbers(app).await).flatten();
    report.directory_checked = numbers.is_some();
    let (p, today) = (policy.clone(), jst_day(now));
    if let Some((n, _)) =
        step!("hr_cross_check", app.db(move |c| findings::hr_cross_check(c, &p, numbers.as_ref(), &today, now)).await)
    {
        report.hr_findings = n;
    }
    let p = policy.clone();
    if let Some(n) = step!("scheduled_campaigns", app.db(move |c| campaign::scheduled(c, &p, now)).await) {
        report.campaigns_started = n;
    }
    let p = policy.clone();
    if let Some(n) = step!("transfer_reviews", app.db(move |c| campaign::transfer_reviews(c, &p, now)).await) {
        report.transfer_reviews = n;
    }
    let p = policy.clone();
    if let Some(n) = step!("self_inspections", app.db(move |c| campaign::self_inspections(c, &p, now)).await) {
        report.self_inspections = n;
    }
    let (p, url) = (policy.clone(), app.config.http.public_url.clone());
    if let Some(d) = step!("deadlines", app.db(move |c| campaign::deadlines(c, &p, &url, now)).await) {
        report.deadlines = d;
    }
    let p = policy.clone();
    if let Some(n) = step!("exceptions", app.db(move |c| exceptions::expire(c, &p, now)).await) {
        report.exceptions_expired = n;
    }
    let p = policy.clone();
    if let Some((n, _)) = step!("log_analysis", app.db(move |c| findings::analyse(c, &p, now)).await) {
        report.log_findings = n;
    }
    // Every record of the run (and any before it) goes to the sinks.
    let ex = app.exporter.clone();
    step!("audit_export", app.db(move |c| Ok(ex.catch_up(c)?)).await);
    report
}

/// `YYYYMMDD` of `now` in JST.
pub fn jst_day(now: i64) -> String {
    let t = tobira_domain::time_util::from_millis(now).to_offset(time::macros::offset!(+9));
    format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day())
}
