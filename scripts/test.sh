#!/usr/bin/env bash
# The whole panops test suite: formatting, lints, Rust tests, and the official Python clients
# (pan-os-python, pan-python, pan-scm-sdk) against the simulator. Needs only the Rust toolchain
# and Python 3; everything else is installed under target/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n==> %s\n' "$*"; }

step "Python clients (virtualenv in target/venv)"
venv="$root/target/venv"
stamp="$venv/.requirements.sha256"
want=$(sha256sum tests/python/requirements.txt | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
  echo "$want" > "$stamp"
fi

step "radclient for the RADIUS listener tests (Debian freeradius-utils)"
command -v radclient >/dev/null || { apt-get update -qq && apt-get install -y -qq freeradius-utils; }
step "Monitoring tools (promtool checks the exporter's alert rules)"
# CI is a fresh Debian machine run as root: install promtool from Debian's prometheus package.
command -v promtool >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null; }
# pebble: a real ACME (RFC 8555) server for the `panops cert renew --acme-directory` tests.
command -v pebble >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pebble >/dev/null; }
step "PostgreSQL for the process-store tests (crates/store, run as the postgres user)"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "note: PostgreSQL not installed; the PostgreSQL store tests will skip"
  fi
fi

# Tests that need a tool (promtool, radclient, PostgreSQL, the Python OpenMetrics parser) fail
# instead of skipping: this script installs them all.
export PANOPS_CI=1

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked

step "Python clients against the simulator"
cargo build --locked -p panops-cli
export PANOPS_BIN="$root/target/debug/panops"
"$venv/bin/python" -m pytest tests/python -q -p no:cacheprovider
