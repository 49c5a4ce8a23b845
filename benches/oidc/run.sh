#!/usr/bin/env bash
# Token issuance and introspection: tobira against a reference provider (panva's oidc-provider 9,
# 2-worker node cluster, reference.mjs), back to back in one run, wrk on the same machine.
#
#   benches/oidc/run.sh [--pg URL] [--reference-only | --tobira-only]
#                       [--conns "8 32 64"] [--duration 10s] [--warmup 2s]
#
# For each connection count: a warm-up (--warmup, default 2 s, discarded), then one counted
# `wrk -t2 -c$C -d$DURATION --latency` run. Measured:
#   reference  token ES256   client_credentials, ES256 JWT access tokens (FORMAT=jwt)
#   reference  introspect    RFC 7662 introspection of one opaque token (FORMAT=opaque; oidc-provider 9
#                            refuses to introspect its own JWT access tokens)
#   tobira     token ES256   client bench-es256 (access_token_alg = "ES256")
#   tobira     token EdDSA   client bench-eddsa (access_token_alg = "EdDSA")
#   tobira     introspect    one ES256 token of bench-es256, introspected by bench-es256
# tobira runs on SQLite in a fresh temporary data directory; with --pg URL also on PostgreSQL, in a
# scratch database created on that server (URL names a server where it may create databases, like
# TOBIRA_TEST_PG_URL) and dropped at the end.
#
# Needs: wrk, curl, python3, node (NODE, default `node`; the reference's node_modules are installed
# with `npm ci` when missing) and, for the tobira half, a release build: TOBIRA_BIN, default
# $CARGO_TARGET_DIR/release/tobira or target/release/tobira. Ports: REF_PORT (3900), TOBIRA_PORT
# (3901), both on 127.0.0.1. Raw wrk output and the results as TSV go to RESULTS_DIR (default a new
# directory under /tmp, kept and named at the end).
#
# Exit status: 0 when every run completed without errors; 3 when a run had non-2xx answers, socket
# errors or inactive introspection answers (the table marks them with !); 1 (with a message naming
# the step) when something failed.
set -euo pipefail

cmdline=$(printf '%q ' "$0" "$@")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

pg_url=""
halves="reference tobira"
conns="8 32 64"
duration=10s
warmup=2s
while [ $# -gt 0 ]; do
  case "$1" in
    --pg) pg_url=${2:?--pg needs a URL}; shift 2 ;;
    --pg=*) pg_url=${1#--pg=}; shift ;;
    --reference-only) halves="reference"; shift ;;
    --tobira-only) halves="tobira"; shift ;;
    --conns) conns=${2:?}; shift 2 ;;
    --duration) duration=${2:?}; shift 2 ;;
    --warmup) warmup=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

NODE=${NODE:-node}
REF_PORT=${REF_PORT:-3900}
TOBIRA_PORT=${TOBIRA_PORT:-3901}
TOBIRA_BIN=${TOBIRA_BIN:-${CARGO_TARGET_DIR:-$repo/target}/release/tobira}
REF_CLIENT_ID=bench
REF_CLIENT_SECRET=bench-secret-5f0c1e2a9b7d4c3e8a6f1b2d0c9e7a4b
RESULTS_DIR=${RESULTS_DIR:-$(mktemp -d /tmp/tobira-oidc-bench.XXXXXX)}
mkdir -p "$RESULTS_DIR"
results="$RESULTS_DIR/results.tsv"
: > "$results"

work=$(mktemp -d /tmp/tobira-oidc-work.XXXXXX)
server_pid=""
wrk_pid=""
pg_db=""

die() {
  echo >&2
  echo "run.sh: FAILED: $*" >&2
  exit 1
}

stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}

