//! Periodic review at city scale: 20,000 people with 10 grants each (6 birthright roles of the
//! example policy and 4 requested ones, so a campaign reviews 80,000 items with the default
//! `campaign_sources`, or 200,000 with birthright added), four privileged holders with 2,000 past
//! elevations;
//! times the dormant report, the privileged report and the creation of a city-wide campaign.
//!
//! cargo bench --bench review -- <sqlite|postgres> [people] [runs] [all]
//!
//! `all` adds `birthright` to `review.campaign_sources` (every grant becomes an item). PostgreSQL
//! comes from TOBIRA_TEST_PG_URL (a scratch database is created and dropped). Prints one line per
//! run and the medians.
#![allow(clippy::disallowed_methods)] // a benchmark measures on the real clock
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly on a broken setup (production code may not)

#[path = "support/scratch.rs"]
mod scratch;

use diesel::prelude::*;
use scratch::Scratch;
use std::time::Instant;
use tobira::app::review::{campaign, reports};
use tobira::store::{self, PoolOptions};
use tobira_domain::review::campaign::Scope;

const EXTRA_ROLES: [&str; 4] = ["bench.clerk1", "bench.clerk2", "bench.clerk3", "bench.clerk4"];
const BIRTHRIGHT: [&str; 6] =
    ["juki.clerk", "zeimu.clerk", "bunsho.user", "bunsho.approver", "groupware.user", "denshi-shinsei.clerk"];

fn policy_dir(all_sources: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/policies")).unwrap() {
        let p = e.unwrap().path();
        let mut text = std::fs::read_to_string(&p).unwrap();
        if p.ends_with("roles.toml") {
            for r in EXTRA_ROLES {
                text.push_str(&format!("\n[[roles]]\nid = \"{r}\"\nsystem = \"groupware\"\nname = \"ベンチ用 {r}\"\n"));
            }
        }
        if all_sources && p.ends_with("review.toml") {
            text = text.replace(
                "campaign_sources = [\"request\", \"delegate\", \"bootstrap\"]",
                "campaign_sources = [\"birthright\", \"request\", \"delegate\", \"bootstrap\"]",
            );
        }
        std::fs::write(dir.path().join(p.file_name().unwrap()), text).unwrap();
    }
    dir
}

