#!/usr/bin/env bash
# Runs every test: the domain crate, the adapters, and the integration suite on SQLite and PostgreSQL.
# Installs missing packages first. PostgreSQL comes from TOBIRA_TEST_PG_URL; when unset, the local
# server at 127.0.0.1:5432 (database `test`) is used if it answers. With CI=true a missing PostgreSQL
# fails the suite instead of skipping its half.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh test
scripts/setup-rp.sh
if [ -z "${TOBIRA_TEST_PG_URL:-}" ]; then
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    export TOBIRA_TEST_PG_URL="postgres://postgres@127.0.0.1:5432/test"
  elif [ "${CI:-}" = true ]; then
    echo "CI=true and no PostgreSQL at 127.0.0.1:5432: set TOBIRA_TEST_PG_URL" >&2
    exit 1
  else
    echo "note: no PostgreSQL found; the PostgreSQL half of the suite is skipped" >&2
  fi
fi
echo "PostgreSQL for tests: ${TOBIRA_TEST_PG_URL:-none}" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --locked "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
