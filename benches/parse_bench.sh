#!/usr/bin/env bash
# Side-by-side parse benchmark: panops ConfigIndex (streaming) vs Python xmltodict.parse,
# on the same deterministic synthetic Panorama config (~200 MB, 350k addresses, 42k rules).
#
# Usage: benches/parse_bench.sh [--small] [--skip-python]
# Writes target/bench/panorama.xml (reused when present) and prints a table.
# Heavy: run it alone on a quiet machine; a release build is used for the Rust side.
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

# Runs a command, prints "seconds peak_rss_kb" using /usr/bin/time -v when present.
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

echo "config: $config ($(awk -v b="$bytes" 'BEGIN {printf "%.1f MB", b/1e6}'))"
# Shared machines are noisy: run each side several times and compare medians.
rust_runs=${RUST_RUNS:-5}
py_runs=${PY_RUNS:-3}

median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2] + a[NR/2+1]) / 2}'; }

rust_times=() ; rust_rss=0
for _ in $(seq "$rust_runs"); do
  rust_line=$(measure "$bin/parse-bench" "$config")
  echo "panops: $rust_line"
  rust_times+=("$(field "$rust_line" seconds)")
  rss=$(field "$rust_line" time_v_rss_kb)
  [[ -z "$rss" ]] && rss=$(field "$rust_line" peak_rss_kb)
  (( rss > rust_rss )) && rust_rss=$rss
done
rust_s=$(printf '%s\n' "${rust_times[@]}" | median)

py_s="" ; py_rss=""
if [[ -z "$skip_python" ]]; then
  if [[ ! -x "$python" ]] || ! "$python" -c 'import xmltodict' 2>/dev/null; then
    echo "python with xmltodict not found at $python (set PYTHON=...); skipping the Python side" >&2
  else
    py_times=() ; py_rss=0
    for _ in $(seq "$py_runs"); do
      py_line=$(measure "$python" - "$config" <<'PY'
import resource, sys, time
import xmltodict
path = sys.argv[1]
start = time.perf_counter()
with open(path, "rb") as f:
    doc = xmltodict.parse(f)
seconds = time.perf_counter() - start
root = doc["config"]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"seconds={seconds:.3f} peak_rss_kb={peak} top_keys={len(root)}")
PY
)
      echo "xmltodict: $py_line"
      py_times+=("$(field "$py_line" seconds)")
      rss=$(field "$py_line" time_v_rss_kb)
      [[ -z "$rss" ]] && rss=$(field "$py_line" peak_rss_kb)
      (( rss > py_rss )) && py_rss=$rss
    done
    py_s=$(printf '%s\n' "${py_times[@]}" | median)
  fi
fi

rust_rr=$rust_rss
awk -v b="$bytes" -v rs="$rust_s" -v rr="$rust_rr" -v ps="$py_s" -v pr="$py_rss" -v rn="$rust_runs" -v pn="$py_runs" 'BEGIN {
  mb = b / 1e6
  printf "\nmedian of %d (panops) and %d (xmltodict) runs; peak RSS is the largest seen\n", rn, pn
  printf "%-22s %12s %12s %16s %14s\n", "parser", "seconds", "MB/s", "peak RSS (MB)", "RSS / file"
  printf "%-22s %12.2f %12.1f %16.1f %14.2f\n", "panops ConfigIndex", rs, mb / rs, rr / 1024, rr * 1024 / b
  if (ps != "") {
    printf "%-22s %12.2f %12.1f %16.1f %14.2f\n", "python xmltodict", ps, mb / ps, pr / 1024, pr * 1024 / b
    printf "\nratios: panops is %.1fx faster and uses %.1fx less peak memory than xmltodict\n", ps / rs, pr / rr
  }
}'
