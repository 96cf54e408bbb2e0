#!/usr/bin/env bash
# Receive throughput of Accessioner against DCMTK storescp, in one run, on loopback.
#
# Usage: benchmarks/receive_benchmark.sh [--build-dir DIR] [--count 500] [--out DIR] [--reps 3]
#                                        [--work-base DIR] [--no-netns] [--keep]
#
# Systems under test (each started fresh for every measurement, one at a time, on a free port):
#   S0  storescp --ignore                 receive and discard: protocol ceiling, not durable
#   S1  storescp -od DIR                  one file per instance, no fsync, not durable
#   R0  accessioner, storage.sync=true    durable before the C-STORE-RSP: the product
#   R2  accessioner, storage.sync=false   diagnostic: the same path without fsync
# Clients: 1 and 8 concurrent storescu (8 = eight processes, each 1/8 of the files), and
# acc_store_latency (1 association, per-instance RQ->RSP latency). storescp serves one association
# at a time without --fork, so S0/S1 get --fork for the 8-association runs only.
# Every DCMTK process runs with TCP_NODELAY=1: without it each C-STORE waits ~40 ms for a delayed
# ACK (performance notes §4.4).
#
# --reps rounds run every (SUT, client) once each, rotating the SUT order, with a synced-write
# calibration before each round and after the last: on a shared machine the disk and the CPUs
# change speed while we measure, and interleaving keeps the comparison fair. The table reports
# medians over the rounds. Writes results.csv, calibration.csv, machine.txt, results.md and logs/
# to --out and prints results.md. Bounded by a 340 s watchdog; cleans up on any exit.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "$script_dir")"

build_dir="$repo_dir/build-bench"
count=500
reps=3
out_dir=""
work_base="${TMPDIR:-/tmp}"
use_netns=1
keep=0
readonly budget_s=340
readonly max_pdu=131072

usage() {
  sed -n '4,5p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}

args=("$@")
while (($# > 0)); do
  case "$1" in
    --build-dir) build_dir="$(realpath "$2")"; shift 2 ;;
    --count) count="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --out) out_dir="$2"; shift 2 ;;
    --work-base) work_base="$2"; shift 2 ;;
    --no-netns) use_netns=0; shift ;;
    --keep) keep=1; shift ;;
    -h | --help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done
[[ "$count" =~ ^[0-9]+$ ]] && ((count >= 8)) || { echo "--count must be an integer >= 8" >&2; exit 2; }
[[ "$reps" =~ ^[0-9]+$ ]] && ((reps >= 1)) || { echo "--reps must be an integer >= 1" >&2; exit 2; }

# A private network namespace holds only a loopback interface: storescp listens on all
# interfaces, and there nothing outside can reach it.
if ((use_netns)) && [[ -z "${ACC_BENCH_IN_NETNS:-}" ]] && unshare -rn true 2>/dev/null; then
  export ACC_BENCH_IN_NETNS=1
  exec unshare -rn -- bash -c 'ip link set lo up && exec "$0" "$@"' "${BASH_SOURCE[0]}" "${args[@]}"
fi

# DCMTK 3.6.7 keeps Nagle's algorithm on unless this is set; exported so no DCMTK process misses
# it. Accessioner and our tools set TCP_NODELAY in code.
export TCP_NODELAY=1

accessioner="$build_dir/router/accessioner"
corpus_tool="$build_dir/benchmarks/acc_make_ct_corpus"
fsync_probe="$build_dir/benchmarks/acc_fsync_probe"
latency_tool="$build_dir/benchmarks/acc_store_latency"

# log, die, free_port, wait_listening, stop_process, status_kib, cpu_seconds
# shellcheck source=benchmarks/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for tool in storescp storescu ss findmnt; do
  command -v "$tool" >/dev/null || die "$tool not found (packages dcmtk, iproute2, util-linux)"
done
missing=()
for bin in "$accessioner" "$corpus_tool" "$fsync_probe" "$latency_tool"; do
  [[ -x "$bin" ]] || missing+=("$(basename "$bin")")