cleanup() {
  local rc=$?
  [ -n "$wrk_pid" ] && kill -TERM "$wrk_pid" 2>/dev/null
  stop_server
  if [ -n "$pg_db" ]; then
    psql -q -X "$pg_url" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 \
      || echo "run.sh: could not drop the scratch database $pg_db on $pg_url" >&2
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

need() { command -v "$1" >/dev/null 2>&1 || die "$1 is not installed${2:+ ($2)}"; }
need wrk "apt-get install -y wrk"
need curl
need python3

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_ready URL NAME LOG: until URL answers 200, while the server lives (60 s at most).
wait_ready() {
  local url=$1 name=$2 log=$3
  for _ in $(seq 600); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      tail -n 40 "$log" >&2 || true
      die "$name exited before it was ready (log above: $log)"
    fi
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$url" || true)" = 200 ] && return 0
    sleep 0.1
  done
  tail -n 40 "$log" >&2 || true
  die "$name did not answer 200 at $url within 60 s"
}

# get_token URL ID SECRET: prints the access_token of a client_credentials grant, or dies.
get_token() {
  local out code
  out=$(curl -s -w '\n%{http_code}' -u "$2:$3" -d grant_type=client_credentials "$1") || die "POST $1 failed (curl)"
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  [ "$code" = 200 ] || die "POST $1 as $2 answered $code: $out"
  python3 -c 'import json,sys; print(json.loads(sys.argv[1])["access_token"])' "$out" 2>/dev/null \
    || die "POST $1 as $2: no access_token in $out"
}

# jwt_alg TOKEN: the alg of a JWS compact token's header, or "not-a-jwt".
jwt_alg() {
  python3 - "$1" <<'PY'
import base64, json, sys
try:
    h = sys.argv[1].split(".")[0]
    print(json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))["alg"])
except Exception:
    print("not-a-jwt")
PY
}

# check_active URL ID SECRET TOKEN: dies unless introspection answers 200 with "active": true.
check_active() {
  local out code
  out=$(curl -s -w '\n%{http_code}' -u "$2:$3" --data-urlencode "token=$4" "$1") || die "POST $1 failed (curl)"
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  [ "$code" = 200 ] || die "introspection at $1 as $2 answered $code: $out"
  python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1]).get("active") is True else 1)' "$out" \
    || die "introspection at $1 as $2 did not answer active: true for a fresh token: $out"
}

errors_seen=0

# run_wrk OUT ID SECRET TOKEN WRK-ARGS...: wrk in the background, so that a signal stops the run at
# once (the traps stop wrk and the server) instead of after wrk's -d.
run_wrk() {
  local out=$1 id=$2 secret=$3 token=$4 rc=0
  shift 4
  CLIENT_ID=$id CLIENT_SECRET=$secret TOKEN=$token wrk "$@" > "$out" 2>&1 &
  wrk_pid=$!
  wait "$wrk_pid" || rc=$?
  wrk_pid=""
  return $rc
}

# measure PROVIDER TEST URL SCRIPT ID SECRET [TOKEN]: warm-up, then one counted run per connection
# count; appends to $results.
measure() {
  local provider=$1 test=$2 url=$3 script=$4 id=$5 secret=$6 token=${7:-}
  local c raw line
  for c in $conns; do
    raw="$RESULTS_DIR/$(echo "$provider-$test-c$c" | tr ' /' '__').txt"
    run_wrk "$raw.warmup" "$id" "$secret" "$token" -t2 -c"$c" -d"$warmup" --timeout 5s -s "$here/$script" "$url" \
      || { cat "$raw.warmup" >&2; die "wrk warm-up: $provider $test c=$c"; }
    run_wrk "$raw" "$id" "$secret" "$token" -t2 -c"$c" -d"$duration" --timeout 5s --latency -s "$here/$script" "$url" \
      || { cat "$raw" >&2; die "wrk: $provider $test c=$c"; }
    line=$(grep '^RESULT ' "$raw" | tail -n 1) || { cat "$raw" >&2; die "wrk printed no RESULT line: $provider $test c=$c"; }
    kill -0 "$server_pid" 2>/dev/null || die "$provider exited during $test c=$c"
    printf '%s\t%s\t%s\t%s\n' "$provider" "$test" "$c" "${line#RESULT }" >> "$results"
    printf '  %-14s %-12s c=%-3s %s\n' "$provider" "$test" "$c" "${line#RESULT }"
    if echo "$line" | grep -Eq 'non2xx=[1-9]|socket_errors=[1-9]|inactive=[1-9]'; then
      errors_seen=1
      echo "  WARNING: errors in this run (raw output: $raw)"
    fi
  done
}

