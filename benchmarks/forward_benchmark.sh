#!/usr/bin/env bash
# Forwarding benchmark: Accessioner against a direct send and against Orthanc + Lua, in one run,
# on loopback.
#
# Usage: benchmarks/forward_benchmark.sh [--build-dir DIR] [--count 500] [--backlog 10000] [--out DIR]
#                                        [--pace 25] [--work-base DIR] [--no-netns] [--keep]
#                                        [--only e2e|latency|backlog]
#
# 1. End-to-end throughput: --count CT instances (acc_make_ct_corpus, 525 KB each), 1 and 8
#    concurrent storescu processes, wall time from the first storescu start until the PACS sink
#    (`storescp --fork -od DIR`) has written the last of them (newest file mtime):
#      D  storescu -> sink                                         (the ceiling)
#      A  storescu -> accessioner (sync=true, 1 destination, max_associations 4) -> sink
#      O  storescu -> Orthanc (SQLite, Lua OnStoredInstance: Delete(SendToModality(..., 'sink'))) -> sink
# 2. Latency from the C-STORE-RSP at the modality to the arrival at the PACS, for A and O:
#    acc_store_latency (1 association) logs CLOCK_REALTIME per RSP, acc_fwd_sink (DCMTK DcmSCPPool,
#    discards) logs CLOCK_REALTIME per arrival; joined on SOP Instance UID. Closed loop (as fast as
#    the SUT answers) and paced at --pace instances/s (a modality producing images at that rate).
# 3. Backlog drain: with the destination down, --backlog small CT instances (128x256x16 bit,
#    ~66 KB) via 8 storescu; then the sink starts and the queue drains. Drain rate, time to
#    empty, Accessioner RSS at the peak backlog, and the storage size before and after: RocksDB
#    (WAL + SST) and the object segment files, polled once a second after the last arrival
#    until it is back within 10 % of its size before the backlog (issue 11: <= 60 s).
# Every DCMTK process (storescu, storescp, Orthanc, acc_fwd_sink) runs with TCP_NODELAY=1.
# Writes e2e.csv, latency.csv, backlog.csv, machine.txt, results.md and logs/ to --out and prints
# results.md. Bounded by a 470 s watchdog; cleans up on any exit.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "$script_dir")"

build_dir="$repo_dir/build-bench"
count=500
backlog=10000
pace=25
out_dir=""
work_base="${TMPDIR:-/tmp}"
use_netns=1
keep=0
only=""
readonly budget_s=470
readonly max_pdu=131072
readonly wait_s=150  # longest wait for one measurement to complete
readonly orthanc_bin=/usr/sbin/Orthanc

usage() {
  sed -n '5,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}

args=("$@")
while (($# > 0)); do
  case "$1" in
    --build-dir) build_dir="$(realpath "$2")"; shift 2 ;;
    --count) count="$2"; shift 2 ;;
    --backlog) backlog="$2"; shift 2 ;;
    --pace) pace="$2"; shift 2 ;;
    --out) out_dir="$2"; shift 2 ;;
    --work-base) work_base="$2"; shift 2 ;;
    --no-netns) use_netns=0; shift ;;
    --keep) keep=1; shift ;;
    --only) only="$2"; shift 2 ;;
    -h | --help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done
[[ "$count" =~ ^[0-9]+$ ]] && ((count >= 8)) || { echo "--count must be an integer >= 8" >&2; exit 2; }
[[ "$backlog" =~ ^[0-9]+$ ]] && ((backlog >= 8)) ||
  { echo "--backlog must be an integer >= 8" >&2; exit 2; }
[[ "$pace" =~ ^[0-9]+$ ]] && ((pace >= 1)) || { echo "--pace must be an integer >= 1" >&2; exit 2; }

# A private network namespace holds only a loopback interface: storescp and Orthanc listen on all
# interfaces, and there nothing outside can reach them.
if ((use_netns)) && [[ -z "${ACC_BENCH_IN_NETNS:-}" ]] && unshare -rn true 2>/dev/null; then
  export ACC_BENCH_IN_NETNS=1
  exec unshare -rn -- bash -c 'ip link set lo up && exec "$0" "$@"' "${BASH_SOURCE[0]}" "${args[@]}"
fi

# DCMTK 3.6.7 (and Orthanc's DICOM side, which is DCMTK) keeps Nagle's algorithm on unless this is
# set: every C-STORE would wait ~40 ms for a delayed ACK (performance notes §4.4).
export TCP_NODELAY=1

