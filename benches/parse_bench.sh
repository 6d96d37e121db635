#!/usr/bin/env bash
# Parse benchmark: the same task on every side. Each builds the index `panops config index`
# builds (addresses, address groups, services, service groups, tags, security rules with
# their locations, and the where-used reverse index) from the same deterministic synthetic
# Panorama config (~200 MB, 350k addresses, 42k rules; --small: ~0.1 MB):
#
#   panops ConfigIndex        crates/panos (streaming, two threads), release build
#   python xmltodict index    xmltodict.parse of the whole file, then a walk (parse_index.py)
#   python iterparse index    xml.etree.ElementTree.iterparse, entries dropped once read
#
# and two reference rows that build no index:
#   quick-xml tokenize only   every XML event through quick-xml, nothing kept: the floor any
#                             XML index pays (one core, close to memory bandwidth)
#   xmltodict.parse only      the whole document as dicts, no index (the figure this script
#                             used to compare against ConfigIndex)
#
# The script fails unless all three index builders agree on every count and on the
# where-used answer for the most referenced address.
#
# Usage: benches/parse_bench.sh [--small] [--skip-python]
# Env: RUST_RUNS (default 5), PY_RUNS (default 3), PYTHON (default target/venv/bin/python).
# Writes target/bench/panorama.xml (reused when present) and prints a table.
# Heavy: run it alone on a quiet machine.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
small=""
skip_python=""
for arg in "$@"; do
  case "$arg" in
    --small) small="--small" ;;
    --skip-python) skip_python=1 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

python="${PYTHON:-$root/target/venv/bin/python}"
bench_dir="$root/target/bench"
config="$bench_dir/panorama${small:+-small}.xml"
mkdir -p "$bench_dir"

cargo build --release -q -p panops-panos --example gen-config --example parse-bench
bin="$root/target/release/examples"
if [[ ! -s "$config" ]]; then
  "$bin/gen-config" "$config" $small
fi
bytes=$(stat -c %s "$config")

have_time=""
[[ -x /usr/bin/time ]] && have_time=1

# Runs a command, prints its key=value line plus time_v_rss_kb from /usr/bin/time -v.
measure() {
  local out="$bench_dir/measure.$$"
  if [[ -n "$have_time" ]]; then
    /usr/bin/time -v -o "$out.time" "$@" > "$out.stdout"
    local rss
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out.time")
    echo "$(cat "$out.stdout") time_v_rss_kb=$rss"
  else
    "$@"
  fi
  rm -f "$out.time" "$out.stdout"
}

field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "config: $config ($(awk -v b="$bytes" 'BEGIN {printf "%.1f MB", b/1e6}'))"
# Shared machines are noisy: run each side several times and compare medians.
rust_runs=${RUST_RUNS:-5}
py_runs=${PY_RUNS:-3}

# Rows: name|median seconds|peak RSS kB. `last_line` keeps the last output for the checks.
rows=()
last_line=""
run_side() {
  local name="$1" runs="$2"; shift 2
  local times=() peak=0 line rss
  for _ in $(seq "$runs"); do
    line=$(measure "$@")
    echo "$name: $line"
    times+=("$(field "$line" seconds)")
    rss=$(field "$line" time_v_rss_kb)
    [[ -z "$rss" ]] && rss=$(field "$line" peak_rss_kb)
    (( rss > peak )) && peak=$rss
  done
  last_line="$line"
  rows+=("$name|$(printf '%s\n' "${times[@]}" | median)|$peak")
}

run_side "panops ConfigIndex" "$rust_runs" "$bin/parse-bench" "$config"
panops_line="$last_line"
sample=$(field "$panops_line" sample)
run_side "quick-xml tokenize only" "$rust_runs" "$bin/parse-bench" "$config" --tokenize-only

check_keys="addresses address_groups services service_groups tags security_rules sample_usages"
agree() {
  local name="$1" line="$2" k
  for k in $check_keys; do
    if [[ "$(field "$line" "$k")" != "$(field "$panops_line" "$k")" ]]; then
      echo "MISMATCH: $name has $k=$(field "$line" "$k"), panops has $k=$(field "$panops_line" "$k")" >&2
      exit 1
    fi
  done
}

if [[ -z "$skip_python" ]]; then
  if [[ ! -x "$python" ]] || ! "$python" -c 'import xmltodict' 2>/dev/null; then
    echo "python with xmltodict not found at $python (set PYTHON=...); skipping the Python side" >&2
    skip_python=1
  fi
fi
if [[ -z "$skip_python" ]]; then
  run_side "python iterparse index" "$py_runs" "$python" "$root/benches/parse_index.py" iterparse "$config" "$sample"
  agree "python iterparse index" "$last_line"
  run_side "python xmltodict index" "$py_runs" "$python" "$root/benches/parse_index.py" xmltodict "$config" "$sample"
  agree "python xmltodict index" "$last_line"
  run_side "xmltodict.parse only" "$py_runs" "$python" - "$config" <<'PY'
import resource, sys, time
import xmltodict
start = time.perf_counter()
with open(sys.argv[1], "rb") as f:
    doc = xmltodict.parse(f)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"seconds={seconds:.3f} peak_rss_kb={peak} top_keys={len(doc)}")
PY
  echo "check: the three indexes agree on $check_keys (where-used of $sample: $(field "$panops_line" sample_usages) references)"
fi

printf '%s\n' "${rows[@]}" | awk -F'|' -v b="$bytes" -v rn="$rust_runs" -v pn="$py_runs" '
# Times below the clock resolution count as 1 ms, so tiny inputs print no infinities.
{ name[NR] = $1; s[NR] = ($2 < 0.001 ? 0.001 : $2); rss[NR] = $3 }
END {
  mb = b / 1e6
  printf "\nmedian of %d (Rust) and %d (Python) runs; peak RSS is the largest seen\n", rn, pn
  printf "%-26s %10s %10s %15s %11s %15s\n", "side", "seconds", "MB/s", "peak RSS (MB)", "RSS/file", "vs panops"
  for (i = 1; i <= NR; i++) {
    printf "%-26s %10.3f %10.1f %15.1f %11.2f %14.2fx\n", name[i], s[i], mb / s[i], rss[i] / 1024, rss[i] * 1024 / b, s[i] / s[1]
  }
  if (NR >= 4) {
    printf "\nsame task (build the index): panops is %.1fx faster than the iterparse index (%.1fx less peak memory)\n", s[3] / s[1], rss[3] / rss[1]
    printf "and %.1fx faster than the xmltodict index (%.1fx less peak memory)\n", s[4] / s[1], rss[4] / rss[1]
  }
  printf "panops indexes at %.0f%% of the tokenize-only speed (%.2fx its time)\n", 100 * s[2] / s[1], s[1] / s[2]
}'
