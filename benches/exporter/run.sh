#!/usr/bin/env bash
# Exporter benchmark (issue 10): one `panops exporter` over a simulated Panorama with 200
# managed firewalls plus one stand-alone firewall. Prints, as ratios and figures:
#   - API requests per firewall per fast and per slow cycle (from the exporter's own metrics)
#   - exporter CPU seconds and peak RSS, extrapolated per 100 targets per hour of collection
#   - /probe latency p50/p99 under 50 concurrent scrapers
#   - panops check vs check_paloalto (check-paloalto-ng from PyPI): requests and CPU per check
# Not a test: it measures. Usage: bash benches/exporter/run.sh   (DURATION=240 FAST=30 SLOW=120)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
DURATION=${DURATION:-240}
FAST=${FAST:-30}
SLOW=${SLOW:-120}
FIREWALLS=${FIREWALLS:-200}
CHECK_RUNS=${CHECK_RUNS:-20}

cargo build --release --locked -p panops-cli -p panops-exporter --bin panops --example probe_load >/dev/null
bin=$root/target/release/panops
load=$root/target/release/examples/probe_load
venv=$root/target/venv-bench
if [ ! -x "$venv/bin/check_paloalto" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check check-paloalto-ng==0.9.0
fi

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
export PANOPS_CONFIG=""

ready_url() { # wait for a "panops-sim ready url=..." line in $1
  for _ in $(seq 100); do
    if grep -q "ready url=" "$1" 2>/dev/null; then
      sed -n 's/.*ready url=\([^ ]*\).*/\1/p' "$1" | head -1; return; fi
    sleep 0.1
  done; echo "simulator did not start: $(cat "$1")" >&2; exit 1
}

"$bin" sim --kind panorama --firewalls "$FIREWALLS" --plain --listen 127.0.0.1:0 \
  --admin admin:admin --admin monitor:m0n:read-only >"$work/pano.out" 2>/dev/null & pids+=($!)
# the stand-alone firewall speaks HTTPS, as check_paloalto needs
"$bin" sim --kind firewall --listen 127.0.0.1:0 \
  --admin admin:admin --admin monitor:m0n:read-only >"$work/fw.out" 2>"$work/fw.log" & pids+=($!)
pano_url=$(ready_url "$work/pano.out"); fw_url=$(ready_url "$work/fw.out")
pano_port=${pano_url##*:}; fw_port=${fw_url##*:}
serials=$(sed -n 's/.*serials=\([^ ]*\).*/\1/p' "$work/pano.out" | head -1)
echo "m0n" >"$work/pw"

cat >"$work/targets.yaml" <<YAML
defaults: { fast_interval_secs: $FAST, slow_interval_secs: $SLOW, discovery_interval_secs: 60 }
targets:
  - { name: panorama, kind: panorama, host: 127.0.0.1, port: $pano_port, protocol: http, username: monitor, password_file: $work/pw, pool: 4 }
  - { name: fw, host: 127.0.0.1, port: $fw_port, insecure_skip_verify: true, username: monitor, password_file: $work/pw }
YAML
"$bin" exporter --config "$work/targets.yaml" --listen 127.0.0.1:0 >"$work/exp.out" 2>/dev/null & exp_pid=$!; pids+=($exp_pid)
for _ in $(seq 100); do grep -q listening "$work/exp.out" 2>/dev/null && break; sleep 0.1; done
exp=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/exp.out")
for _ in $(seq 600); do [ "$(curl -s -o /dev/null -w '%{http_code}' "$exp/-/ready")" = 200 ] && break; sleep 0.5; done
devices=$(curl -s "$exp/metrics" | sed -n 's/^panops_exporter_devices \([0-9]*\).*/\1/p')
echo "targets collected: $devices (Panorama + $FIREWALLS firewalls behind it + 1 stand-alone)"

ticks() { awk '{print $14+$15}' "/proc/$exp_pid/stat"; }
requests() { curl -s "$exp/metrics" | grep '^panops_exporter_api_requests_total' ; }
requests >"$work/req0"; t0=$(ticks); s0=$(date +%s.%N)
sleep "$DURATION"
requests >"$work/req1"; t1=$(ticks); s1=$(date +%s.%N)
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$exp_pid/status")

python3 - "$work/req0" "$work/req1" "$s0" "$s1" "$FAST" "$SLOW" "$t0" "$t1" "$hwm" "$devices" "$bin" <<'PY'
import re, subprocess, sys
r0, r1, s0, s1, fast, slow, t0, t1, hwm, devices = sys.argv[1:11]
elapsed = float(s1) - float(s0)
def load(p):
    d = {}
    for line in open(p):
        m = re.match(r'panops_exporter_api_requests_total\{target="([^"]+)",collector="([^"]+)"\} (\S+)', line)
        if m: d[(m[1], m[2])] = float(m[3])
    return d
a, b = load(r0), load(r1)
delta = {k: b.get(k, 0) - a.get(k, 0) for k in b}
# tiers as the exporter defines them (panops-exporter collectors)
slow_c = {"system", "disk", "licenses", "certificates", "environment"}
fws = {t for (t, c) in delta if t not in ("panorama", "fw")}
fast_cycles, slow_cycles = elapsed / float(fast), elapsed / float(slow)
fast_req = sum(v for (t, c), v in delta.items() if t in fws and c not in slow_c)
slow_req = sum(v for (t, c), v in delta.items() if t in fws and c in slow_c)
per_coll_fast = max((v / fast_cycles for (t, c), v in delta.items() if t in fws and c not in slow_c), default=0)
n = max(len(fws), 1)
print(f"window: {elapsed:.0f} s = {fast_cycles:.1f} fast cycles ({fast} s), {slow_cycles:.1f} slow cycles ({slow} s)")
n_fast = len({c for (t, c) in delta if t in fws and c not in slow_c})
n_slow = len({c for (t, c) in delta if t in fws and c in slow_c})
print(f"API requests per firewall per fast cycle: {fast_req / n / fast_cycles:.2f} ({n_fast} fast collectors; max per collector per cycle {per_coll_fast:.2f})")
print(f"API requests per firewall per slow cycle: {slow_req / n / slow_cycles:.2f} ({n_slow} slow collectors)")
cpu = (float(t1) - float(t0)) / 100.0
targets = int(devices or 0)
print(f"exporter CPU: {cpu:.2f} s over {elapsed:.0f} s for {targets} targets -> {cpu / elapsed * 3600 / (targets / 100):.1f} CPU s per 100 targets per hour")
print(f"exporter peak RSS: {int(hwm) / 1024:.1f} MiB for {targets} targets -> {int(hwm) / 1024 / (targets / 100):.1f} MiB per 100 targets")
PY

first=$(echo "$serials" | cut -d, -f1)
echo "/probe under 50 concurrent scrapers, each scraping every 100 ms (500 scrapes/s):"
"$load" "$exp" 50 100 "$serials" 100
"$load" "$exp" 50 100 "$first,fw,panorama" 100
echo "/probe, 50 scrapers in a closed loop (saturates the CPU: throughput, latency is queueing):"
"$load" "$exp" 50 200 "$serials"

# panops check vs check_paloalto on the same firewall, same checks, same key; the exporter
# stops first so that the firewall's request log counts only the checks
kill "$exp_pid" 2>/dev/null || true
wait "$exp_pid" 2>/dev/null || true
key=$(curl -sk -X POST "https://127.0.0.1:$fw_port/api/" -d type=keygen -d user=monitor -d password=m0n | sed -n 's/.*<key>\(.*\)<\/key>.*/\1/p')
echo "$key" >"$work/key"
pairs=(
  "sessions|sessinfo"
  "disk|diskspace"
  "load|load"
  "licenses|licenses"
  "thermal|thermal"
  "environmental|environmental"
  "antivirus|antivirus"
  "interfaces|interface"
  "userid|useragent -A all"
  "bgp|bgp -m peers -p isp-a"
)
reqs_now() { grep -c "api request" "$work/fw.log" || true; }
printf '%-14s %-24s %8s %8s %10s %10s %7s\n' "panops mode" "check_paloalto mode" "req/pan" "req/py" "cpu_ms/pan" "cpu_ms/py" "ratio"
tot_p=0; tot_c=0
for pair in "${pairs[@]}"; do
  ours=${pair%%|*}; theirs=${pair#*|}
  r0=$(reqs_now)
  p=$(python3 benches/exporter/cpu.py "$CHECK_RUNS" -- "$bin" check "$ours" --hostname 127.0.0.1 --port "$fw_port" --skip-verify-certificate --api-key-file "$work/key")
  r1=$(reqs_now)
  # shellcheck disable=SC2086
  c=$(python3 benches/exporter/cpu.py "$CHECK_RUNS" -- "$venv/bin/check_paloalto" -H "127.0.0.1:$fw_port" -T "$key" $theirs)
  r2=$(reqs_now)
  pc=$(echo "$p" | sed -n 's/cpu_s=\([0-9.]*\).*/\1/p'); cc=$(echo "$c" | sed -n 's/cpu_s=\([0-9.]*\).*/\1/p')
  python3 -c "
import sys
n=$CHECK_RUNS; pc=$pc; cc=$cc
print(f'%-14s %-24s %8.1f %8.1f %10.2f %10.2f %6.0fx' % ('$ours', '$theirs', ($r1-$r0)/n, ($r2-$r1)/n, pc/n*1e3, cc/n*1e3, cc/pc if pc else 0))"
  tot_p=$(python3 -c "print($tot_p+$pc)"); tot_c=$(python3 -c "print($tot_c+$cc)")
done
python3 -c "print(f'all checks: panops {$tot_p/$CHECK_RUNS/${#pairs[@]}*1e3:.2f} ms CPU per check, check_paloalto {$tot_c/$CHECK_RUNS/${#pairs[@]}*1e3:.2f} ms -> {$tot_c/$tot_p:.0f}x less CPU')"