accessioner="$build_dir/router/accessioner"
corpus_tool="$build_dir/benchmarks/acc_make_ct_corpus"
latency_tool="$build_dir/benchmarks/acc_store_latency"
sink_tool="$build_dir/benchmarks/acc_fwd_sink"

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for tool in storescp storescu ss findmnt jq; do
  command -v "$tool" >/dev/null || die "$tool not found (packages dcmtk, iproute2, util-linux, jq)"
done
[[ -x "$orthanc_bin" ]] || die "$orthanc_bin not found (package orthanc)"
missing=()
for bin in "$accessioner" "$corpus_tool" "$latency_tool" "$sink_tool"; do
  [[ -x "$bin" ]] || missing+=("$(basename "$bin")")
done
if ((${#missing[@]} > 0)); then
  [[ -f "$build_dir/CMakeCache.txt" ]] ||
    die "no build in $build_dir; configure with -DCMAKE_BUILD_TYPE=Release -DACC_BUILD_BENCHMARKS=ON"
  log "building ${missing[*]} in $build_dir"
  cmake --build "$build_dir" -j2 --target "${missing[@]}" >&2
fi

mkdir -p "$work_base"
work="$(mktemp -d "$work_base/acc-fwd-bench.XXXXXX")"
out_dir="${out_dir:-${TMPDIR:-/tmp}/acc-forward-bench-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out_dir/logs"
out_dir="$(realpath "$out_dir")"
started_s=$SECONDS

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

# A port below the ephemeral range (so no client connection of an earlier run can hold it) that
# no socket uses in any state, and that this run has not handed out yet (the backlog test keeps a
# port unbound while other ports are picked). Sets the variable named $1: a command substitution
# would run in a subshell and forget the ports handed out.
used_ports=" "
free_port() {  # var
  local low p
  low="$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
  ((low > 11000)) || low=32768
  for _ in $(seq 200); do
    p=$((10000 + RANDOM % (low - 10000)))
    if [[ "$used_ports" != *" $p "* && -z "$(ss -Htan "( sport = :$p or dport = :$p )")" ]]; then
      used_ports+="$p "
      printf -v "$1" '%s' "$p"
      return 0
    fi
  done
  die "no free port found"
}

wait_listening() {  # pid port seconds
  local deadline=$((SECONDS + $3))
  until [[ -n "$(ss -Hltn "sport = :$2")" ]]; do
    kill -0 "$1" 2>/dev/null || return 1
    ((SECONDS < deadline)) || return 1
    sleep 0.02
  done
}

# Sends SIGTERM and waits for the process to exit; SIGKILL after 30 s.
stop_process() {
  local pid=$1 deadline=$((SECONDS + 30)) child
  [[ -n "$pid" ]] || return 0
  for child in $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do
    kill -TERM "$child" 2>/dev/null || true
  done
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "pid $pid ignored SIGTERM for 30 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.05
  done
  wait "$pid" 2>/dev/null || true
}

status_kib() {  # pid field -> value in KiB
  awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

# utime+stime+cutime+cstime in seconds.
cpu_seconds() {
  local fields
  fields="$(sed 's/^.*) //' "/proc/$1/stat")"
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($12 + $13 + $14 + $15) / hz }' <<<"$fields"
}

now_ns() { date +%s%N; }
seconds_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
du_kib() { du -sk "$1" 2>/dev/null | awk '{ print $1 }'; }
# "total KiB (WAL *.log KiB + SST KiB + segments KiB)" of a storage directory, by allocated
# blocks; segments/seg-*.log are the object bytes (issue 11), not WAL.
db_kib() {
  du -ak "$1" 2>/dev/null | awk '$2 ~ /\/segments\// { g += $1; next } $2 ~ /\.log$/ { w += $1 }
    $2 ~ /\.sst$/ { s += $1 } $2 == dir { t = $1 }
    END { printf "%d (WAL %d + SST %d + segments %d)", t, w, s, g }' dir="$1"
}
total_kib() { du -sk "$1" 2>/dev/null | awk '{ print $1 }'; }

# ---- machine and corpora ----------------------------------------------------------------------
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
  echo "orthanc=$("$orthanc_bin" --version 2>&1 | awk 'NR == 1 { print $2 }')"
  echo "accessioner_commit=$(git -C "$repo_dir" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$repo_dir" diff --quiet 2>/dev/null || echo '+dirty')"
  echo "accessioner_binary_mtime=$(date -u -r "$accessioner" +%Y-%m-%dT%H:%M:%SZ)"
  echo "build_type=$(awk -F= '/^CMAKE_BUILD_TYPE:/ { print $2 }' "$build_dir/CMakeCache.txt" 2>/dev/null)"
  echo "netns=${ACC_BENCH_IN_NETNS:-0}"
  echo "command=$0 ${args[*]}"
} >"$out_dir/machine.txt"

log "generating $count CT instances and $backlog small CT instances in $work"
"$corpus_tool" --count "$count" --out "$work/corpus" >"$out_dir/logs/corpus.log"
"$corpus_tool" --count "$backlog" --rows 128 --columns 256 --out "$work/small" \
  >>"$out_dir/logs/corpus.log"
mapfile -t files < <(find "$work/corpus" -name '*.dcm' | sort)
mapfile -t small_files < <(find "$work/small" -name '*.dcm' | sort)
((${#files[@]} == count)) || die "corpus has ${#files[@]} files, expected $count"
((${#small_files[@]} == backlog)) || die "small corpus has ${#small_files[@]} files, expected $backlog"
corpus_bytes="$(du -cb "${files[@]}" | awk 'END { print $1 }')"
small_bytes="$(du -cb "${small_files[@]}" | awk 'END { print $1 }')"
# The paced latency run sends the first pace*10 instances: ten seconds of a modality's output.
pace_count=$((pace * 10 < count ? pace * 10 : count))
cat "${files[@]}" "${small_files[@]}" >/dev/null  # pre-warm: clients must never wait on the disk
sync

# ---- sinks (the PACS) ---------------------------------------------------------------------------
sink_pid=""
sink_port=""
sink_dir=""
sink_log=""

# storescp --fork: each association in its own process, files written to DIR, no fsync.
start_od_sink() {  # tag
  free_port sink_port
  sink_dir="$work/sink-$1"
  mkdir -p "$sink_dir"
  storescp --fork -od "$sink_dir" --max-pdu "$max_pdu" -aet SINK "$sink_port" \
    >"$out_dir/logs/$1.sink.log" 2>&1 &
  sink_pid=$!
  pids+=("$sink_pid")
  wait_listening "$sink_pid" "$sink_port" 10 || die "storescp did not start"
}

# acc_fwd_sink: logs "unix_ns,uid" per arrival; writes $sink_log.done after `expect` distinct UIDs.
start_rec_sink() {  # tag expect [port]
  if [[ -n "${3:-}" ]]; then
    sink_port=$3
  else
    free_port sink_port
  fi
  sink_log="$out_dir/logs/$1.arrivals.csv"
  rm -f "$sink_log" "$sink_log.done"
  "$sink_tool" --port "$sink_port" --aet SINK --max-pdu "$max_pdu" --log "$sink_log" \
    --expect "$2" --done "$sink_log.done" >"$out_dir/logs/$1.sink.log" 2>&1 &
  sink_pid=$!
  pids+=("$sink_pid")
  wait_listening "$sink_pid" "$sink_port" 10 || die "acc_fwd_sink did not start"
}

od_sink_count() {
  local f=("$sink_dir"/*)
  [[ -e "${f[0]}" ]] && echo "${#f[@]}" || echo 0
}

wait_od_sink() {  # expected -> 0 when the sink holds that many files
  local deadline=$((SECONDS + wait_s))
  while (($(od_sink_count) < $1)); do
    ((SECONDS < deadline)) || return 1
    sleep 0.02
  done
}

wait_rec_sink() {
  local deadline=$((SECONDS + wait_s))
  until [[ -s "$sink_log.done" ]]; do
    ((SECONDS < deadline)) || return 1
    sleep 0.02
  done
}

# ---- systems under test -------------------------------------------------------------------------
sut_pid=""
sut_port=""
sut_state=""
sut_log=""
sut_called_ae=""

start_accessioner() {  # tag dest_port [retry_initial_s retry_max_s]
  free_port sut_port
  sut_state="$work/state-$1"
  sut_log="$out_dir/logs/$1.sut.log"
  : >"$sut_log"  # truncated here, not in the background child: an old log must not look ready
  sut_called_ae=ACCBENCH
  mkdir -p "$sut_state"
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
sync = true

[[destination]]
name = "pacs"
ae_title = "SINK"
host = "127.0.0.1"
port = $2
max_associations = 4
max_pdu_length = $max_pdu
retry_initial_s = ${3:-5}
retry_max_s = ${4:-600}
EOF
  "$accessioner" serve --config "$sut_state/accessioner.toml" >"$sut_log" 2>&1 &
  sut_pid=$!
  pids+=("$sut_pid")
  local deadline=$((SECONDS + 20))
  until grep -q "accessioner listening on" "$sut_log"; do
    kill -0 "$sut_pid" 2>/dev/null && ((SECONDS < deadline)) ||
      die "accessioner did not start: $(tail -5 "$sut_log")"
    sleep 0.02
  done
}

# Orthanc as people configure it for routing: durable storage (SyncStorageArea defaults to true),
# SQLite index, and the Lua auto-routing recipe from the Orthanc Book.
start_orthanc() {  # tag dest_port
  free_port sut_port
  sut_state="$work/state-$1"
  sut_log="$out_dir/logs/$1.sut.log"
  : >"$sut_log"  # truncated here, not in the background child: an old log must not look ready
  sut_called_ae=ORTHANC
  mkdir -p "$sut_state/storage" "$sut_state/index"
  local http_port
  free_port http_port
  cat >"$sut_state/route.lua" <<'EOF'
function OnStoredInstance(instanceId, tags, metadata, origin)
  Delete(SendToModality(instanceId, 'sink'))
end
EOF
  cat >"$sut_state/orthanc.json" <<EOF
{
  "Name": "accessioner-forward-benchmark",
  "StorageDirectory": "$sut_state/storage",
  "IndexDirectory": "$sut_state/index",
  "StorageCompression": false,
  "DicomAet": "ORTHANC",
  "DicomPort": $sut_port,
  "HttpPort": $http_port,
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "DicomThreadsCount": 4,
  "MaximumPduLength": $max_pdu,
  "DicomAlwaysAllowStore": true,
  "DicomAlwaysAllowEcho": true,
  "DicomCheckCalledAet": false,
  "DicomModalities": { "sink": [ "SINK", "127.0.0.1", $2 ] },
  "LuaScripts": [ "$sut_state/route.lua" ],
  "Plugins": []
}
EOF
  "$orthanc_bin" "$sut_state/orthanc.json" >"$sut_log" 2>&1 &
  sut_pid=$!
  pids+=("$sut_pid")
  wait_listening "$sut_pid" "$sut_port" 30 || die "Orthanc did not start: $(tail -5 "$sut_log")"
}

# -> "pending in_flight waiting_retry dead" of destination pacs (no row: no job left); nothing if
# the CLI failed.
queue_counts() {
  "$accessioner" queue stats --json --config "$sut_state/accessioner.toml" 2>/dev/null |
    jq -r '[.stats[] | select(.destination == "pacs")] |
      if length == 0 then "0 0 0 0" else .[0] | "\(.pending) \(.in_flight) \(.waiting_retry) \(.dead)" end'
}

# Waits until Accessioner's queue for the sink is empty; prints the unix ns when it was seen empty.
wait_queue_empty() {
  local deadline=$((SECONDS + 30)) c
  while true; do
    c="$(queue_counts || true)"
    if [[ "$c" == "0 0 0 0" ]]; then
      now_ns
      return 0
    fi
    ((SECONDS < deadline)) || { log "queue not empty after 30 s: $c"; echo ""; return 0; }
    sleep 0.05
  done
}

storescu_clients() {  # assoc tag port called_ae file...
  local assoc=$1 tag=$2 port=$3 ae=$4
  shift 4
  local list=("$@") k i part clients=() failed=0
  for ((k = 0; k < assoc; k++)); do
    part=()
    for ((i = k; i < ${#list[@]}; i += assoc)); do
      part+=("${list[i]}")
    done
    timeout "$wait_s" storescu -R -aet BENCH -aec "$ae" --max-pdu "$max_pdu" \
      127.0.0.1 "$port" "${part[@]}" >"$out_dir/logs/$tag.client$k.log" 2>&1 &
    clients+=($!)
    pids+=($!)
  done
  for k in "${clients[@]}"; do
    wait "$k" || failed=$((failed + 1))
  done
  ((failed == 0)) || die "$failed storescu process(es) failed (logs: $out_dir/logs/$tag.*)"
}

# ---- 1. end-to-end throughput ---------------------------------------------------------------------
e2e_csv="$out_dir/e2e.csv"
echo "mode,assoc,instances,bytes,ingest_s,e2e_s,ingest_inst_per_s,e2e_inst_per_s,e2e_mb_per_s,queue_empty_s,sut_peak_rss_kib,sut_cpu_s,sut_storage_after_kib,sink_files,check" \
  >"$e2e_csv"

run_e2e() {  # mode assoc
  local mode=$1 assoc=$2 tag="e2e-$1-$2"
  log "end-to-end $mode, $count CT instances, $assoc x storescu"
  start_od_sink "$tag"
  local target_port target_ae
  case "$mode" in
    D) target_port=$sink_port; target_ae=SINK; sut_pid="" ;;
    A) start_accessioner "$tag" "$sink_port"; target_port=$sut_port; target_ae=$sut_called_ae ;;
    O) start_orthanc "$tag" "$sink_port"; target_port=$sut_port; target_ae=$sut_called_ae ;;
  esac
  local t0 t1 t_last t_empty="" rss="" cpu="" storage="" check=ok n
  t0="$(now_ns)"
  storescu_clients "$assoc" "$tag" "$target_port" "$target_ae" "${files[@]}"
  t1="$(now_ns)"
  wait_od_sink "$count" || log "sink has only $(od_sink_count) of $count after ${wait_s}s"
  # The newest file's mtime is when the sink finished writing the last instance.
  t_last="$(find "$sink_dir" -type f -printf '%T@\n' | sort -n | tail -1 |
    awk '{ printf "%.0f", $1 * 1e9 }')"
  if [[ "$mode" == A ]]; then
    t_empty="$(wait_queue_empty)"
  fi
  if [[ -n "$sut_pid" ]]; then
    rss="$(status_kib "$sut_pid" VmHWM)"
    cpu="$(cpu_seconds "$sut_pid")"
    if [[ "$mode" == A ]]; then
      storage="$(du_kib "$sut_state/db")"
    else
      storage="$(du_kib "$sut_state/storage")"
    fi
    stop_process "$sut_pid"
  fi
  stop_process "$sink_pid"
  n="$(od_sink_count)"
  [[ "$n" == "$count" ]] || check="FAIL: sink has $n of $count"
  [[ "$check" == ok ]] || log "$check ($mode)"
  awk -v OFS=, -v mode="$mode" -v assoc="$assoc" -v n="$count" -v bytes="$corpus_bytes" \
    -v t0="$t0" -v t1="$t1" -v tl="$t_last" -v te="$t_empty" -v rss="$rss" -v cpu="$cpu" \
    -v st="$storage" -v files="$n" -v check="$check" 'BEGIN {
      ingest = (t1 - t0) / 1e9; e2e = (tl - t0) / 1e9
      if (e2e < ingest && mode == "D") e2e = ingest
      print mode, assoc, n, bytes, sprintf("%.3f", ingest), sprintf("%.3f", e2e),
            sprintf("%.1f", n / ingest), sprintf("%.1f", n / e2e), sprintf("%.1f", bytes / 1e6 / e2e),
            (te == "") ? "" : sprintf("%.3f", (te - t0) / 1e9), rss, cpu, st, files, check }' >>"$e2e_csv"
  rm -rf "$sink_dir" "$sut_state"
  sync  # the next measurement must not share the disk with this one's writeback
}

# ---- 2. RSP -> PACS latency --------------------------------------------------------------------
lat_csv="$out_dir/latency.csv"
echo "mode,client,rate,instances,ingest_inst_per_s,e2e_inst_per_s,rsp_p50_ms,rsp_p99_ms,lat_min_ms,lat_p50_ms,lat_p90_ms,lat_p99_ms,lat_max_ms,joined,check" \
  >"$lat_csv"

run_latency() {  # mode rate(0 = closed loop) n
  local mode=$1 rate=$2 n=$3 tag="lat-$1-${2}"
  log "latency $mode, $n CT instances, acc_store_latency rate ${rate:-closed}"
  start_rec_sink "$tag" "$n"
  local target_port target_ae
  case "$mode" in
    D) target_port=$sink_port; target_ae=SINK; sut_pid="" ;;
    A) start_accessioner "$tag" "$sink_port"; target_port=$sut_port; target_ae=$sut_called_ae ;;
    O) start_orthanc "$tag" "$sink_port"; target_port=$sut_port; target_ae=$sut_called_ae ;;
  esac
  local rate_args=() line check=ok
  ((rate > 0)) && rate_args=(--rate "$rate")
  line="$(timeout "$wait_s" "$latency_tool" --port "$target_port" --dir "$work/corpus" \
    --called-ae "$target_ae" --max-pdu "$max_pdu" --limit "$n" "${rate_args[@]}" \
    --latencies "$out_dir/logs/$tag.rq-rsp-ms.txt" --rsp-log "$out_dir/logs/$tag.rsp.csv" \
    2>"$out_dir/logs/$tag.client.log")" ||
    die "acc_store_latency failed against $mode: $(tail -3 "$out_dir/logs/$tag.client.log")"
  wait_rec_sink || check="FAIL: sink has $(cut -d, -f2 "$sink_log" | sort -u | wc -l) of $n"
  [[ "$check" == ok ]] || log "$check ($mode)"
  [[ -n "$sut_pid" ]] && stop_process "$sut_pid"
  stop_process "$sink_pid"
  local t_last
  t_last="$(cat "$sink_log.done" 2>/dev/null || now_ns)"
  # Latency = first arrival of the UID at the sink - RSP at the modality (both CLOCK_REALTIME).
  awk -F, 'FNR == NR { rsp[$2] = $1; next } !($2 in arr) { arr[$2] = $1 }
    END { for (u in rsp) if (u in arr) printf "%.3f\n", (arr[u] - rsp[u]) / 1e6 }' \
    "$out_dir/logs/$tag.rsp.csv" "$sink_log" | sort -n >"$out_dir/logs/$tag.latency-ms.txt"
  sort -n "$out_dir/logs/$tag.rq-rsp-ms.txt" -o "$out_dir/logs/$tag.rq-rsp-sorted.txt"
  local ingest_rate rsp_pct lat_pct
  IFS=, read -r _ _ _ ingest_rate _ _ _ _ _ <<<"$line"
  pct='function p(f, q,   n, i, v, a) { n = 0; while ((getline v < f) > 0) a[++n] = v; close(f)
      if (n == 0) return ""; i = int(q / 100 * n + 0.999999); if (i < 1) i = 1; return a[i] }'
  rsp_pct="$(awk -v f="$out_dir/logs/$tag.rq-rsp-sorted.txt" "$pct"' BEGIN { printf "%.3f,%.3f", p(f, 50), p(f, 99) }')"
  lat_pct="$(awk -v f="$out_dir/logs/$tag.latency-ms.txt" "$pct"' BEGIN {
      printf "%s,%s,%s,%s,%s", p(f, 0), p(f, 50), p(f, 90), p(f, 99), p(f, 100) }')"
  local joined
  joined="$(wc -l <"$out_dir/logs/$tag.latency-ms.txt")"
  [[ "$mode" == D ]] && lat_pct=",,,,"
  # End-to-end rate from the first C-STORE-RSP (not from the client's start: it loads every file
  # first) to the last arrival at the PACS.
  local t_first_rsp
  t_first_rsp="$(awk -F, 'NR == 1 || $1 < m { m = $1 } END { print m }' "$out_dir/logs/$tag.rsp.csv")"
  echo "$mode,acc_store_latency,$rate,$n,$ingest_rate,$(awk -v n="$n" -v a="$t_first_rsp" \
    -v b="$t_last" 'BEGIN { printf "%.1f", (n - 1) / ((b - a) / 1e9) }'),$rsp_pct,$lat_pct,$joined,$check" \
    >>"$lat_csv"
  rm -rf "$sut_state"
  sync
}

# ---- 3. backlog drain ------------------------------------------------------------------------------
bl_csv="$out_dir/backlog.csv"
echo "metric,value" >"$bl_csv"
bl() { echo "$1,$2" >>"$bl_csv"; }

run_backlog() {
  local tag=backlog dest_port t0 t1 c
  free_port dest_port  # nothing listens here until the sink starts
  log "backlog: $backlog small CT instances to accessioner with the destination down"
  # Retry after 1 s instead of the default 5 s doubling to 600 s: the drain must start when the
  # sink comes back, not when an exponential backoff happens to expire.
  start_accessioner "$tag" "$dest_port" 1 1
  local storage_empty empty_total
  storage_empty="$(db_kib "$sut_state/db")"
  empty_total="$(total_kib "$sut_state/db")"
  t0="$(now_ns)"
  storescu_clients 8 "$tag" "$sut_port" "$sut_called_ae" "${small_files[@]}"
  t1="$(now_ns)"
  bl instances "$backlog"
  bl bytes "$small_bytes"
  bl bytes_per_instance "$((small_bytes / backlog))"
  bl ingest_s "$(seconds_between "$t0" "$t1")"
  bl ingest_inst_per_s "$(awk -v n="$backlog" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / ((b - a) / 1e9) }')"
  local q0 q1
  q0="$(now_ns)"
  c="$(queue_counts || true)"
  q1="$(now_ns)"
  bl queue_at_peak_pending_inflight_retry_dead "$c"
  bl queue_stats_call_s "$(seconds_between "$q0" "$q1")"
  bl rss_at_peak_backlog_kib "$(status_kib "$sut_pid" VmRSS)"
  bl hwm_at_peak_backlog_kib "$(status_kib "$sut_pid" VmHWM)"
  bl storage_empty_kib "\"$storage_empty\""
  bl storage_peak_kib "\"$(db_kib "$sut_state/db")\""
  du -ab "$sut_state/db" | sort -k2 >"$out_dir/logs/$tag.db-peak.txt"

  log "backlog: starting the sink"
  local t_up t_first t_last t_empty
  start_rec_sink "$tag" "$backlog" "$dest_port"
  t_up="$(now_ns)"
  wait_rec_sink || die "the queue did not drain within ${wait_s}s ($(wc -l <"$sink_log") arrivals)"
  t_last="$(cat "$sink_log.done")"
  t_empty="$(wait_queue_empty)"
  t_first="$(awk -F, 'NR == 1 || $1 < m { m = $1 } END { print m }' "$sink_log")"
  bl sink_up_to_first_arrival_s "$(seconds_between "$t_up" "$t_first")"
  bl drain_s_from_sink_up "$(seconds_between "$t_up" "$t_last")"
  bl drain_inst_per_s_from_sink_up "$(awk -v n="$backlog" -v a="$t_up" -v b="$t_last" 'BEGIN { printf "%.1f", n / ((b - a) / 1e9) }')"
  bl drain_inst_per_s_first_to_last "$(awk -v n="$backlog" -v a="$t_first" -v b="$t_last" 'BEGIN { printf "%.1f", (n - 1) / ((b - a) / 1e9) }')"
  bl drain_mb_per_s_first_to_last "$(awk -v n="$backlog" -v s="$small_bytes" -v a="$t_first" -v b="$t_last" 'BEGIN { printf "%.1f", s / 1e6 * (n - 1) / n / ((b - a) / 1e9) }')"
  bl queue_empty_s_from_sink_up "$( [[ -n "$t_empty" ]] && seconds_between "$t_up" "$t_empty")"
  bl arrivals_total "$(wc -l <"$sink_log")"
  bl arrivals_distinct "$(cut -d, -f2 "$sink_log" | sort -u | wc -l)"
  # Drain rate per 1 s bucket: does it degrade as the queue head moves through tombstones?
  awk -F, -v a="$t_first" '{ b = int(($1 - a) / 1e9); n[b]++; if (b > m) m = b }
    END { s = ""; for (i = 0; i <= m; i++) s = s (i ? " " : "") (n[i] + 0); print s }' "$sink_log" \
    >"$out_dir/logs/$tag.drain-per-second.txt"
  bl drain_per_second "\"$(cat "$out_dir/logs/$tag.drain-per-second.txt")\""
  bl rss_after_drain_kib "$(status_kib "$sut_pid" VmRSS)"
  bl hwm_after_drain_kib "$(status_kib "$sut_pid" VmHWM)"
  bl storage_after_drain_kib "\"$(db_kib "$sut_state/db")\""
  # Back to within 10 % of the size before the backlog (at least 1 MiB of slack: a fresh store is
  # a few hundred KiB of RocksDB bookkeeping), polled once a second for up to 60 s.
  local limit_kib back_s="" w
  limit_kib="$(awk -v e="$empty_total" 'BEGIN { l = e * 1.1; if (l < e + 1024) l = e + 1024; printf "%d", l }')"
  for ((w = 0; w <= 60; w++)); do
    if (($(total_kib "$sut_state/db") <= limit_kib)); then
      back_s="$(seconds_between "$t_last" "$(now_ns)")"
      break
    fi
    sleep 1
  done
  bl storage_limit_kib "$limit_kib"
  bl storage_back_within_limit_s_after_last_arrival "${back_s:-\"not within 60 s\"}"
  bl storage_when_back_kib "\"$(db_kib "$sut_state/db")\""
  sleep 15
  bl storage_15s_after_drain_kib "\"$(db_kib "$sut_state/db")\""
  du -ab "$sut_state/db" | sort -k2 >"$out_dir/logs/$tag.db-after.txt"
  # Tombstones are dropped by compaction after a flush, and a flush needs a full 64 MB memtable:
  # send some live traffic (the sink is up) and see whether the space comes back then.
  local after_n=$((backlog < 2000 ? backlog : 2000))
  log "backlog: $after_n more instances with the sink up, then the storage size again"
  storescu_clients 4 "$tag-after" "$sut_port" "$sut_called_ae" "${small_files[@]:0:after_n}"
  t_empty="$(wait_queue_empty)"
  sleep 10
  bl live_traffic_after_drain_instances "$after_n"
  bl storage_10s_after_live_traffic_kib "\"$(db_kib "$sut_state/db")\""
  bl sut_cpu_s "$(cpu_seconds "$sut_pid")"
  stop_process "$sut_pid"
  bl storage_after_stop_kib "\"$(db_kib "$sut_state/db")\""
  stop_process "$sink_pid"
  rm -rf "$sut_state"
}

# ---- run ---------------------------------------------------------------------------------------------
if [[ -z "$only" || "$only" == e2e ]]; then
  for mode in D A O; do
    run_e2e "$mode" 1
    run_e2e "$mode" 8
  done
fi
if [[ -z "$only" || "$only" == latency ]]; then
  run_latency D 0 "$count"
  run_latency A 0 "$count"
  run_latency O 0 "$count"
  run_latency D "$pace" "$pace_count"
  run_latency A "$pace" "$pace_count"
  run_latency O "$pace" "$pace_count"
fi
if [[ -z "$only" || "$only" == backlog ]]; then
  run_backlog
fi

# ---- report -------------------------------------------------------------------------------------------
report="$out_dir/results.md"
{
  echo "### Machine"
  echo
  sed 's/^/    /' "$out_dir/machine.txt"
  echo "    load_average_at_end=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "    run_time_s=$((SECONDS - started_s))"
  echo
  echo "### 1. End-to-end: $count CT instances ($corpus_bytes bytes), storescu -> [SUT] -> storescp --fork -od"
  echo
  echo "| mode | assoc | ingest inst/s | end-to-end s | end-to-end inst/s | MB/s | queue empty s | SUT peak RSS MiB | SUT CPU s | SUT storage after KiB | sink files | check |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  awk -F, 'NR > 1 { printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
      $1, $2, $7, $6, $8, $9, ($10 == "") ? "–" : $10, ($11 == "") ? "–" : sprintf("%.1f", $11 / 1024), ($12 == "") ? "–" : $12,
      ($13 == "") ? "–" : $13, $14, $15 }' "$e2e_csv"
  echo
  awk -F, 'NR > 1 { r[$1 "," $2] = $8 }
    END { for (a = 1; a <= 8; a += 7) printf "Ratios, %d association(s): A/D = %.2f, A/O = %.2f, O/D = %.2f\n\n",
      a, r["A," a] / r["D," a], r["A," a] / r["O," a], r["O," a] / r["D," a] }' "$e2e_csv"
  echo "### 2. C-STORE-RSP at the modality -> arrival at the PACS (acc_store_latency -> [SUT] -> acc_fwd_sink), ms"
  echo
  echo "| mode | offered rate | instances | ingest inst/s | first RSP -> last arrival inst/s | RQ->RSP p50 | RQ->RSP p99 | RSP->PACS min | p50 | p90 | p99 | max | check |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  awk -F, 'NR > 1 { printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
      $1, ($3 == 0) ? "closed loop" : $3 "/s", $4, $5, $6, $7, $8, ($9 == "") ? "–" : $9,
      ($10 == "") ? "–" : $10, ($11 == "") ? "–" : $11, ($12 == "") ? "–" : $12, ($13 == "") ? "–" : $13, $15 }' "$lat_csv"
  echo
  echo "### 3. Backlog: $backlog instances of $((small_bytes / backlog)) bytes queued with the PACS down, then drained to acc_fwd_sink"
  echo
  echo "| metric | value |"
  echo "|---|---|"
  awk -F, 'NR > 1 { v = $0; sub(/^[^,]*,/, "", v); gsub(/"/, "", v); printf "| %s | %s |\n", $1, v }' "$bl_csv"
} >"$report"
cat "$report"
log "results in $out_dir (e2e.csv, latency.csv, backlog.csv, results.md, logs/)"
if grep -q 'FAIL' "$e2e_csv" "$lat_csv"; then
  exit 1
fi