done
if ((${#missing[@]} > 0)); then
  [[ -f "$build_dir/CMakeCache.txt" ]] ||
    die "no build in $build_dir; configure with -DCMAKE_BUILD_TYPE=Release -DACC_BUILD_BENCHMARKS=ON"
  log "building ${missing[*]} in $build_dir"
  cmake --build "$build_dir" -j2 --target "${missing[@]}" >&2
fi

mkdir -p "$work_base"
work="$(mktemp -d "$work_base/acc-bench.XXXXXX")"
out_dir="${out_dir:-${TMPDIR:-/tmp}/acc-receive-bench-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out_dir/logs"
out_dir="$(realpath "$out_dir")"

pids=()
cleanup() {
  local rc=$?
  local pid child
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      # storescp --fork children (and the watchdog's sleep) outlive a killed parent.
      for child in $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do
        kill -KILL "$child" 2>/dev/null || true
      done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  if ((keep)); then
    log "work directory kept: $work"
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

(sleep "$budget_s" && echo "watchdog: over ${budget_s}s, stopping" >&2 && kill -TERM $$) &
pids+=($!)
disown $!  # no "Killed" job notice when cleanup ends it

# storescp --fork serves each association in a child that exits at release, so /proc of the
# parent alone misses it: sample the children every 50 ms and keep the largest sum of VmHWM.
rss_sampler() {  # parent_pid stop_file out_file
  local parent=$1 stop=$2 out=$3 peak=0 sum child hwm
  while [[ ! -e "$stop" ]]; do
    sum=0
    for child in $(cat "/proc/$parent/task/$parent/children" 2>/dev/null); do
      hwm="$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$child/status" 2>/dev/null || true)"
      sum=$((sum + ${hwm:-0}))
    done
    ((sum > peak)) && peak=$sum
    sleep 0.05
  done
  echo "$peak" >"$out"
}

# ---- machine and corpus -------------------------------------------------------------------
fs_type="$(findmnt -n -o FSTYPE -T "$work")"
fs_source="$(findmnt -n -o SOURCE -T "$work")"
{
  echo "date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc=$(nproc)"
  echo "cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "mem_total=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "kernel=$(uname -r)"
  echo "work_dir=$work"
  echo "filesystem=$fs_type on $fs_source"
  echo "load_average_at_start=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "dcmtk=$(storescp --version 2>&1 | awk 'NR == 1 { print $2, $3 }')"
  echo "accessioner_commit=$(git -C "$repo_dir" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$repo_dir" diff --quiet 2>/dev/null || echo '+dirty')"
  echo "build_type=$(awk -F= '/^CMAKE_BUILD_TYPE:/ { print $2 }' "$build_dir/CMakeCache.txt" 2>/dev/null)"
  echo "netns=${ACC_BENCH_IN_NETNS:-0}"
  echo "command=$0 ${args[*]}"
} >"$out_dir/machine.txt"

log "generating $count CT instances in $work/corpus"
"$corpus_tool" --count "$count" --out "$work/corpus" >"$out_dir/logs/corpus.log"
mapfile -t files < <(find "$work/corpus" -name '*.dcm' | sort)
((${#files[@]} == count)) || die "corpus has ${#files[@]} files, expected $count"
corpus_bytes="$(du -cb "${files[@]}" | awk 'END { print $1 }')"
cat "${files[@]}" >/dev/null  # pre-warm the page cache: clients must never wait on the disk
sync

# ---- calibration: synced-write ceiling on the storage filesystem ---------------------------
echo "phase,probe,block_bytes,syncs,seconds,syncs_per_s,mb_per_s" >"$out_dir/calibration.csv"
calibrate() {  # phase
  log "calibrating fdatasync on $fs_type ($work): $1"
  mkdir -p "$work/probe"
  local block
  for block in 4096 524288 4194304; do
    echo "$1,acc_fsync_probe,$("$fsync_probe" --dir "$work/probe" --block "$block" --seconds 1.5)" \
      >>"$out_dir/calibration.csv"
  done
  sync
}

# ---- one measurement ------------------------------------------------------------------------
csv="$out_dir/results.csv"
echo "rep,sut,client,assoc,instances,bytes,wall_s,inst_per_s,mb_per_s,p50_ms,p90_ms,p99_ms,max_ms,peak_rss_kib,rss_scope,sut_cpu_s,groups,inst_per_group,stored,check,load1" >"$csv"

sut_pid=""
sut_port=""
sut_state=""
sut_log=""
sut_called_ae=""
sampler_pid=""

start_sut() {  # sut assoc tag
  local sut=$1 assoc=$2 tag=$3
  sut_port="$(free_port)"
  sut_state="$work/state-$tag"
  sut_log="$out_dir/logs/$tag.sut.log"
  : >"$sut_log"  # truncated here, not in the background child: an old log must not look ready
  mkdir -p "$sut_state"
  local fork=()
  ((assoc > 1)) && fork=(--fork)
  case "$sut" in
    S0)
      sut_called_ae=STORESCP
      storescp --ignore --max-pdu "$max_pdu" -aet STORESCP "${fork[@]}" "$sut_port" >"$sut_log" 2>&1 &
      ;;
    S1)
      sut_called_ae=STORESCP
      mkdir -p "$sut_state/in"
      storescp -od "$sut_state/in" --max-pdu "$max_pdu" -aet STORESCP "${fork[@]}" "$sut_port" \
        >"$sut_log" 2>&1 &
      ;;
    R0 | R2)
      sut_called_ae=ACCBENCH
      local sync=true
      [[ "$sut" == R2 ]] && sync=false
      cat >"$sut_state/accessioner.toml" <<EOF
[server]
ae_title = "ACCBENCH"
bind = "127.0.0.1"
port = $sut_port
max_associations = 64
max_pdu_length = $max_pdu
idle_timeout_s = 60

[storage]
path = "$sut_state/db"
sync = $sync
EOF
      "$accessioner" serve --config "$sut_state/accessioner.toml" >"$sut_log" 2>&1 &
      ;;
  esac
  sut_pid=$!
  pids+=("$sut_pid")
  if [[ "$sut" == R* ]]; then
    local deadline=$((SECONDS + 20))
    until grep -q "accessioner listening on" "$sut_log"; do
      kill -0 "$sut_pid" 2>/dev/null && ((SECONDS < deadline)) ||
        die "accessioner did not start: $(tail -5 "$sut_log")"
      sleep 0.05
    done
  else
    wait_listening "$sut_pid" "$sut_port" 10 || die "storescp did not start: $(tail -5 "$sut_log")"
  fi
  sampler_pid=""
  if [[ "$sut" == S* ]] && ((assoc > 1)); then
    rm -f "$work/sampler.stop"
    rss_sampler "$sut_pid" "$work/sampler.stop" "$work/sampler.out" &
    sampler_pid=$!
    pids+=("$sampler_pid")
  fi
}

# Sets peak_rss, rss_scope, sut_cpu, groups, stored, check; stops the SUT; deletes its state.
finish_sut() {  # sut sent
  local sut=$1 sent=$2
  peak_rss="$(status_kib "$sut_pid" VmHWM)"
  rss_scope="process VmHWM"
  sut_cpu="$(cpu_seconds "$sut_pid")"
  if [[ -n "$sampler_pid" ]]; then
    touch "$work/sampler.stop"
    wait "$sampler_pid" || true
    peak_rss=$((peak_rss + $(cat "$work/sampler.out")))
    rss_scope="parent + sum of fork children (sampled)"
    sut_cpu="$sut_cpu (parent only)"
  fi
  stop_process "$sut_pid"
  groups=""
  stored=""
  check="ok"
  case "$sut" in
    R0 | R2)
      local line
      line="$(grep -o 'stopped: [0-9]* instances committed in [0-9]* group commit' "$sut_log" || true)"
      [[ -n "$line" ]] || die "no 'stopped:' line in $sut_log"
      groups="$(awk '{ print $6 }' <<<"$line")"
      stored="$("$accessioner" queue list --json --config "$sut_state/accessioner.toml" |
        grep -c '"sop_instance_uid"' || true)"
      ;;
    S1) stored="$(find "$sut_state/in" -type f | wc -l)" ;;
    S0) stored="n/a" ;;
  esac
  if [[ "$stored" != "n/a" && "$stored" != "$sent" ]]; then
    check="FAIL: stored $stored of $sent"
    log "$check ($sut)"
  fi
  rm -rf "$sut_state"
  sync  # the next SUT must not share the disk with this one's writeback
}

