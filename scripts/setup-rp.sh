#!/usr/bin/env bash
# The relying party of the single sign-on browser tests (tests/support/rp.py) is a Flask app with
# Authlib's stock OpenID Connect client, in its own virtual environment: TOBIRA_TEST_RP_VENV, by
# default ~/.cache/tobira-rp-venv. Made once; skipped when it already has what it needs. The same
# environment holds scim2-server, the SCIM 2.0 server of the provisioning tests (tests/it/scim_server.rs),
# and schemathesis, which runs the OpenAPI document against a live server (tests/it/api_schema.rs).
set -euo pipefail
venv="${TOBIRA_TEST_RP_VENV:-$HOME/.cache/tobira-rp-venv}"
schemathesis="schemathesis==4.32.5"
if "$venv/bin/python" -c "import authlib, flask, requests, scim2_server" 2>/dev/null; then
  if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "4.32.5"; then
    "$venv/bin/pip" install -q --disable-pip-version-check "$schemathesis"
  fi
  exit 0
fi
if "$venv/bin/python" -c "import authlib, flask, requests" 2>/dev/null; then
  # The SCIM 2.0 server of the provisioning tests (tests/it/scim_server.rs), added to an older environment.
  "$venv/bin/pip" install -q --disable-pip-version-check "scim2-server>=0.8.3,<1" "$schemathesis"
  exit 0
fi
echo "making the relying party's Python environment in $venv" >&2
rm -rf "$venv"
if ! python3 -m venv "$venv" 2>/dev/null; then
  # Debian's python3 makes virtual environments only with python3-venv.
  rm -rf "$venv"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check "authlib>=1.9,<2" "flask>=3.1,<4" "requests>=2.32,<3" "scim2-server>=0.8.3,<1" "$schemathesis"