# ------------------------------------------------------------------------------------ environment
echo "== tobira OIDC token benchmark"
echo "command:     $cmdline"
echo "date:        $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "host:        nproc=$(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
echo "load:        $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, at start)"
echo "wrk:         $(wrk -v 2>&1 | head -n 1 | sed 's/ Copyright.*//')"
echo "wrk args:    -t2 -c{$conns} -d$duration --timeout 5s --latency, after a -d$warmup warm-up at the same -c"
echo "git:         $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$repo" diff --quiet 2>/dev/null || echo ' (work tree modified)')"

if [[ " $halves " == *" reference "* ]]; then
  need "$NODE" "node"
  echo "node:        $NODE $("$NODE" --version)"
  if [ "$("$NODE" -p 'process.versions.node.split(".")[0]')" -lt 22 ]; then
    echo "             (oidc-provider 9 supports Node 22 LTS or later and warns 'Unsupported runtime' on this one;"
    echo "              NODE=/path/to/node picks another)"
  fi
  if [ ! -d "$here/node_modules/oidc-provider" ]; then
    echo "installing the reference's node_modules (npm ci) ..."
    (cd "$here" && npm ci --no-audit --no-fund --silent) || die "npm ci in $here"
  fi
  echo "reference:   oidc-provider $("$NODE" -p "require('$here/node_modules/oidc-provider/package.json').version"), 2 workers (node:cluster), ES256, port $REF_PORT"
fi
if [[ " $halves " == *" tobira "* ]]; then
  [ -x "$TOBIRA_BIN" ] || die "no tobira binary at $TOBIRA_BIN (cargo build --release, or set TOBIRA_BIN)"
  echo "tobira:      $TOBIRA_BIN ($("$TOBIRA_BIN" --version 2>&1 | head -n 1)), port $TOBIRA_PORT, backends: sqlite${pg_url:+, postgres}"
  if [ -n "$pg_url" ]; then
    need psql "apt-get install -y postgresql-client"
    psql -q -X "$pg_url" -c 'SELECT 1' >/dev/null 2>&1 || die "cannot connect to PostgreSQL at $pg_url"
    echo "postgres:    $(psql -X -At "$pg_url" -c 'SHOW server_version')"
  fi
fi
echo "results:     $RESULTS_DIR"
echo

# ---------------------------------------------------------------------------------- reference half
start_reference() { # FORMAT
  port_free "$REF_PORT" || die "port $REF_PORT is in use (set REF_PORT)"
  local log="$RESULTS_DIR/reference-$1.log"
  PORT=$REF_PORT FORMAT=$1 CLIENT_ID=$REF_CLIENT_ID CLIENT_SECRET=$REF_CLIENT_SECRET \
    "$NODE" "$here/reference.mjs" > "$log" 2>&1 &
  server_pid=$!
  wait_ready "http://127.0.0.1:$REF_PORT/.well-known/openid-configuration" "the reference provider (FORMAT=$1)" "$log"
}

if [[ " $halves " == *" reference "* ]]; then
  ref=http://127.0.0.1:$REF_PORT
  echo "-- reference: oidc-provider, FORMAT=jwt"
  start_reference jwt
  tok=$(get_token "$ref/token" "$REF_CLIENT_ID" "$REF_CLIENT_SECRET")
  [ "$(jwt_alg "$tok")" = ES256 ] || die "the reference's access token is not an ES256 JWT: $tok"
  measure reference "token ES256" "$ref/token" token.lua "$REF_CLIENT_ID" "$REF_CLIENT_SECRET"
  stop_server

  echo "-- reference: oidc-provider, FORMAT=opaque"
  start_reference opaque
  tok=$(get_token "$ref/token" "$REF_CLIENT_ID" "$REF_CLIENT_SECRET")
  # Several connections, so both workers answer (the cluster hands connections round-robin).
  for _ in 1 2 3 4; do check_active "$ref/token/introspection" "$REF_CLIENT_ID" "$REF_CLIENT_SECRET" "$tok"; done
  measure reference "introspect" "$ref/token/introspection" introspect.lua "$REF_CLIENT_ID" "$REF_CLIENT_SECRET" "$tok"
  stop_server
  echo
