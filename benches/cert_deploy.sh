#!/usr/bin/env bash
# Certificate deployment benchmark (issue 11): panops deploy + rollback through a simulated
# Panorama with 50 firewalls in 5 device groups, against the naive per-firewall deployment.
# Arguments: FIREWALLS LATENCY_MS JOB_MS (default 50 5 200).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release --quiet -p panops-certs --example cert_deploy_bench -- "$@"
