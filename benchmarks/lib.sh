# shellcheck shell=bash
# Helpers shared by benchmark scripts: `source "$script_dir/lib.sh"`. Defines functions only.
# (forward_benchmark.sh predates it and keeps its own variants: free_port there sets a variable.)

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Re-executes the calling script in a private network namespace (only a loopback interface, so
# servers that listen on all interfaces cannot be reached from outside) when unprivileged user
# namespaces are available. Usage: bench_reexec_in_netns "${BASH_SOURCE[0]}" "$@"
bench_reexec_in_netns() {
  local script=$1
  shift
  if [[ -z "${ACC_BENCH_IN_NETNS:-}" ]] && unshare -rn true 2>/dev/null; then
    export ACC_BENCH_IN_NETNS=1
    exec unshare -rn -- bash -c 'ip link set lo up && exec "$0" "$@"' "$script" "$@"
  fi
}

# A port below the ephemeral range (so no client connection of an earlier run can hold it) that
# no socket uses in any state.
free_port() {
  local low p
  low="$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
  ((low > 11000)) || low=32768
  for _ in $(seq 200); do
    p=$((10000 + RANDOM % (low - 10000)))
    if [[ -z "$(ss -Htan "( sport = :$p or dport = :$p )")" ]]; then
      echo "$p"
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
    sleep 0.05
  done
}

# Sends SIGTERM and waits for the process to exit; SIGKILL after 30 s.
stop_process() {
  local pid=$1 deadline=$((SECONDS + 30))
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

# Milliseconds since the epoch of an Accessioner log line's timestamp (local time,
# "2026-11-23T19:20:00.123 info ..."); empty when the line has none.
log_line_ms() {
  local stamp
  stamp="$(awk '{ print $1 }' <<<"$1")"
  [[ "$stamp" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}$ ]] || return 0
  date -d "${stamp/T/ }" +%s%3N
}

# Machine description lines (key=value) common to all benchmarks; the caller adds its own.
machine_notes() {  # work_dir
  echo "date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc=$(nproc)"
  echo "cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "mem_total=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "kernel=$(uname -r)"
  echo "work_dir=$1"
  echo "filesystem=$(findmnt -n -o FSTYPE -T "$1") on $(findmnt -n -o SOURCE -T "$1")"
  echo "load_average_at_start=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "dcmtk=$(findscu --version 2>&1 | awk 'NR == 1 { print $2, $3 }')"
  echo "netns=${ACC_BENCH_IN_NETNS:-0}"
}