emit_row() {  # rep sut client assoc instances wall p50 p90 p99 max
  local inst_per_group=""
  [[ -n "$groups" && "$groups" != 0 ]] &&
    inst_per_group="$(awk -v n="$5" -v g="$groups" 'BEGIN { printf "%.2f", n / g }')"
  awk -v OFS=, -v rep="$1" -v sut="$2" -v client="$3" -v assoc="$4" -v n="$5" \
    -v bytes="$corpus_bytes" -v wall="$6" -v p50="$7" -v p90="$8" -v p99="$9" -v mx="${10}" \
    -v rss="$peak_rss" -v scope="$rss_scope" -v cpu="$sut_cpu" -v groups="$groups" \
    -v ipg="$inst_per_group" -v stored="$stored" -v check="$check" \
    -v load1="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
      print rep, sut, client, assoc, n, bytes, sprintf("%.3f", wall), sprintf("%.1f", n / wall),
            sprintf("%.1f", bytes / 1e6 / wall), p50, p90, p99, mx, rss, scope, cpu, groups, ipg,
            stored, check, load1 }' >>"$csv"
}

run_storescu() {  # rep sut assoc
  local rep=$1 sut=$2 assoc=$3 tag="r$1-$2-storescu-$3"
  log "round $rep: $sut, $count instances, $assoc x storescu"
  start_sut "$sut" "$assoc" "$tag"
  local k i clients=() t0 t1 failed=0
  t0="$(date +%s%N)"
  for ((k = 0; k < assoc; k++)); do
    local part=()
    for ((i = k; i < count; i += assoc)); do
      part+=("${files[i]}")
    done
    timeout 120 storescu -R -aet BENCH -aec "$sut_called_ae" --max-pdu "$max_pdu" \
      127.0.0.1 "$sut_port" "${part[@]}" >"$out_dir/logs/$tag.client$k.log" 2>&1 &
    clients+=($!)
    pids+=($!)
  done
  for k in "${clients[@]}"; do
    wait "$k" || failed=$((failed + 1))
  done
  t1="$(date +%s%N)"
  ((failed == 0)) || die "$failed storescu process(es) failed for $sut (logs: $out_dir/logs/$tag.*)"
  finish_sut "$sut" "$count"
  emit_row "$rep" "$sut" storescu "$assoc" "$count" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e9 }')" "" "" "" ""
}

