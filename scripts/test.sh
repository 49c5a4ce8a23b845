#!/usr/bin/env bash
# Runs every test: the domain crate, the adapters, and the integration suite on SQLite and PostgreSQL.
# Installs missing packages first. PostgreSQL comes from TOBIRA_TEST_PG_URL; when unset, the local
# server at 127.0.0.1:5432 (database `test`) is used if it answers. With CI=true a missing PostgreSQL
# fails the suite instead of skipping its half.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh test
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
exec cargo test --workspace --locked "$@"