fn seed(c: &mut store::DbConnection, people: usize, now: i64) {
    store::write_tx(c, |c| {
        diesel::sql_query(format!("INSERT INTO departments (code, name, updated_at) VALUES ('shimin', '市民課', {now})")).execute(c)?;
        for chunk in (0..people).collect::<Vec<_>>().chunks(500) {
            let mut p = Vec::new();
            let mut d = Vec::new();
            let mut a = Vec::new();
            let mut g = Vec::new();
            for &i in chunk {
                let en = format!("{:06}", 100_000 + i);
                let head = i % 50 == 0;
                p.push(format!("('p{i}', '{en}', '職員 {i}', 'ショクイン', 'regular', 'active', {head}, '市民課', {now})"));
                d.push(format!("('p{i}', 'shimin', 'primary')"));
                // A quarter never signed in or not for a long time: dormant candidates.
                let last = if i % 4 == 0 { "NULL".to_string() } else { (now - (i as i64 % 200) * 86_400_000).to_string() };
                a.push(format!("('a{i}', '{en}', 'p{i}', 'active', {now}, {}, false, false, false, false, false, {last})", now - 400 * 86_400_000));
                for (k, r) in BIRTHRIGHT.iter().enumerate() {
                    g.push(format!("('g{i}-{k}', 'a{i}', '{r}', 'birthright', {now}, {now})"));
                }
                for (k, r) in EXTRA_ROLES.iter().enumerate() {
                    g.push(format!("('g{i}-r{k}', 'a{i}', '{r}', 'request', {now}, {now})"));
                }
            }
            diesel::sql_query(format!("INSERT INTO people (id, employee_number, name_kanji, name_kana, employment_type, status, is_head_of_section, department_name, updated_at) VALUES {}", p.join(","))).execute(c)?;
            diesel::sql_query(format!("INSERT INTO person_departments (person_id, department_code, membership) VALUES {}", d.join(","))).execute(c)?;
            diesel::sql_query(format!(
                "INSERT INTO accounts (id, login_id, person_id, status, status_since, created_at, must_change_password, is_privileged, is_shared, is_vendor, is_development, last_login_at) VALUES {}",
                a.join(",")
            ))
            .execute(c)?;
            for gc in g.chunks(2000) {
                diesel::sql_query(format!("INSERT INTO grants (id, account_id, role_id, source, valid_from, created_at) VALUES {}", gc.join(","))).execute(c)?;
            }
        }
        // Privileged IDs: two eligible holders for each of juki.admin and zeimu.admin, and 2,000
        // past elevations among them (the privileged report reads every one).
        let mut el = Vec::new();
        for (h, (role, system)) in [("juki.admin", "juki"), ("juki.admin", "juki"), ("zeimu.admin", "zeimu"), ("zeimu.admin", "zeimu")].into_iter().enumerate() {
            diesel::sql_query(format!(
                "INSERT INTO accounts (id, login_id, person_id, status, status_since, created_at, must_change_password, is_privileged, is_shared, is_vendor, is_development, last_login_at) VALUES ('pa{h}', 'p-{:06}', 'p{h}', 'active', {now}, {now}, false, true, false, false, false, {now})",
                100_000 + h
            ))
            .execute(c)?;
            diesel::sql_query(format!("INSERT INTO privileged_eligibility (id, account_id, role_id, system_id, granted_by, reason, created_at) VALUES ('pe{h}', 'pa{h}', '{role}', '{system}', '900011', 'bench', {now})")).execute(c)?;
            for k in 0..500 {
                let at = now - k * 3_600_000;
                el.push(format!("('el{h}-{k}', 'pa{h}', '{role}', '{system}', 60, 'maintenance', 'T-{k}', false, false, 'ended', {at}, {at}, '900011', {at}, {at}, {}, 'expired')", at + 3_600_000));
            }
        }
        for chunk in el.chunks(500) {
            diesel::sql_query(format!(
                "INSERT INTO elevations (id, account_id, role_id, system_id, minutes, reason, ticket, break_glass, review_required, status, requested_at, lapses_at, decided_by, decided_at, starts_at, ends_at, ended_reason) VALUES {}",
                chunk.join(",")
            ))
            .execute(c)?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .unwrap();
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let backend = args.first().map(String::as_str).unwrap_or("sqlite").to_string();
    let people: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let runs: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    let all = args.get(3).is_some_and(|a| a == "all");

    let scratch = Scratch::new(&backend);
    let url = scratch.url.clone();
    let pdir = policy_dir(all);
    let policy = tobira::app::policy::read_dir(pdir.path()).unwrap_or_else(|e| panic!("{e}"));
    let pool = store::connect(
        &url,
        &PoolOptions { max_size: 4, connect_timeout: std::time::Duration::from_secs(10), busy_timeout_ms: 30_000 },
    )
    .unwrap();
    let mut c = pool.get().unwrap();
    store::migrate(&mut c).unwrap();
    let now = tobira_domain::time_util::to_millis(time::OffsetDateTime::now_utc());
    tobira::app::policy::record(&mut c, &policy, now).unwrap();
    let t = Instant::now();
    seed(&mut c, people, now);
    // Fresh tables have no statistics; PostgreSQL's autovacuum (and an operator's ANALYZE on
    // SQLite) would have gathered them on a city's database, so the bench does the same.
    diesel::sql_query("ANALYZE").execute(&mut *c).unwrap();
    let grants: i64 = store::schema::grants::table.count().get_result(&mut *c).unwrap();
    eprintln!("{backend}: seeded {people} people, {grants} grants in {:.2} s", t.elapsed().as_secs_f64());

    let (mut dormant, mut privileged, mut create) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..=runs {
        let t = Instant::now();
        let d = reports::dormant(&mut c, &policy, now).unwrap();
        let td = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let p = tobira::app::privileged::report::build(&mut c, &policy, now).unwrap();
        let tp = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let made = campaign::create(&mut c, &policy, &Scope::City, "bench", None, now + run as i64).unwrap();
        let tc = t.elapsed().as_secs_f64();
        store::review::close_campaign(&mut c, &made.id, now).unwrap();
        println!(
            "run {run}: dormant {} rows {td:.3} s; privileged {} elevations {tp:.3} s; city-wide campaign {} items {tc:.3} s{}",
            d.rows.len(),
            p["elevations"].as_array().map_or(0, |s| s.len()),
            made.items,
            if run == 0 { " (warm-up)" } else { "" }
        );
        if run > 0 {
            dormant.push(td);
            privileged.push(tp);
            create.push(tc);
        }
    }
    println!(
        "{backend} medians of {runs}: dormant report {:.3} s, privileged report {:.3} s, city-wide campaign {:.3} s",
        median(&mut dormant),
        median(&mut privileged),
        median(&mut create)
    );
    drop(c);
    drop(pool);
    if std::env::var_os("TOBIRA_BENCH_KEEP").is_none() {
        scratch.drop_database();
    }
}
