#!/usr/bin/env bash
# Runs tobira on its embedded defaults: SQLite under ./data, the example policies in ./policies,
# HTTP on 127.0.0.1:8080. Installs missing build packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh build
exec cargo run --release --locked --bin tobira -- serve "$@"
