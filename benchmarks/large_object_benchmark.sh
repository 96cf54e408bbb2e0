#!/usr/bin/env bash
# One large DICOM object end to end, on loopback: DCMTK storescp alone against Accessioner
# forwarding to storescp.
#
# Usage: benchmarks/large_object_benchmark.sh [--build-dir DIR] [--out DIR] [--rows 16384]
#          [--columns 16384] [--frames 2] [--encapsulated] [--no-netns] [--keep]
#
# 1. acc_make_ct_corpus writes one CT object of rows x columns x frames x 16 bit (the defaults:
#    1 GiB of pixel data), native Explicit VR LE, or with --encapsulated one JPEG Lossless SV1
#    fragment per frame (the only way past 4 GiB), to OUT/corpus/ct-RxCxF-KIND/. It is reused by
#    later runs with the same --out and the same shape.
# 2. Baseline: `storescp -od DIR +xa` (single process) receives it from one storescu: storescu
#    wall time, storescp peak RSS (VmHWM).
# 3. End to end: storescu -> Accessioner (storage.sync = true, fresh storage, one [[destination]],
#    no worklist) -> a second `storescp -od DIR +xa` (the PACS). storescu wall time is the receive
#    (Accessioner answers the C-STORE only after its durable commit); delivered at PACS = mtime of
#    the PACS's file - start of the send, read once Accessioner's queue is empty and the file is
#    there; Accessioner's peak RSS (VmHWM) over the whole run, read after the delivery.
# 4. Integrity: sha256 of the data set (the file after its Part-10 header: preamble, "DICM" and
#    group 0002) of the source and of the PACS's file; exit 1 unless identical.
# Every DCMTK process runs with TCP_NODELAY=1 and a 128 KiB max PDU, as in receive_benchmark.sh.
# Writes OUT/result.md (also printed) and OUT/logs/; scratch (received copies, Accessioner's
# storage) goes to OUT/scratch.* and is deleted at the end unless --keep. The run needs about
# 3 x the object's size of free space besides the corpus. Bounded by a watchdog (600 s + 120 s per
# GiB); cleans up its processes on any exit.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "$script_dir")"

build_dir="$repo_dir/build"
out_dir="${TMPDIR:-/tmp}/acc-large-object-bench"
rows=16384
columns=16384
frames=2
encapsulated=0
use_netns=1
keep=0
readonly max_pdu=131072

usage() {
  sed -n '5,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}

args=("$@")
while (($# > 0)); do
  case "$1" in
    --build-dir) build_dir="$(realpath "$2")"; shift 2 ;;
    --out) out_dir="$2"; shift 2 ;;
    --rows) rows="$2"; shift 2 ;;
    --columns) columns="$2"; shift 2 ;;
    --frames) frames="$2"; shift 2 ;;
    --encapsulated) encapsulated=1; shift ;;
    --no-netns) use_netns=0; shift ;;
    --keep) keep=1; shift ;;
    -h | --help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done
for v in rows columns frames; do
  [[ "${!v}" =~ ^[1-9][0-9]{0,9}$ ]] || { echo "--$v must be a positive integer" >&2; exit 2; }
done
((rows <= 65535 && columns <= 65535)) || { echo "--rows and --columns must be <= 65535" >&2; exit 2; }
frame_bytes=$((rows * columns * 2))
pixel_bytes=$((frame_bytes * frames))
if ((encapsulated)); then
  ((frame_bytes < 0xFFFFFFFE)) ||
    { echo "one frame ($frame_bytes bytes) must be < 4 GiB - 2 (one fragment)" >&2; exit 2; }
else
  ((pixel_bytes < 0xFFFFFFFE)) ||
    { echo "native pixel data ($pixel_bytes bytes) must be < 4 GiB - 2; use --encapsulated" >&2; exit 2; }
fi
budget_s=$((600 + 120 * ((pixel_bytes + (1 << 30) - 1) >> 30)))

# log, die, bench_reexec_in_netns, free_port, wait_listening, stop_process, status_kib
# shellcheck source=benchmarks/lib.sh
source "$script_dir/lib.sh"

