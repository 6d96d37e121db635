#!/usr/bin/env bash
# Guest-access benchmark: end 10,000 visits in one batch (with and without session clearing)
# against the simulator, side by side with the naive per-visit sequence (query + logout +
# clear, one visit at a time), as request and time ratios; then the RADIUS listener's
# sustained Accounting-Stop rate with radclient (freeradius-utils), checking nothing is lost.
#
# Usage: benches/guest.sh [VISITS]   (env GUEST_BENCH_LATENCY_MS adds per-request latency)
set -euo pipefail
cd "$(dirname "$0")/.."
export GUEST_BENCH_VISITS="${1:-10000}"
cargo run --release -q -p panops-guest --example guest-bench
