#!/usr/bin/env bash
# The operator's console at city scale (issue 21): N people (default 20,000) loaded by a real HR
# sync from a real slapd (accounts, birthright grants, 40 departments, varied Japanese names), plus
# M audit records (default 10,000,000) spread evenly over the past year, then `tobira serve` driven
# with wrk as the 統括情報セキュリティ責任者 (a security officer who may also search a person's usage):
#
#   search-page   /console/people?q=…        kanji, hiragana, half-width kana, romaji (Hepburn,
#                                            long vowels), partial names, employee-number prefixes,
#                                            a department alone or with a name, a name nobody has
#   search-api    /api/console/people?q=…    the same queries as JSON
#   person-page   /console/people/{id}       500 different people
#   audit-page    /console/audit?person=…&from=…&to=…&reason=…   one person's month (every request
#                                            also appends its own audit.read record)
#
#   benches/console.sh [sqlite|postgres] [PEOPLE] [AUDIT_RECORDS] [CONNECTIONS] [DURATION]
#   KEEP=1 benches/console.sh ...            keep the seeded city (and its PostgreSQL database)
#   REUSE=DIR benches/console.sh BACKEND ... measure again on a kept city (no seeding)
#   KEEP=1 SEED_ONLY=1 benches/console.sh ...  seed and keep, measure later
#   TARGETS="person-page audit-page" ...       only these targets
#   COLD=1 ...                                 do not read the database into the page cache first
#
# For each target: a 3 s warm-up (discarded), then `wrk -t2 -cCONNECTIONS -dDURATION --latency`.
# The audit records are bulk-inserted with SQL in the store's row format (seq, time, actor, action,
# target, outcome, source address, request id, details, hashes) with the audit indexes dropped and
# made again afterwards: their hashes are random, so the chain does NOT verify (a read benchmark
# does not need it to). PostgreSQL gets ANALYZE after the load (autovacuum would do the same);
# SQLite does not (tobira never runs ANALYZE on SQLite, so neither does the bench).
# The session is a row in `sessions` (password + TOTP proved, like a real sign-in's), the cookie
# its token; its account holds tobira.chief_security_officer.
#
# Needs slapd, ldap-utils, wrk, curl, python3, a release build (cargo build --release; TOBIRA_BIN
# overrides), for postgres TOBIRA_TEST_PG_URL (a scratch database is created and dropped) and
# about 6 GB of free disk for 10 million records.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
n=${2:-20000}
records=${3:-10000000}
conns=${4:-8}
duration=${5:-15s}
per_person=${PER_PERSON:-500}   # audit records per person and year (10 million over 20,000 people)
bin=${TOBIRA_BIN:-${CARGO_TARGET_DIR:-target}/release/tobira}
port=${PORT:-3902}
work=$(mktemp -d /tmp/tobira-console-bench.XXXXXX)
. benches/support/city.sh
cleanup() {
  [ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  kill $(cat "$work/slapd.pid" 2>/dev/null) 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "kept $work (REUSE=$work benches/console.sh $backend ... runs on it again${pgdb:+; drop database $pgdb when done})"
  else city_cleanup; rm -rf "$work"; fi
}
trap cleanup EXIT

echo "console bench: backend $backend, $n people, $records audit records, wrk -c$conns -d$duration, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${REUSE:-}" ]; then
  # A city seeded by an earlier run with KEEP=1: the same data, another binary or another run.
  rm -rf "$work"; work=$REUSE; KEEP=1
  . "$work/env"
  token=$(cat "$work/token")
  actors=$(cat "$work/actors")