fi

# ------------------------------------------------------------------------------------- tobira half
# client_secret ID LOG: the client's new secret from `tobira client secret ID` (stdout, alone).
client_secret() {
  local out
  out=$("$TOBIRA_BIN" client secret "$1" 2>>"$2") || return 1
  out=$(printf '%s' "$out" | tr -d '\r')
  if [ -z "$out" ] || [ "$(printf '%s\n' "$out" | wc -l)" -ne 1 ] || [[ "$out" =~ [[:space:]] ]]; then
    echo "tobira client secret $1 printed something other than one secret: $out" >> "$2"
    return 1
  fi
  printf '%s' "$out"
}

run_tobira() { # BACKEND (sqlite|postgres)
  local backend=$1 provider="tobira-$1"
  local tmp="$work/$backend" base=http://127.0.0.1:$TOBIRA_PORT
  local log="$RESULTS_DIR/$provider.log" setup_log="$RESULTS_DIR/$provider-setup.log"
  mkdir -p "$tmp/data"
  cp -r "$repo/policies" "$tmp/policies"
  cat > "$tmp/policies/bench-clients.toml" <<'TOML'
[[clients]]
id = "bench-es256"
system = "zeimu"
name = "bench ES256"
grants = ["client_credentials"]
access_token_alg = "ES256"
owner = "900021"

[[clients]]
id = "bench-eddsa"
system = "zeimu"
name = "bench EdDSA"
grants = ["client_credentials"]
access_token_alg = "EdDSA"
owner = "900021"
TOML
  export TOBIRA__DATA_DIR="$tmp/data"
  export TOBIRA__POLICY_DIR="$tmp/policies"
  export TOBIRA__HTTP__BIND="127.0.0.1:$TOBIRA_PORT"
  export TOBIRA__HTTP__PUBLIC_URL="http://localhost:$TOBIRA_PORT"
  export TOBIRA__LOG__LEVEL=warn
  if [ "$backend" = postgres ]; then
    pg_db="tobira_bench_$$"
    psql -q -X "$pg_url" -c "CREATE DATABASE $pg_db" >/dev/null || die "CREATE DATABASE $pg_db on $pg_url"
    TOBIRA__DATABASE__URL=$(python3 - "$pg_url" "$pg_db" <<'PY'
import sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
print(urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + sys.argv[2], u.query, u.fragment)))
PY
)
    export TOBIRA__DATABASE__URL
  else
    export TOBIRA__DATABASE__URL="sqlite://$tmp/data/tobira.db"
  fi

  echo "-- $provider: database $(echo "$TOBIRA__DATABASE__URL" | sed -E 's#//[^@/]*@#//***@#'), data $tmp/data"
  "$TOBIRA_BIN" policy check "$tmp/policies" >> "$setup_log" 2>&1 \
    || { cat "$setup_log" >&2; die "$provider: tobira policy check refused the policy with bench-clients.toml (above)"; }

  # The secrets are set before serve; should the command need a database that serve has prepared
  # (migrated, policy recorded), it is tried once more after serve is ready.
  local es256_secret="" eddsa_secret="" late=0
  if es256_secret=$(client_secret bench-es256 "$setup_log") && eddsa_secret=$(client_secret bench-eddsa "$setup_log"); then
    :
  else
    echo "   tobira client secret failed before serve (see $setup_log); trying again once serve is ready"
    late=1
  fi

  port_free "$TOBIRA_PORT" || die "port $TOBIRA_PORT is in use (set TOBIRA_PORT)"
  "$TOBIRA_BIN" serve > "$log" 2>&1 &
  server_pid=$!
  wait_ready "$base/readyz" "$provider (tobira serve)" "$log"

  if [ "$late" = 1 ]; then
    es256_secret=$(client_secret bench-es256 "$setup_log") && eddsa_secret=$(client_secret bench-eddsa "$setup_log") \
      || { cat "$setup_log" >&2; die "$provider: tobira client secret failed before and after serve (output above)"; }
  fi

  local tok alg
  tok=$(get_token "$base/oauth/token" bench-eddsa "$eddsa_secret")
  alg=$(jwt_alg "$tok"); [ "$alg" = EdDSA ] || die "$provider: bench-eddsa's access token is not an EdDSA JWT (alg $alg): $tok"
  tok=$(get_token "$base/oauth/token" bench-es256 "$es256_secret")
  alg=$(jwt_alg "$tok"); [ "$alg" = ES256 ] || die "$provider: bench-es256's access token is not an ES256 JWT (alg $alg): $tok"
  for _ in 1 2 3 4; do check_active "$base/oauth/introspect" bench-es256 "$es256_secret" "$tok"; done

  measure "$provider" "token ES256" "$base/oauth/token" token.lua bench-es256 "$es256_secret"
  measure "$provider" "token EdDSA" "$base/oauth/token" token.lua bench-eddsa "$eddsa_secret"
  measure "$provider" "introspect" "$base/oauth/introspect" introspect.lua bench-es256 "$es256_secret" "$tok"
  stop_server
  if [ "$backend" = postgres ]; then
    psql -q -X "$pg_url" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null || echo "run.sh: could not drop $pg_db" >&2
    pg_db=""
  fi
  unset TOBIRA__DATA_DIR TOBIRA__POLICY_DIR TOBIRA__HTTP__BIND TOBIRA__HTTP__PUBLIC_URL TOBIRA__LOG__LEVEL TOBIRA__DATABASE__URL
  echo
}

