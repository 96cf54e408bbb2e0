#!/usr/bin/env bash
# Worklist refresh of Accessioner against DCMTK findscu, same MWL SCP (DCMTK wlmscpfs), one run.
#
# Usage: benchmarks/worklist_refresh_benchmark.sh [ACCESSIONER] [--sizes "10000 100000"] [--reps 3]
#          [--out DIR] [--work-base DIR] [--budget SECONDS] [--no-netns] [--keep]
#
# ACCESSIONER: the binary (also the ACCESSIONER environment variable); default build/router/accessioner.
#
# For each size N, make_worklist.py writes N worklist files (all scheduled today) once, and one
# wlmscpfs (forking, one child per association) serves them. An empty folder (N = 0) is served too:
# it gives Accessioner's memory baseline. Each round measures, for every N:
#   findscu      one C-FIND in the worklist model with the return keys and the date range
#                (yesterday..tomorrow) Accessioner sends; -v -sr logs one line per response, which
#                the script counts. Wall time from launch to exit, CPU and max RSS (/usr/bin/time).
#   accessioner  `serve` with a fresh storage directory and a [worklist] with refresh_s = 86400: its
#                refresh at start is the one measured. Time from the "listening" log line to the
#                "worklist refreshed" line (both ms timestamps); the refresh starts right after the
#                first, and the line comes after the changed entries are in the store (it says
#                how long that write took). Then VmRSS / VmHWM and process CPU 0.5 s later, and
#                the store directory's size.
# The order of the two alternates between rounds. A warm-up findscu per N runs first, untimed, so
# wlmscpfs finds every file in the page cache. Every DCMTK process runs with TCP_NODELAY=1.
# Writes results.csv, machine.txt, results.md and logs/ to --out and prints results.md. Bounded by
# a watchdog (--budget, default 1800 s); cleans up on any exit.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "$script_dir")"
# shellcheck source=benchmarks/lib.sh
source "$script_dir/lib.sh"

accessioner="${ACCESSIONER:-$repo_dir/build/router/accessioner}"
sizes="10000 100000"
reps=3
out_dir=""
work_base="${TMPDIR:-/tmp}"
budget_s=1800
use_netns=1
keep=0
readonly mwl_ae=RIS
readonly max_pdu=131072

usage() {
  sed -n '4,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}

args=("$@")
while (($# > 0)); do
  case "$1" in
    --sizes) sizes="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --out) out_dir="$2"; shift 2 ;;
    --work-base) work_base="$2"; shift 2 ;;
    --budget) budget_s="$2"; shift 2 ;;
    --no-netns) use_netns=0; shift ;;
    --keep) keep=1; shift ;;
    -h | --help) usage 0 ;;
    -*) echo "unknown argument: $1" >&2; usage ;;
    *) accessioner="$1"; shift ;;
  esac