else
seed_city() {
city_slapd "$n"
city_env "$backend"
sed -i 's/^every_seconds = [0-9]*/every_seconds = 0/' "$work/policies/directory.toml"   # no HR sync while measuring
t0=$(date +%s.%N)
"$bin" sync >/dev/null 2>"$work/sync.err" || { echo "sync failed: $(tail -3 "$work/sync.err")"; exit 1; }
printf 'HR sync of %s people: %.1f s\n' "$n" "$(echo "$(date +%s.%N) - $t0" | bc -l)"

# The reader: employee 200001's account, made 統括情報セキュリティ責任者.
now=$(($(date +%s) * 1000))
officer=$(city_sql "SELECT a.id FROM accounts a JOIN people p ON p.id = a.person_id WHERE p.employee_number = '200001'")
city_sql "INSERT INTO grants (id, account_id, role_id, source, valid_from, created_at) VALUES ('bench-cso', '$officer', 'tobira.chief_security_officer', 'bootstrap', 0, $now)" >/dev/null
city_sql "UPDATE accounts SET must_change_password = false WHERE id = '$officer'" >/dev/null   # as after their first sign-in
token=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
echo "$token" > "$work/token"
digest=$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)
factors="[{\"method\":\"password\",\"kinds\":[\"knowledge\"],\"at\":$now},{\"method\":\"totp\",\"credential\":\"bench\",\"kinds\":[\"possession\"],\"at\":$now}]"
city_sql "INSERT INTO sessions (id, account_id, created_at, last_seen_at, expires_at, factors, privileged) VALUES ('$digest', '$officer', $now, $now, $((now + 36000000)), '$factors', false)" >/dev/null

# The audit records: each of the people's logins in turn (a stride coprime to N, so each person's
# records are spread over the whole year), one every year/M milliseconds, ending a day ago.
base=$(city_sql "SELECT COALESCE(MAX(seq), 0) FROM audit_events")
actors=$(( records / per_person < n ? records / per_person : n ))
echo "$actors" > "$work/actors"
step=$((31536000000 / records))
start=$((now - 86400000 - step * records))
t0=$(date +%s.%N)
indexes="audit_events_action ON audit_events (action, seq)
audit_events_target ON audit_events (target, seq)
audit_events_actor ON audit_events (actor, seq)
audit_events_occurred ON audit_events (occurred_at, seq)
audit_events_source ON audit_events (source_ip, seq)"
# Per person, record k of the year is round k = n / actors: the action, outcome and actor vary by round.
actions="CASE (n / $actors) % 10 WHEN 0 THEN 'auth.sign_in_failed' WHEN 1 THEN 'auth.sign_out' WHEN 2 THEN 'token.issued' WHEN 3 THEN 'oidc.code_issued' WHEN 4 THEN 'auth.step_up' WHEN 5 THEN 'token.issued' ELSE 'auth.sign_in' END"
if [ "$backend" = postgres ]; then
  {
    echo "\\set ON_ERROR_STOP 1"
    while read -r def; do echo "DROP INDEX ${def%% ON *};"; done <<<"$indexes"
    cat <<SQL
CREATE TEMP TABLE l AS SELECT (row_number() OVER (ORDER BY p.employee_number) - 1)::bigint AS i, a.login_id AS login FROM accounts a JOIN people p ON p.id = a.person_id ORDER BY p.employee_number LIMIT $actors;
CREATE UNIQUE INDEX ON l (i);
INSERT INTO audit_events (seq, occurred_at, actor, action, target, outcome, source_ip, request_id, details, prev_hash, hash)
SELECT $base + n + 1, $start + n * $step, CASE WHEN (n / $actors) % 20 = 19 THEN 'system' ELSE l.login END, $actions,
  'account:' || l.login, CASE WHEN (n / $actors) % 10 = 0 THEN 'failure' ELSE 'success' END,
  '10.' || (n % 7) || '.' || (n % 251) || '.' || (n % 13 + 1), md5(n::text),
  '{"methods":["password","totp"],"session":"' || substr(md5((n * 31)::text), 1, 16) || '"}',
  md5(n::text) || md5((n + 1)::text), md5((n + 1)::text) || md5(n::text)
FROM generate_series(0::bigint, $records - 1) AS n JOIN l ON l.i = (n * 7919) % (SELECT count(*) FROM l);
SQL
    while read -r def; do echo "CREATE INDEX $def;"; done <<<"$indexes"
    echo "ANALYZE;"
  } | psql -q "$TOBIRA__DATABASE__URL"
else
  python3 - "$work/data/tobira.db" "$base" "$start" "$step" "$records" "$actors" "$indexes" "$actions" <<'PY'