if [[ " $halves " == *" tobira "* ]]; then
  run_tobira sqlite
  [ -n "$pg_url" ] && run_tobira postgres
fi

# ---------------------------------------------------------------------------------------- summary
echo "load:        $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, at end)"
echo
python3 - "$results" <<'PY'
import sys
rows = []
for line in open(sys.argv[1], encoding="utf-8"):
    provider, test, c, kv = line.rstrip("\n").split("\t")
    f = dict(p.split("=", 1) for p in kv.split())
    rows.append((provider, test, int(c), f))

print("== summary (reference introspection: opaque tokens; tobira introspection: its ES256 JWT)")
print()
print("| provider | test | connections | req/s | p99 ms | non-2xx | socket errors | inactive |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for provider, test, c, f in rows:
    bad = any(f.get(k, "0") not in ("0", "unchecked") for k in ("non2xx", "socket_errors", "inactive"))
    print(f"| {provider} | {test} | {c} | {float(f['rps']):,.0f} | {float(f['p99_ms']):.2f} | {f['non2xx']} | "
          f"{f['socket_errors']} | {f.get('inactive', '-')} |{' !' if bad else ''}")

ref = {(t, c): f for p, t, c, f in rows if p == "reference"}
pairs = [("token ES256", "token ES256"), ("token EdDSA", "token ES256"), ("introspect", "introspect")]
lines = []
for provider in dict.fromkeys(p for p, *_ in rows if p != "reference"):
    for test, ref_test in pairs:
        for p, t, c, f in rows:
            if p == provider and t == test and (ref_test, c) in ref:
                r = ref[(ref_test, c)]
                lines.append(f"| {provider} / reference | {test} / {ref_test} | {c} | "
                             f"{float(f['rps']) / float(r['rps']):.2f} | {float(f['p99_ms']) / float(r['p99_ms']):.2f} |")
if lines:
    print()
    print("ratios tobira/reference (req/s: above 1 is faster; p99: below 1 is faster)")
    print()
    print("| providers | tests | connections | req/s ratio | p99 ratio |")
    print("|---|---|---:|---:|---:|")
    print("\n".join(lines))
PY
echo
echo "raw wrk output and server logs: $RESULTS_DIR"
if [ "$errors_seen" = 1 ]; then
  echo "run.sh: some runs had errors (marked ! above)" >&2
  exit 3
fi