# A private network namespace holds only a loopback interface: storescp listens on all
# interfaces, and there nothing outside can reach it.
((use_netns)) && bench_reexec_in_netns "${BASH_SOURCE[0]}" "${args[@]}"

# DCMTK 3.6.7 keeps Nagle's algorithm on unless this is set; exported so no DCMTK process misses
# it. Accessioner sets TCP_NODELAY in code.
export TCP_NODELAY=1

accessioner="$build_dir/router/accessioner"
corpus_tool="$build_dir/benchmarks/acc_make_ct_corpus"

for tool in storescp storescu ss jq sha256sum od; do
  command -v "$tool" >/dev/null || die "$tool not found (packages dcmtk, iproute2, jq, coreutils)"
done
missing=()
for bin in "$accessioner" "$corpus_tool"; do
  [[ -x "$bin" ]] || missing+=("$(basename "$bin")")
done
if ((${#missing[@]} > 0)); then
  [[ -f "$build_dir/CMakeCache.txt" ]] ||
    die "no build in $build_dir; configure with -DCMAKE_BUILD_TYPE=Release -DACC_BUILD_BENCHMARKS=ON"
  log "building ${missing[*]} in $build_dir"
  cmake --build "$build_dir" -j2 --target "${missing[@]}" >&2
fi

mkdir -p "$out_dir/logs" "$out_dir/corpus"
out_dir="$(realpath "$out_dir")"
logs="$out_dir/logs"
rm -f "$out_dir/result.md"  # a stale result must not pass for this run's
work="$(mktemp -d "$out_dir/scratch.XXXXXX")"
partial=""  # a corpus directory being written: removed if the run stops half-way

pids=()
cleanup() {
  local rc=$?
  local pid child children
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      # The watchdog's sleep outlives its killed subshell (and would hold our stdout open).
      children=()
      read -ra children 2>/dev/null <"/proc/$pid/task/$pid/children" || true
      for child in "${children[@]}"; do
        kill -KILL "$child" 2>/dev/null || true
      done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  [[ -n "$partial" ]] && rm -rf "$partial"
  if ((keep)); then
    log "scratch kept: $work"
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

# Runs a command in the background, its output to log_file, and waits for it, so that a signal
# (the watchdog, ^C) runs the trap at once instead of after a long foreground command (and the
# trap's own message is not redirected with it). Returns the command's status.
run_waited() {  # log_file command...
  local log_file=$1 pid
  shift
  "$@" >"$log_file" 2>&1 &
  pid=$!
  pids+=("$pid")
  wait "$pid"
}

now_ns() { date +%s%N; }
seconds_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# The only file in a directory (storescp -od writes one per instance); empty if none.
only_file() {
  local files=("$1"/*)
  if [[ -f "${files[0]}" ]]; then
    echo "${files[0]}"
  fi
}

# sha256 of a Part-10 file's data set: what follows the 128-byte preamble, "DICM" and the File
# Meta Information group, whose length is 12 + the value of (0002,0000) (an explicit VR LE UL
# element right after "DICM").
data_set_sha256() {  # file
  local file=$1 gl
  [[ "$(od -An -c -j128 -N4 "$file" | tr -d ' \n')" == DICM ]] || die "$file: no DICM prefix"
  [[ "$(od -An -tx1 -j132 -N8 "$file" | tr -d ' \n')" == 02000000554c0400 ]] ||
    die "$file: no (0002,0000) UL group length after DICM"
  gl="$(od -An -tu4 -j140 -N4 "$file" | tr -d ' \n')"
  tail -c +$((132 + 12 + gl + 1)) "$file" | sha256sum | awk '{ print $1 }'
}

load_before="$(uptime | sed 's/^ *//')"
date_utc="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
commit="$(git -C "$repo_dir" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$repo_dir" diff --quiet 2>/dev/null || echo '+dirty')"
command_line="$(printf '%q ' "$0" "${args[@]}")"
command_line="${command_line% }"
acc_binary_mtime="$(date -u -r "$accessioner" +%Y-%m-%dT%H:%M:%SZ)"
{
  machine_notes "$work"
  echo "accessioner_commit=$commit"
  echo "accessioner_binary_mtime=$acc_binary_mtime"
  echo "build_type=$(awk -F= '/^CMAKE_BUILD_TYPE:/ { print $2 }' "$build_dir/CMakeCache.txt" 2>/dev/null)"
  echo "command=$command_line"
} >"$logs/machine.txt"

# ---- 1. the object ---------------------------------------------------------------------------
kind=native
corpus_args=(--count 1 --out)
extra_args=(--rows "$rows" --columns "$columns" --frames "$frames")
if ((encapsulated)); then
  kind=encapsulated
  extra_args+=(--encapsulated)
fi
corpus_dir="$out_dir/corpus/ct-${rows}x${columns}x${frames}-$kind"
src="$corpus_dir/ct00001.dcm"

# Free space: the corpus (unless there), the baseline's copy (deleted before the end-to-end run
# unless --keep), then Accessioner's spool and segment and the PACS's copy, plus 1 GiB.
need=$((3 * pixel_bytes + (1 << 30)))
[[ -s "$src" ]] || need=$((need + pixel_bytes))
((keep)) && need=$((need + pixel_bytes))
avail="$(df -B1 --output=avail "$out_dir" | tail -1 | tr -d ' ')"
((avail >= need)) || die "$out_dir has $((avail >> 20)) MiB free; this run needs about $((need >> 20)) MiB"

if [[ -s "$src" ]]; then
  log "reusing $src"
else
  partial="$corpus_dir.partial"
  rm -rf "$partial"
  log "generating $src ($pixel_bytes bytes of $kind pixel data)"
  run_waited "$logs/corpus.log" "$corpus_tool" "${corpus_args[@]}" "$partial" "${extra_args[@]}" ||
    die "acc_make_ct_corpus failed: $(tail -3 "$logs/corpus.log")"
  rm -rf "$corpus_dir"
  mv "$partial" "$corpus_dir"
  partial=""
fi
object_bytes="$(stat -c %s "$src")"
((object_bytes > pixel_bytes)) || die "$src has $object_bytes bytes, less than its pixel data"
src_sha="$(data_set_sha256 "$src")"  # also reads the file into the page cache

# storescu proposes uncompressed transfer syntaxes only (-R: for the file's SOP class only);
# for the JPEG Lossless SV1 file it needs -xs, else it tries to decompress it.
scu_args=(-R -aet BENCH --max-pdu "$max_pdu")
((encapsulated)) && scu_args+=(-xs)

# ---- 2. baseline: storescp alone -------------------------------------------------------------
log "baseline: storescu -> storescp -od +xa, $object_bytes bytes"
sync
mkdir -p "$work/baseline"
port="$(free_port)"
storescp -od "$work/baseline" +xa --max-pdu "$max_pdu" -aet STORESCP "$port" \
  >"$logs/baseline.storescp.log" 2>&1 &
scp_pid=$!
pids+=("$scp_pid")
wait_listening "$scp_pid" "$port" 10 || die "storescp did not start: $(tail -5 "$logs/baseline.storescp.log")"
cat "$src" >/dev/null  # the client must not wait on the disk
t0="$(now_ns)"
run_waited "$logs/baseline.storescu.log" storescu "${scu_args[@]}" -aec STORESCP 127.0.0.1 "$port" "$src" ||
  die "storescu to storescp failed: $(tail -5 "$logs/baseline.storescu.log")"
t1="$(now_ns)"
base_s="$(seconds_between "$t0" "$t1")"
base_rss_kib="$(status_kib "$scp_pid" VmHWM)"
stop_process "$scp_pid"
base_file="$(only_file "$work/baseline")"
[[ -n "$base_file" ]] || die "storescp stored nothing (log: $logs/baseline.storescp.log)"
log "storescp: ${base_s} s, peak RSS $(mib "$base_rss_kib") MiB"
((keep)) || rm -rf "$work/baseline"
sync  # its writeback must not overlap the next measurement

# ---- 3. end to end: storescu -> Accessioner -> storescp --------------------------------------
log "end to end: storescu -> accessioner (sync = true) -> storescp -od +xa"
mkdir -p "$work/pacs" "$work/accessioner"
pacs_port="$(free_port)"
storescp -od "$work/pacs" +xa --max-pdu "$max_pdu" -aet PACS "$pacs_port" \
  >"$logs/pacs.storescp.log" 2>&1 &
pacs_pid=$!
pids+=("$pacs_pid")
wait_listening "$pacs_pid" "$pacs_port" 10 || die "storescp (PACS) did not start: $(tail -5 "$logs/pacs.storescp.log")"
acc_port="$(free_port)"
metrics_port="$(free_port)"
while [[ "$metrics_port" == "$acc_port" ]]; do
  metrics_port="$(free_port)"
done
acc_config="$work/accessioner/accessioner.toml"
acc_log="$logs/accessioner.log"
cat >"$acc_config" <<EOF
[server]
ae_title = "ACCBENCH"
bind = "127.0.0.1"
port = $acc_port
max_associations = 64
max_pdu_length = $max_pdu
idle_timeout_s = 60

[storage]
path = "$work/accessioner/db"
sync = true

[metrics]
bind = "127.0.0.1"
port = $metrics_port

[[destination]]
name = "pacs"
ae_title = "PACS"
host = "127.0.0.1"
port = $pacs_port
max_pdu_length = $max_pdu
EOF
cp "$acc_config" "$logs/accessioner.toml"
: >"$acc_log"  # truncated here, not in the background child: an old log must not look ready
"$accessioner" serve --config "$acc_config" >"$acc_log" 2>&1 &
acc_pid=$!
pids+=("$acc_pid")
deadline=$((SECONDS + 20))
until grep -q "accessioner listening on" "$acc_log"; do
  if ! kill -0 "$acc_pid" 2>/dev/null || ((SECONDS >= deadline)); then
    die "accessioner did not start: $(tail -5 "$acc_log")"
  fi
  sleep 0.05
done

acc_failed() {  # message
  log "accessioner log ($acc_log), warnings and errors:"
  grep -E '^[^ ]+ (warn|warning|error|critical) ' "$acc_log" | tail -20 >&2 || true
  log "last lines:"
  tail -10 "$acc_log" >&2
  die "$1"
}

# -> "pending in_flight waiting_retry dead" of destination pacs (no row: no job left); nothing if
# the CLI failed.
queue_counts() {
  "$accessioner" queue stats --json --config "$acc_config" 2>/dev/null |
    jq -r '[.stats[] | select(.destination == "pacs")] |
      if length == 0 then "0 0 0 0" else .[0] | "\(.pending) \(.in_flight) \(.waiting_retry) \(.dead)" end'
}

cat "$src" >/dev/null
t0="$(now_ns)"
run_waited "$logs/accessioner.storescu.log" storescu "${scu_args[@]}" -aec ACCBENCH 127.0.0.1 \
  "$acc_port" "$src" ||
  acc_failed "storescu to accessioner failed: $(tail -5 "$logs/accessioner.storescu.log")"
t1="$(now_ns)"
acc_s="$(seconds_between "$t0" "$t1")"
log "accessioner received and committed it in ${acc_s} s; waiting for the PACS"

# Delivered: the PACS holds the file and Accessioner's queue is empty (it has the PACS's
# C-STORE-RSP, which storescp sends after writing the file). The file is polled cheaply; the
# queue (a CLI process) only once the file is there, so polling does not load the machine.
deadline=$((SECONDS + budget_s))
counts=""
while true; do
  pacs_file="$(only_file "$work/pacs")"
  if [[ -n "$pacs_file" ]]; then
    counts="$(queue_counts || true)"
    [[ "$counts" == "0 0 0 0" ]] && break
    read -r _ _ _ dead <<<"$counts"
    [[ "${dead:-0}" == 0 ]] || acc_failed "the instance was dead-lettered (queue: $counts)"
  fi
  kill -0 "$acc_pid" 2>/dev/null || acc_failed "accessioner exited"
  ((SECONDS < deadline)) || acc_failed "not delivered after ${budget_s} s (queue: ${counts:-?})"
  if [[ -n "$pacs_file" ]]; then
    sleep 0.2
  else
    sleep 0.05
  fi
done
t_seen="$(now_ns)"
t_file="$(find "$pacs_file" -printf '%T@\n' | awk '{ printf "%.0f", $1 * 1e9 }')"
delivered_s="$(seconds_between "$t0" "$t_file")"
acc_rss_kib="$(status_kib "$acc_pid" VmHWM)"
acc_cpu_s="$(cpu_seconds "$acc_pid")"
pacs_rss_kib="$(status_kib "$pacs_pid" VmHWM)"
log "delivered: PACS file complete ${delivered_s} s after the send started (queue seen empty at $(seconds_between "$t0" "$t_seen") s); accessioner peak RSS $(mib "$acc_rss_kib") MiB, CPU ${acc_cpu_s} s; PACS storescp peak RSS $(mib "$pacs_rss_kib") MiB"
stop_process "$acc_pid"
stop_process "$pacs_pid"
# Warnings and errors, less the one this configuration always gives (no [worklist]).
acc_warning_lines() {
  grep -E '^[^ ]+ (warn|warning|error|critical) ' "$acc_log" | grep -v 'no \[worklist\] configured' || true
}
acc_warnings="$(acc_warning_lines | grep -c . || true)"
if ((acc_warnings > 0)); then
  log "accessioner logged $acc_warnings warning/error line(s):"
  acc_warning_lines | tail -20 >&2
fi

# ---- 4. integrity ----------------------------------------------------------------------------
log "hashing the data sets"
pacs_sha="$(data_set_sha256 "$pacs_file")"
if [[ "$src_sha" == "$pacs_sha" ]]; then
  verdict=identical
else
  verdict=DIFFERENT
fi
((keep)) || rm -rf "$work/pacs" "$work/accessioner"
load_after="$(uptime | sed 's/^ *//')"

# ---- 5. report -------------------------------------------------------------------------------
if ((encapsulated)); then
  encoding="encapsulated, JPEG Lossless SV1 transfer syntax, $frames fragment(s) of $frame_bytes bytes"
else
  encoding="native, Explicit VR Little Endian"
fi
ratio="$(awk -v a="$acc_s" -v b="$base_s" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "–" }')"
{
  echo "### One large object: ${rows} × ${columns} × ${frames} frame(s) × 16 bit, ${date_utc}"
  echo
  echo "Object: $object_bytes bytes ($(awk -v b="$object_bytes" 'BEGIN { printf "%.1f MiB", b / 1048576 }')), CT Image Storage, $encoding."
  echo "storescu wall time (start to exit; Accessioner answers after its durable commit); delivered = mtime of the PACS's file − start of the send; peak RSS = VmHWM."
  echo
  echo "| | receive s | ratio to storescp | delivered at PACS s | peak RSS MiB |"
  echo "|---|---:|---:|---:|---:|"
  echo "| storescp -od +xa | $base_s | 1.00 | – | $(mib "$base_rss_kib") |"
  echo "| Accessioner (sync = true) → storescp -od +xa | $acc_s | $ratio | $delivered_s | $(mib "$acc_rss_kib") |"
  echo
  echo "- integrity (sha256 of the data set after the Part-10 header): **$verdict**"
  echo "  - source: \`$src_sha\`"
  echo "  - PACS:   \`$pacs_sha\`"
  echo "- Accessioner: commit $commit, binary built $acc_binary_mtime, CPU ${acc_cpu_s} s, $acc_warnings unexpected warning/error log line(s); PACS storescp peak RSS $(mib "$pacs_rss_kib") MiB"
  echo "- command: \`$command_line\`"
  echo "- load before: \`$load_before\`"
  echo "- load after: \`$load_after\`"
  echo "- nproc: $(nproc); netns: ${ACC_BENCH_IN_NETNS:-0}; date UTC: $date_utc"
} >"$out_dir/result.md"
cat "$out_dir/result.md"
log "result in $out_dir/result.md, logs in $logs"
[[ "$verdict" == identical ]] || die "the data set at the PACS differs from the source"