import sqlite3, sys
db, base, start, step, records, actors, indexes, actions = sys.argv[1], *map(int, sys.argv[2:7]), sys.argv[7], sys.argv[8]
c = sqlite3.connect(db, timeout=30)
c.execute("PRAGMA journal_mode=DELETE")   # a bulk load of new pages: no 3 GB write-ahead log to copy back
c.execute("PRAGMA synchronous=OFF")
for d in indexes.splitlines():
    c.execute("DROP INDEX " + d.split(" ON ")[0])
c.execute("CREATE TEMP TABLE l (i INTEGER PRIMARY KEY, login TEXT NOT NULL)")
c.execute(f"INSERT INTO l SELECT row_number() OVER (ORDER BY p.employee_number) - 1, a.login_id FROM accounts a JOIN people p ON p.id = a.person_id ORDER BY p.employee_number LIMIT {actors}")
cnt = c.execute("SELECT count(*) FROM l").fetchone()[0]
c.execute(f"""WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < {records} - 1)
INSERT INTO audit_events (seq, occurred_at, actor, action, target, outcome, source_ip, request_id, details, prev_hash, hash)
SELECT {base} + n + 1, {start} + n * {step}, CASE WHEN (n / {actors}) % 20 = 19 THEN 'system' ELSE l.login END, {actions},
  'account:' || l.login, CASE WHEN (n / {actors}) % 10 = 0 THEN 'failure' ELSE 'success' END,
  '10.' || (n % 7) || '.' || (n % 251) || '.' || (n % 13 + 1), lower(hex(randomblob(16))),
  '{{"methods":["password","totp"],"session":"' || lower(hex(randomblob(8))) || '"}}',
  lower(hex(randomblob(32))), lower(hex(randomblob(32)))
FROM s JOIN l ON l.i = (n * 7919) % {cnt}""")
c.commit()
for d in indexes.splitlines():
    c.execute("CREATE INDEX " + d)
c.commit()
c.execute("PRAGMA journal_mode=WAL")
PY
fi
printf 'audit records loaded: %s in %.0f s (database %s)\n' "$(city_sql "SELECT count(*) FROM audit_events")" "$(echo "$(date +%s.%N) - $t0" | bc -l)" \
  "$([ "$backend" = postgres ] && city_sql "SELECT pg_size_pretty(pg_database_size(current_database()))" || du -sh "$work/data" | cut -f1)"

# The requests.
python3 - "$work" "$n" "$now" "$actors" <<'PY'
import sys, urllib.parse, random, datetime
work, n, now, actors = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) // 1000, int(sys.argv[4])
random.seed(21)
q = lambda s: urllib.parse.quote(s, safe="")
names = ["佐藤", "さとう", "ｻﾄｳ", "Satou", "sato", "鈴木", "すずき", "suzuki", "高橋", "takahashi", "髙橋 京子", "たかはし きょうこ",
         "山崎", "やまさき", "Yamazaki", "長谷川", "hasegawa", "佐藤 花子", "さとうはなこ", "Sato Hanako", "ホンマ", "homma", "honma",
         "藤", "田", "ゆうこ", "yuko", "ショウタ", "ｼｮｳﾀ", "2001", "20123", "219", "本間 翔太", "キヨウコ", "渡邉", "watanabe", "存在しない名前", "zzzz"]
depts = ["shimin", "zeimu", "somu"] + [f"d{i:02}" for i in range(37)]
search = [f"q={q(s)}" for s in names] + [f"q=&department={d}" for d in depts[:8]] + [f"q={q(s)}&department={random.choice(depts)}" for s in names[:12]]
search += [f"q={q(s)}&page=2" for s in ("佐藤", "たなか", "ito")] + ["q=&status=active", "q=%E4%BD%90&status=active"]
open(f"{work}/search-page.txt", "w").write("\n".join("/console/people?" + s for s in search) + "\n")
open(f"{work}/search-api.txt", "w").write("\n".join("/api/console/people?" + s for s in search) + "\n")
today = datetime.date.fromtimestamp(now)
months = []
for k in range(1, 12):
    y, m = today.year, today.month - k
    while m < 1: y, m = y - 1, m + 12
    first = datetime.date(y, m, 1)
    last = (datetime.date(y + (m == 12), m % 12 + 1, 1) - datetime.timedelta(days=1))
    months.append((first.isoformat(), last.isoformat()))