done
if ! [[ "$reps" =~ ^[1-9][0-9]*$ ]]; then echo "--reps must be an integer >= 1" >&2; exit 2; fi
[[ "$budget_s" =~ ^[0-9]+$ ]] || { echo "--budget must be an integer" >&2; exit 2; }
read -ra size_list <<<"$sizes"
((${#size_list[@]} > 0)) || { echo "--sizes is empty" >&2; exit 2; }
for n in "${size_list[@]}"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "--sizes: '$n' is not a positive integer" >&2; exit 2; }
done
size_list=(0 "${size_list[@]}")  # 0: the memory baseline
accessioner="$(realpath "$accessioner")"
[[ -n "$out_dir" ]] && { mkdir -p "$out_dir"; out_dir="$(realpath "$out_dir")"; }
work_base="$(mkdir -p "$work_base" && realpath "$work_base")"

# Relative paths stay valid: the namespace keeps the working directory and the environment.
((use_netns)) && bench_reexec_in_netns "${BASH_SOURCE[0]}" "${args[@]}"

# DCMTK 3.6.7 keeps Nagle's algorithm on unless this is set; exported so no DCMTK process misses
# it. Accessioner sets TCP_NODELAY in code.
export TCP_NODELAY=1

for tool in wlmscpfs findscu ss findmnt /usr/bin/time /usr/bin/python3; do
  command -v "$tool" >/dev/null || die "$tool not found (packages dcmtk, iproute2, util-linux, time, python3)"
done
/usr/bin/python3 -c 'import pydicom' 2>/dev/null || die "pydicom not found (package python3-pydicom)"
[[ -x "$accessioner" ]] || die "no accessioner binary at $accessioner (pass its path or ACCESSIONER=...)"

work="$(mktemp -d "$work_base/acc-wl-bench.XXXXXX")"
out_dir="${out_dir:-${TMPDIR:-/tmp}/acc-worklist-bench-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out_dir/logs"

pids=()
cleanup() {
  local rc=$?
  local pid child
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      # wlmscpfs forks a child per association (and the watchdog sleeps in one).
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
disown $!

# ---- machine --------------------------------------------------------------------------------
today="$(date +%Y%m%d)"
date_from="$(date -d "$today -1 day" +%Y%m%d)"
date_to="$(date -d "$today +1 day" +%Y%m%d)"
{
  machine_notes "$work"
  echo "accessioner=$accessioner"
  echo "accessioner_version=$("$accessioner" --version 2>/dev/null | head -1 || echo '?')"
  echo "accessioner_mtime_utc=$(date -u -r "$accessioner" +%Y-%m-%dT%H:%M:%SZ)"
  echo "repo_commit=$(git -C "$repo_dir" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$repo_dir" diff --quiet 2>/dev/null || echo '+dirty')"
  echo "pydicom=$(/usr/bin/python3 -c 'import pydicom; print(pydicom.__version__)')"
  echo "timezone=$(date +%Z) scheduled_date=$today window=$date_from-$date_to"
  echo "command=$0 ${args[*]}"
} >"$out_dir/machine.txt"

# ---- worklists and SCPs ------------------------------------------------------------------------
declare -A scp_port scp_pid
for n in "${size_list[@]}"; do
  log "writing $n worklist file(s)"
  t0="$(date +%s%N)"
  /usr/bin/python3 "$script_dir/make_worklist.py" "$n" "$work/wl-$n/$mwl_ae" --date "$today" \
    2>"$out_dir/logs/make_worklist-$n.log" || die "make_worklist.py failed: $(tail -3 "$out_dir/logs/make_worklist-$n.log")"
  echo "worklist_files_$n=$(find "$work/wl-$n/$mwl_ae" -name '*.wl' | wc -l) generated in $(( ($(date +%s%N) - t0) / 1000000 )) ms, $(du -sb "$work/wl-$n" | awk '{ print $1 }') bytes" \
    >>"$out_dir/machine.txt"
  port="$(free_port)"
  # -csk: return the Specific Character Set of the files (ISO_IR 100), as a RIS would.
  wlmscpfs -dfp "$work/wl-$n" -csk "$port" >"$out_dir/logs/wlmscpfs-$n.log" 2>&1 &
  pids+=($!)
  disown $!  # no "Killed" job notice when cleanup ends it
  wait_listening "${pids[-1]}" "$port" 10 || die "wlmscpfs did not start: $(tail -5 "$out_dir/logs/wlmscpfs-$n.log")"
  scp_port[$n]=$port
  scp_pid[$n]=${pids[-1]}
done

# The C-FIND identifier of router/stamping/worklist_cache.cpp + dicom/data/worklist_item.cpp (build_query):
# the same return keys, the SPS date range yesterday..tomorrow, any modality.
sps="ScheduledProcedureStepSequence[0]"
find_keys=(
  -k SpecificCharacterSet= -k AccessionNumber= -k ReferringPhysicianName= -k PatientName=
  -k PatientID= -k IssuerOfPatientID= -k PatientBirthDate= -k PatientSex= -k StudyInstanceUID=
  -k RequestedProcedureDescription= -k RequestedProcedureID= -k IssuerOfAccessionNumberSequence
  -k "$sps.Modality=" -k "$sps.ScheduledStationAETitle="
  -k "$sps.ScheduledProcedureStepStartDate=$date_from-$date_to"
  -k "$sps.ScheduledProcedureStepStartTime=" -k "$sps.ScheduledProcedureStepDescription="
  -k "$sps.ScheduledProcedureStepID=" -k "$sps.ScheduledProcedureStepStatus="
)
findscu_args=(findscu -W -v -sr -aet BENCH -aec "$mwl_ae" -pdu "$max_pdu" "${find_keys[@]}" 127.0.0.1)
echo "findscu_command=TCP_NODELAY=1 ${findscu_args[*]@Q} PORT" >>"$out_dir/machine.txt"

csv="$out_dir/results.csv"
echo "rep,client,entries,wall_s,returned,cached,check,rss_kib,hwm_kib,cpu_s,max_rss_kib,snapshot_bytes,snapshot_after_s,rss_at_refreshed_kib,start_to_listening_s,transfer_s,cpu_at_refreshed_s,load1" >"$csv"

row() {  # fields...
  local IFS=,
  echo "$*,$(cut -d' ' -f1 /proc/loadavg)" >>"$csv"
}

# wlmscpfs reads and matches every file before it sends the first response. The time when the
# client's socket to the SCP has received more than 4 KiB (past the A-ASSOCIATE-AC and the first
# few responses) splits each measurement into that search and the transfer of the responses.
# Polls `ss` every 20 ms; writes EPOCHREALTIME to out_file, nothing if the stop file comes first.
first_data_time() {  # scp_port stop_file out_file
  local bytes
  while [[ ! -e "$2" ]]; do
    bytes="$(ss -Htin "dport = :$1" | grep -o 'bytes_received:[0-9]*' | head -1 | cut -d: -f2 || true)"
    if ((${bytes:-0} > 4096)); then
      echo "$EPOCHREALTIME" >"$3"
      return 0
    fi
    sleep 0.02
  done
}

start_first_data() {  # n -> sets fd_pid, fd_out
  fd_out="$work/first-data.out"
  rm -f "$work/first-data.stop" "$fd_out"
  first_data_time "${scp_port[$1]}" "$work/first-data.stop" "$fd_out" &
  fd_pid=$!
  pids+=("$fd_pid")
}

# Prints seconds from the first data to end_s (epoch seconds), or nothing.
stop_first_data() {  # end_s
  touch "$work/first-data.stop"
  wait "$fd_pid" || true
  [[ -s "$fd_out" ]] && awk -v f="$(cat "$fd_out")" -v e="$1" 'BEGIN { printf "%.3f", e - f }'
  return 0
}

run_findscu() {  # rep n [warmup]
  local rep=$1 n=$2 tag="r$1-findscu-$2" t0 t1 count check=ok
  [[ -n "${3:-}" ]] && tag="warmup-findscu-$n"
  local flog="$out_dir/logs/$tag.log"
  wait_scp_idle "$n"
  start_first_data "$n"
  t0="$(date +%s%N)"
  timeout 900 /usr/bin/time -f '%e %U %S %M' -o "$work/time.out" "${findscu_args[@]}" "${scp_port[$n]}" \
    >"$flog" 2>&1 || die "findscu failed ($n entries): $(tail -3 "$flog")"
  t1="$(date +%s%N)"
  local transfer
  transfer="$(stop_first_data "$(awk -v t="$t1" 'BEGIN { printf "%.6f", t / 1e9 }')")"
  [[ -n "${3:-}" ]] && return 0
  count="$(grep -c 'Received Find Response [0-9]* (Pending' "$flog" || true)"
  grep -q 'Received Final Find Response (Success)' "$flog" || check="FAIL: no final Success"
  [[ "$count" == "$n" ]] || check="FAIL: $count of $n responses"
  [[ "$check" == ok ]] || log "$check (findscu)"
  local user sys maxrss
  read -r _ user sys maxrss <"$work/time.out"
  row "$rep" findscu "$n" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')" \
    "$count" "" "$check" "" "" "$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')" \
    "$maxrss" "" "" "" "" "$transfer" ""
}

# "EPOCHREALTIME VmRSS_KiB utime+stime_ticks" every ~20 ms until the stop file exists (bash
# builtins and one sleep per sample).
rss_timeline() {  # pid stop_file out_file
  local k v stat f
  while [[ ! -e "$2" && -e "/proc/$1/status" ]]; do
    read -r stat <"/proc/$1/stat" || true
    read -ra f <<<"${stat##*) }"  # f[0] is field 3 (state): utime is f[11], stime f[12]
    # No VmRSS line at all while the process execs: then no sample this time.
    while read -r k v _; do
      if [[ "$k" == VmRSS: ]]; then
        echo "$EPOCHREALTIME $v $((${f[11]:-0} + ${f[12]:-0}))"
        break
      fi
    done <"/proc/$1/status" || true
    sleep 0.02
  done >"$3" 2>/dev/null
}

# The wlmscpfs child of the previous measurement (over 1 GB at 100,000 files) must be gone.
wait_scp_idle() {  # n
  local pid=${scp_pid[$1]} deadline=$((SECONDS + 60))
  while [[ -s "/proc/$pid/task/$pid/children" ]] && ((SECONDS < deadline)); do
    sleep 0.05
  done
}

run_accessioner() {  # rep n
  local rep=$1 n=$2 tag="r$1-accessioner-$2"
  local state="$work/state-$tag" alog="$out_dir/logs/$tag.log"
  mkdir -p "$state"
  cat >"$state/accessioner.toml" <<EOF
[server]
ae_title = "ACCESSIONER"
bind = "127.0.0.1"
port = $(free_port)

[storage]
path = "$state/storage"

[worklist]
ae_title = "$mwl_ae"
host = "127.0.0.1"
port = ${scp_port[$n]}
refresh_s = 86400
days_before = 1
days_after = 1
timeout_s = 600
EOF
  : >"$alog"
  wait_scp_idle "$n"
  start_first_data "$n"
  local t_launch pid
  t_launch="$(date +%s%N)"
  "$accessioner" serve --config "$state/accessioner.toml" >"$alog" 2>&1 &
  pid=$!
  pids+=("$pid")
  rm -f "$work/timeline.stop"
  rss_timeline "$pid" "$work/timeline.stop" "$out_dir/logs/$tag.rss.txt" &
  local sampler=$!
  pids+=("$sampler")
  local deadline=$((SECONDS + 900))
  until grep -q -e 'worklist refreshed:' -e 'worklist refresh from .* failed' "$alog"; do
    kill -0 "$pid" 2>/dev/null || die "accessioner exited: $(tail -5 "$alog")"
    ((SECONDS < deadline)) || die "no worklist refresh within 900 s ($n entries)"
    sleep 0.01
  done
  local transfer
  transfer="$(stop_first_data "$(log_line_ms "$(grep -m1 -e 'worklist refreshed:' "$alog")" |
    awk '{ printf "%.3f", $1 / 1e3 }')")"
  sleep 0.5  # let the refresh's and the snapshot's transients settle before sampling VmRSS
  local rss hwm cpu
  rss="$(status_kib "$pid" VmRSS)"
  hwm="$(status_kib "$pid" VmHWM)"
  cpu="$(cpu_seconds "$pid")"
  touch "$work/timeline.stop"
  wait "$sampler" || true
  stop_process "$pid"
  grep -q 'stopped:' "$alog" || log "no 'stopped:' line in $alog"

  local listen_ms refreshed_ms line returned="" cached="" check=ok snap_bytes="" snap_after=""
  listen_ms="$(log_line_ms "$(grep -m1 'accessioner listening on' "$alog")")"
  line="$(grep -m1 -e 'worklist refreshed:' -e 'worklist refresh from .* failed' "$alog")"
  refreshed_ms="$(log_line_ms "$line")"
  if [[ "$line" =~ refreshed:\ ([0-9]+)\ item\(s\)\ returned,\ ([0-9]+)\ cached ]]; then
    returned="${BASH_REMATCH[1]}"
    cached="${BASH_REMATCH[2]}"
    [[ "$returned" == "$n" && "$cached" == "$n" ]] || check="FAIL: returned $returned, cached $cached of $n"
  else
    check="FAIL: refresh failed"
  fi
  if grep -q -e 'could not be decoded' -e 'warn' "$alog"; then
    grep -e 'could not be decoded' -e 'warn' "$alog" | grep -v 'no \[\[destination\]\]' >&2 || true
  fi
  [[ "$check" == ok ]] || log "$check (accessioner): $(grep -e worklist "$alog" | tail -2)"
  # VmRSS of the last sample before the "refreshed" line: the cache without the snapshot's JSON.
  local rss_refreshed cpu_refreshed
  rss_refreshed="$(awk -v r="$refreshed_ms" '$1 * 1000 <= r { v = $2 } END { print v }' "$out_dir/logs/$tag.rss.txt")"
  cpu_refreshed="$(awk -v r="$refreshed_ms" -v hz="$(getconf CLK_TCK)" \
    '$1 * 1000 <= r { v = $3 } END { if (v != "") printf "%.2f", v / hz }' "$out_dir/logs/$tag.rss.txt")"
  # The cache is persisted in the store's `worklist` column family before the "refreshed" line,
  # which says how long that write took; the store directory's size after it is the cost on disk.
  if [[ "$line" =~ written\ in\ ([0-9]+)\ ms ]]; then
    snap_after="$(awk -v ms="${BASH_REMATCH[1]}" 'BEGIN { printf "%.3f", ms / 1e3 }')"
  fi
  snap_bytes="$(du -sb "$state/storage" 2>/dev/null | awk '{ print $1 }')"
  row "$rep" accessioner "$n" \
    "$(awk -v a="$listen_ms" -v b="$refreshed_ms" 'BEGIN { printf "%.3f", (b - a) / 1e3 }')" \
    "$returned" "$cached" "$check" "$rss" "$hwm" "$cpu" "" "$snap_bytes" "$snap_after" "$rss_refreshed" \
    "$(awk -v a="$t_launch" -v b="$listen_ms" 'BEGIN { printf "%.3f", b / 1e3 - a / 1e9 }')" \
    "$transfer" "$cpu_refreshed"
  rm -rf "$state"
}

# ---- rounds -----------------------------------------------------------------------------------
for n in "${size_list[@]}"; do
  log "warm-up: findscu, $n entries"
  run_findscu 0 "$n" warmup
done
for ((rep = 1; rep <= reps; rep++)); do
  for n in "${size_list[@]}"; do
    log "round $rep: $n entries"
    if ((rep % 2)); then
      run_findscu "$rep" "$n"
      run_accessioner "$rep" "$n"
    else
      run_accessioner "$rep" "$n"
      run_findscu "$rep" "$n"
    fi
  done
done

# ---- report -----------------------------------------------------------------------------------
echo "load_average_at_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$out_dir/machine.txt"
/usr/bin/python3 - "$csv" "$out_dir/machine.txt" >"$out_dir/results.md" <<'PY'
import csv, statistics, sys

rows = list(csv.DictReader(open(sys.argv[1])))
sizes = sorted({int(r["entries"]) for r in rows})

def vals(client, n, key):
    return [float(r[key]) for r in rows
            if r["client"] == client and int(r["entries"]) == n and r[key] != ""]

def med(client, n, key):
    v = vals(client, n, key)
    return statistics.median(v) if v else float("nan")

def spread(client, n, key, fmt):
    v = vals(client, n, key)
    return f"{fmt.format(statistics.median(v))} ({fmt.format(min(v))}–{fmt.format(max(v))})"

mib = lambda kib: kib / 1024
print("### Machine\n")
for line in open(sys.argv[2]):
    print("    " + line.rstrip())
print(f"\n### Time: median of {len({r['rep'] for r in rows})} round(s), min–max in brackets\n")
print("| entries | findscu wall s | Accessioner refresh s | **ratio A/F** | ratio of the increase over 0 entries | "
      "findscu transfer s | A transfer s | transfer ratio A/F | "
      "A returned / cached | A CPU s at the line (− 0-entry run) | A CPU s after + 0.5 s | findscu CPU s | check |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
f0, a0 = med("findscu", 0, "wall_s"), med("accessioner", 0, "wall_s")
for n in sizes:
    f, a = vals("findscu", n, "wall_s"), vals("accessioner", n, "wall_s")
    ratios = [x / y for x, y in zip(a, f) if y > 0]
    fm, am = med("findscu", n, "wall_s"), med("accessioner", n, "wall_s")
    inc = f"{(am - a0) / (fm - f0):.2f}" if n and fm > f0 else "–"
    xfer = lambda c: spread(c, n, "transfer_s", "{:.2f}") if n >= 1000 and vals(c, n, "transfer_s") else "–"
    xf, xa = vals("findscu", n, "transfer_s"), vals("accessioner", n, "transfer_s")
    if n < 1000:  # a few responses: the 20 ms polling and the ms log stamps dominate
        xf = xa = []
    xratio = f"{statistics.median(xa) / statistics.median(xf):.2f}" if xf and xa else "–"
    ret = sorted({(r["returned"], r["cached"]) for r in rows
                  if r["client"] == "accessioner" and int(r["entries"]) == n})
    checks = sorted({r["check"] for r in rows if int(r["entries"]) == n} - {"ok"})
    acpu, rcpu = med("accessioner", n, "cpu_s"), med("accessioner", n, "cpu_at_refreshed_s")
    print(f"| {n:,} | {spread('findscu', n, 'wall_s', '{:.3f}')} | "
          f"{spread('accessioner', n, 'wall_s', '{:.3f}')} | **{am / fm:.2f}** "
          f"({min(ratios):.2f}–{max(ratios):.2f}) | {inc} | "
          f"{xfer('findscu')} | {xfer('accessioner')} | {xratio} | "
          f"{', '.join(r + ' / ' + c for r, c in ret)} | "
          f"{rcpu:.2f} ({rcpu - med('accessioner', 0, 'cpu_at_refreshed_s'):.2f}) | {acpu:.2f} | "
          f"{spread('findscu', n, 'cpu_s', '{:.2f}')} | {'; '.join(checks) or 'ok'} |")
print("\nfindscu wall: launch to exit. Accessioner refresh: its \"listening\" log line to its "
      "\"worklist refreshed\" line; excludes the process start (RocksDB open), includes writing the changed entries to the store. "
      "Ratio of the increase: (A(N) − A(0)) / (F(N) − F(0)), without the fixed per-run costs. "
      "Transfer: from the moment the client's socket to the SCP had received 4 KiB (wlmscpfs has "
      "read and matched every file by then; `ss` polled every 20 ms) to findscu's exit / "
      "Accessioner's \"refreshed\" line; the rest of each wall time is wlmscpfs's search, the same "
      "work for both clients.")
print("\n### Memory: Accessioner VmRSS (median), MiB = 2^20 bytes\n")
print("| entries | at the \"refreshed\" line | after the line + 0.5 s | VmHWM | "
      "Δ after vs 0 entries | **Δ per 10k entries** | Δ per 10k at the \"refreshed\" line | "
      "store dir MB | of which the store write, s | findscu max RSS |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
b_rss, b_ref = med("accessioner", 0, "rss_kib"), med("accessioner", 0, "rss_at_refreshed_kib")
for n in sizes:
    rss, ref = med("accessioner", n, "rss_kib"), med("accessioner", n, "rss_at_refreshed_kib")
    per = lambda d: f"{mib(d) / n * 10000:.1f}" if n else "–"
    print(f"| {n:,} | {mib(ref):.1f} | {mib(rss):.1f} | {mib(med('accessioner', n, 'hwm_kib')):.1f} | "
          f"{mib(rss - b_rss):.1f} | **{per(rss - b_rss)}** | {per(ref - b_ref)} | "
          f"{med('accessioner', n, 'snapshot_bytes') / 1e6:.1f} | "
          f"{med('accessioner', n, 'snapshot_after_s'):.2f} | {mib(med('findscu', n, 'max_rss_kib')):.1f} |")
print("\nThe \"refreshed\" column is the last ~20 ms VmRSS sample before that log line (cache merged "
      "and persisted); the store write time is the one the line reports.")
PY
cat "$out_dir/results.md"
log "results in $out_dir"