run_latency() {  # rep sut
  local rep=$1 sut=$2 tag="r$1-$2-latency-1"
  log "round $rep: $sut, $count instances, acc_store_latency (1 association)"
  start_sut "$sut" 1 "$tag"
  local line n wall p50 p90 p99 mx
  line="$(timeout 120 "$latency_tool" --port "$sut_port" --dir "$work/corpus" \
    --called-ae "$sut_called_ae" --max-pdu "$max_pdu" \
    --latencies "$out_dir/logs/$tag.latencies.txt" 2>"$out_dir/logs/$tag.client.log")" ||
    die "acc_store_latency failed against $sut: $(tail -3 "$out_dir/logs/$tag.client.log")"
  finish_sut "$sut" "$count"
  # instances,bytes,wall_s,inst_per_s,mb_per_s,p50_ms,p90_ms,p99_ms,max_ms
  IFS=, read -r n _ wall _ _ p50 p90 p99 mx <<<"$line"
  emit_row "$rep" "$sut" acc_store_latency 1 "$n" "$wall" "$p50" "$p90" "$p99" "$mx"
}

# ---- rounds ----------------------------------------------------------------------------------
suts=(S0 S1 R0 R2)
for ((rep = 1; rep <= reps; rep++)); do
  calibrate "round $rep"
  for ((j = 0; j < ${#suts[@]}; j++)); do
    sut="${suts[(j + rep - 1) % ${#suts[@]}]}"
    run_storescu "$rep" "$sut" 1
    run_storescu "$rep" "$sut" 8
    run_latency "$rep" "$sut"
  done
done
calibrate after

# ---- report -----------------------------------------------------------------------------------
avg_bytes=$((corpus_bytes / count))
report="$out_dir/results.md"
# mawk has no asort: medians by insertion sort.
awk_median='function median(s,   a, n, i, j, t) {
  n = split(s, a, " ")
  for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
  if (n == 0) return ""
  return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function lo(s,   a, n, i, m) { n = split(s, a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 < m) m = a[i] + 0; return m }
function hi(s,   a, n, i, m) { n = split(s, a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 > m) m = a[i] + 0; return m }'
{
  echo "### Machine"
  echo
  sed 's/^/    /' "$out_dir/machine.txt"
  echo "    load_average_at_end=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "### Calibration: acc_fsync_probe (append + fdatasync to a growing file, 1.5 s per block size, same filesystem as the storage directories)"
  echo
  echo "| phase | 4 KiB syncs/s | 512 KiB syncs/s | 512 KiB MB/s | 4 MiB syncs/s | 4 MiB MB/s |"
  echo "|---|---:|---:|---:|---:|---:|"
  awk -F, 'NR > 1 { ph[$1] = 1; order[++n] = $1; r[$1 "," $3] = $6; m[$1 "," $3] = $7 }
    END { for (i = 1; i <= n; i++) { p = order[i]; if (seen[p]++) continue
      printf "| %s | %.0f | %.0f | %.0f | %.1f | %.0f |\n", p, r[p ",4096"], r[p ",524288"], m[p ",524288"], r[p ",4194304"], m[p ",4194304"] } }' \
    "$out_dir/calibration.csv"
  echo
  echo "Corpus: $count CT instances, $corpus_bytes bytes ($avg_bytes bytes each), Explicit VR LE, one study and series."
  echo
  echo "### Results: median of $reps round(s) (MB = 10^6 bytes; storescu wall = first client start to last client exit)"
  echo
  echo "| SUT | client | assoc | inst/s (min–max) | MB/s | p50 ms | p99 ms | SUT peak RSS MiB | SUT CPU s | inst/group | stored | check |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  awk -F, "$awk_median"'
    NR > 1 { k = $2 "|" $3 "|" $4; if (!(k in seen)) { seen[k] = 1; keys[++n] = k }
      rate[k] = rate[k] " " $8; mb[k] = mb[k] " " $9; if ($10 != "") { p50[k] = p50[k] " " $10; p99[k] = p99[k] " " $12 }
      if ($14 + 0 > rss[k] + 0) rss[k] = $14; fork[k] = ($15 ~ /fork/); c = $16; sub(/ .*/, "", c); cpu[k] = cpu[k] " " c
      if ($18 != "") ipg[k] = ipg[k] " " $18; st[k] = $19; if ($20 != "ok") chk[k] = $20 }
    END { for (i = 1; i <= n; i++) { k = keys[i]; split(k, f, "|")
      printf "| %s | %s | %s | %.0f (%.0f–%.0f) | %.0f | %s | %s | %.1f%s | %.2f%s | %s | %s | %s |\n",
        f[1], f[2], f[3], median(rate[k]), lo(rate[k]), hi(rate[k]), median(mb[k]),
        (k in p50) ? sprintf("%.2f", median(p50[k])) : "–", (k in p99) ? sprintf("%.2f", median(p99[k])) : "–",
        rss[k] / 1024, fork[k] ? " (fork Σ)" : "", median(cpu[k]), fork[k] ? " (parent)" : "",
        (k in ipg) ? sprintf("%.2f", median(ipg[k])) : "–", st[k], (k in chk) ? chk[k] : "ok" } }' "$csv"
  echo
  echo "### Ratios of median inst/s"
  echo
  awk -F, -v avg="$avg_bytes" "$awk_median"'
    FNR == NR { if (FNR > 1) mbps[$3] = mbps[$3] " " $7; next }
    FNR > 1 { k = $2 "," $3 "," $4; rate[k] = rate[k] " " $8 }
    END {
      c512 = median(mbps[524288]) * 1e6 / avg; c4m = median(mbps[4194304]) * 1e6 / avg
      printf "Synced-write ceiling for %d-byte objects (median calibration): %.0f inst/s at 512 KiB per fdatasync (1 instance per sync), %.0f inst/s at 4 MiB per fdatasync (~8 instances per group).\n\n", avg, c512, c4m
      print "| client, assoc | R0/S0 | R0/S1 | R0/R2 | R0 / ceiling(512 KiB) | R0 / ceiling(4 MiB) |"
      print "|---|---:|---:|---:|---:|---:|"
      n = split("storescu,1 storescu,8 acc_store_latency,1", keys, " ")
      for (i = 1; i <= n; i++) {
        k = keys[i]; r0 = median(rate["R0," k])
        printf "| %s | %.2f | %.2f | %.2f | %.2f | %.2f |\n", k, r0 / median(rate["S0," k]),
               r0 / median(rate["S1," k]), r0 / median(rate["R2," k]), r0 / c512, r0 / c4m
      }
    }' "$out_dir/calibration.csv" "$csv"
} >"$report"
cat "$report"
log "results in $out_dir (results.csv, calibration.csv, results.md, logs/)"
if grep -q ',FAIL' "$csv"; then
  exit 1
fi