audit = []
for _ in range(500):
    en = 200000 + random.randrange(actors)
    f, t = random.choice(months)
    audit.append(f"/console/audit?person={en}&from={f}&to={t}&reason={q('監査 bench')}")
open(f"{work}/audit-page.txt", "w").write("\n".join(audit) + "\n")
PY
# 500 people among those with audit records.
city_sql "SELECT id FROM people WHERE employee_number < '$((200000 + actors))' ORDER BY employee_number" | awk -v n="$actors" 'NR % int(n / 500 + 1) == 0 { print "/console/people/" $1 }' > "$work/person-page.txt"

}
seed_city
  printf 'export TOBIRA__DATA_DIR=%q TOBIRA__POLICY_DIR=%q TOBIRA__DATABASE__URL=%q TOBIRA__LOG__LEVEL=warn city_backend=%q pgdb=\n' "$TOBIRA__DATA_DIR" "$TOBIRA__POLICY_DIR" "$TOBIRA__DATABASE__URL" "$backend" > "$work/env"
fi
[ -z "${SEED_ONLY:-}" ] || exit 0   # KEEP=1 SEED_ONLY=1: seed now, measure later with REUSE
# The database in the OS page cache, as on a server that has been serving for a while (COLD=1 skips
# this: then the first reads of each person's scattered records go to the disk, and with 500 people
# and 500 months the 3 s warm-up does not cover them; the figures are then the disk's).
if [ -z "${COLD:-}" ]; then
  if [ "$city_backend" = postgres ]; then
    datadir=$(city_sql "SHOW data_directory")
    for rel in $(city_sql "SELECT pg_relation_filepath(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')"); do
      cat "$datadir/$rel"* >/dev/null 2>&1 || true
    done
  else
    cat "$work/data/tobira.db" >/dev/null
  fi
  echo "database read into the page cache (COLD=1 skips this)"
fi
# The session as if just signed in (seeding takes minutes; the idle time-out would end it).
now=$(($(date +%s) * 1000))
factors="[{\"method\":\"password\",\"kinds\":[\"knowledge\"],\"at\":$now},{\"method\":\"totp\",\"credential\":\"bench\",\"kinds\":[\"possession\"],\"at\":$now}]"
city_sql "UPDATE sessions SET created_at = $now, last_seen_at = $now, expires_at = $((now + 36000000)), factors = '$factors', revoked_at = NULL, revoked_reason = NULL WHERE id = '$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)'" >/dev/null
TOBIRA__HTTP__BIND="127.0.0.1:$port" "$bin" serve >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 600); do curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
for kind in search-page search-api person-page audit-page; do
  p=$(head -1 "$work/$kind.txt")
  code=$(curl -s -o "$work/check.html" -w "%{http_code} %{redirect_url}" -H "Cookie: __Host-tobira_session=$token" "http://127.0.0.1:$port$p")
  [ "${code%% *}" = 200 ] || { echo "$kind: $p answered $code: $(head -c 300 "$work/check.html")"; exit 1; }
done
echo "serve: pid $serve_pid, RSS $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$serve_pid/status) before the runs"

for kind in ${TARGETS:-search-page search-api person-page audit-page}; do
  PATHS="$work/$kind.txt" COOKIE="$token" wrk -t2 -c"$conns" -d3s -s benches/console/requests.lua "http://127.0.0.1:$port" >/dev/null
  load=$(cut -d' ' -f1 /proc/loadavg)
  r=$(PATHS="$work/$kind.txt" COOKIE="$token" wrk -t2 -c"$conns" -d"$duration" --latency -s benches/console/requests.lua "http://127.0.0.1:$port" | tee "$work/$kind.wrk" | grep '^RESULT')
  printf '%-12s %-8s %s load1=%s\n' "$kind" "$backend" "${r#RESULT }" "$load"
done
echo "serve: peak RSS $(awk '/VmHWM/ {print $2/1024 " MB"}' /proc/$serve_pid/status)"
