#!/usr/bin/env bash
# The one-command demo (README command 1 runs it after building).
#
# Shows the main job end to end on loopback, with real DCMTK peers:
#   wlmscpfs (the RIS worklist) --C-FIND--> Accessioner <--C-STORE-- dcmsend (a modality)
#                                                |
#                                                +--C-STORE--> storescp (the PACS)
# It generates one scheduled procedure per sample image, sends the images without an Accession
# Number, waits until the PACS has every one, and prints what arrived there: the accession stamped
# from the worklist. Then (unless --no-serve) it stops the demo and runs `accessioner serve` on
# its embedded default configuration in the foreground until Ctrl-C.
#
# Exit status: 0 when every image was stamped and delivered, 1 otherwise (the logs are kept and
# their path printed), 2 for a usage error or a missing tool.
#
# Environment: ACCESSIONER = the binary (default build/router/accessioner),
#              DEMO_TIMEOUT_S = how long to wait for the deliveries (default 60).
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/demo.sh [--no-serve]

Runs the stamping demo against local DCMTK peers and prints one line per image.
  --no-serve   stop after the demo (exit 0 = every image stamped and delivered)
Without --no-serve, a successful demo is followed by `accessioner serve` on the
embedded default configuration (AE ACCESSIONER, port 11112, ./var/accessioner).
EOF
}

SERVE=1
for arg in "$@"; do
  case "$arg" in
    --no-serve) SERVE=0 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ACCESSIONER=${ACCESSIONER:-$REPO/build/router/accessioner}
[[ $ACCESSIONER == /* ]] || ACCESSIONER=$PWD/$ACCESSIONER  # main() changes directory
DEMO_TIMEOUT_S=${DEMO_TIMEOUT_S:-60}
PYTHON=/usr/bin/python3  # the Debian python3 that has python3-pydicom
SAMPLES=/usr/lib/python3/dist-packages/pydicom/data/test_files
# One image per modality, each its own patient and study, so each matches exactly one order.
# JPEG-lossy.dcm is JPEG-compressed: it also shows that compressed data passes through untouched.
SAMPLE_FILES=(CT_small.dcm MR_small.dcm JPEG-lossy.dcm SC_rgb_small_odd.dcm waveform_ecg.dcm)

# Without it DCMTK leaves Nagle's algorithm on, and every small PDU waits for a delayed ACK.
export TCP_NODELAY=1

RIS_AE=DEMO_RIS
PACS_AE=DEMO_PACS
ACC_AE=ACCESSIONER
MODALITY_AE=DEMO_MODALITY
ISSUER=DEMO_HOSPITAL  # Issuer of Accession Number (wlmscpfs does not return one; see config)

WORK=""        # temp dir holding everything; removed on exit
TODAY=""       # YYYYMMDD, local: the Study Date of the images and the orders' scheduled date
RIS_PORT="" PACS_PORT="" ACC_PORT=""
LOGS=""        # $WORK/logs
PIDS=()        # background processes we started, stopped in reverse order
DEMO_OK=0

log() { printf 'demo: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# --- processes ---------------------------------------------------------------------------------

# stop_pid PID: SIGTERM, then SIGKILL if it is still there after 10 s (Accessioner finishes
# in-flight transfers first, bounded by shutdown_grace_s in the demo config).
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

stop_all() {
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    stop_pid "${PIDS[i]}"
  done
  PIDS=()
}

# On any exit: stop what we started; remove the temp dir, but keep the logs if the demo failed.
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_all
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    if [ "$DEMO_OK" -ne 1 ]; then
      local kept
      kept=$(mktemp -d "${TMPDIR:-/tmp}/accessioner-demo-logs.XXXXXX")
      cp -r "$LOGS"/. "$kept"/ 2>/dev/null || true
      log "logs kept in $kept"
    fi
    rm -rf "$WORK"
  fi
  exit "$status"
}

# start NAME CMD...: run CMD in the background, output to $LOGS/NAME.log.
start() {
  local name=$1
  shift
  "$@" >"$LOGS/$name.log" 2>&1 &
  PIDS+=("$!")
}

# free_ports N: N distinct free TCP ports on loopback (all bound at once, so they differ).
free_ports() {
  "$PYTHON" - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# wait_for_echo NAME PID AE PORT: until the peer answers a C-ECHO (up to 10 s), so nothing is
# sent to a port that is not listening yet.
wait_for_echo() {
  local name=$1 pid=$2 ae=$3 port=$4 i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || die "$name exited at start-up; see $LOGS/$name.log"
    if echoscu -to 2 -aet DEMO_CHECK -aec "$ae" 127.0.0.1 "$port" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  die "$name did not answer C-ECHO on port $port within 10 s"
}

# --- data --------------------------------------------------------------------------------------

# prepare_images: copies of the samples with the Accession Number emptied and the Study Date set
# to today (matching compares the order's scheduled date with the Study Date, and Accessioner only
# fetches orders scheduled around today). Also writes, per image, the text dump of a worklist
# entry for it (same patient, today, the image's modality, accession DEMO000n) and a manifest
# line: file|SOP Instance UID|patient ID|patient name|expected accession ('|' because fields
# may be empty, and read would merge adjacent tabs).
prepare_images() {
  mkdir -p "$WORK/images" "$WORK/dumps"
  "$PYTHON" - "$SAMPLES" "$WORK" "$TODAY" "${SAMPLE_FILES[@]}" >"$WORK/manifest.txt" \
    2>"$LOGS/prepare.log" <<'EOF' || die "could not prepare the images; see $LOGS/prepare.log"
import os, sys
import pydicom

samples, work, today, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
for n, name in enumerate(names, 1):
    ds = pydicom.dcmread(os.path.join(samples, name))
    ds.AccessionNumber = ""          # what a modality without worklist access sends
    ds.StudyDate = today
    ds.save_as(os.path.join(work, "images", name))
    accession = f"DEMO{n:04d}"
    pid, pname, modality = str(ds.PatientID), str(ds.PatientName), str(ds.Modality)
    with open(os.path.join(work, "dumps", f"order{n}.dump"), "w") as f:
        f.write(f"""(0008,0005) CS [ISO_IR 100]
(0008,0050) SH [{accession}]
(0010,0010) PN [{pname}]
(0010,0020) LO [{pid}]
(0020,000d) UI [2.25.{n}{today}]
(0032,1060) LO [Demo {modality} examination]
(0040,1001) SH [RP{n:04d}]
(0040,0100) SQ
(fffe,e000) -
(0008,0060) CS [{modality}]
(0040,0001) AE [DEMO_MODALITY]
(0040,0002) DA [{today}]
(0040,0003) TM [0800]
(0040,0009) SH [SPS{n:04d}]
(0040,0007) LO [Demo {modality} examination]
(0040,0020) CS [SCHEDULED]
(fffe,e00d) -
(fffe,e0dd) -
""")
    print("|".join([name, str(ds.SOPInstanceUID), pid, pname, accession]))
EOF
}

# make_worklist: the wlmscpfs data folder, <dir>/<called AE>/*.wl plus the lockfile wlmscpfs
# insists on; each .wl is made from its dump by dump2dcm.
make_worklist() {
  local folder=$WORK/worklist/$RIS_AE dump
  mkdir -p "$folder"
  : >"$folder/lockfile"
  for dump in "$WORK"/dumps/*.dump; do
    dump2dcm "$dump" "$folder/$(basename "$dump" .dump).wl" >>"$LOGS/dump2dcm.log" 2>&1 ||
      die "dump2dcm failed on $dump; see $LOGS/dump2dcm.log"
  done
}

# write_config FILE: the demo Accessioner's configuration; [metrics] only when this binary knows
# it (port 0 keeps the demo off the default metrics port 9110).
write_config() {
  local file=$1
  cat >"$file" <<EOF
[server]
ae_title = "$ACC_AE"
bind = "127.0.0.1"
port = $ACC_PORT
shutdown_grace_s = 5

[storage]
path = "$WORK/store"

[worklist]
ae_title = "$RIS_AE"
host = "127.0.0.1"
port = $RIS_PORT
refresh_s = 5
timeout_s = 10

[accession]
issuer_local_namespace = "$ISSUER"

[matching]
date_window_days = 0

[[destination]]
name = "demo-pacs"
ae_title = "$PACS_AE"
host = "127.0.0.1"
port = $PACS_PORT
max_associations = 1
retry_initial_s = 1
retry_max_s = 5
idle_release_s = 2
EOF
  printf '\n[metrics]\nport = 0\n' >"$WORK/metrics.toml"
  if "$ACCESSIONER" check-config --config "$WORK/metrics.toml" >/dev/null 2>&1; then
    cat "$WORK/metrics.toml" >>"$file"
  fi
  "$ACCESSIONER" check-config --config "$file" >"$LOGS/check-config.log" 2>&1 ||
    die "the demo configuration is refused: $(cat "$LOGS/check-config.log")"
}

# --- the demo ----------------------------------------------------------------------------------

check_tools() {
  local tool missing=()
  for tool in wlmscpfs storescp dcmsend dcmdump dump2dcm echoscu; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  [ ${#missing[@]} -eq 0 ] || { log "missing ${missing[*]} (package dcmtk)"; exit 2; }
  [ -x "$ACCESSIONER" ] || { log "no Accessioner binary at $ACCESSIONER (build first)"; exit 2; }
  "$PYTHON" -c 'import pydicom' 2>/dev/null || { log "python3-pydicom is missing"; exit 2; }
}

start_peers() {
  start wlmscpfs wlmscpfs -s -dfp "$WORK/worklist" "$RIS_PORT"
  wait_for_echo wlmscpfs "${PIDS[-1]}" "$RIS_AE" "$RIS_PORT"
  # +xa: accept every transfer syntax, so compressed images arrive as they were sent.
  start storescp storescp -v -aet "$PACS_AE" +xa -od "$WORK/pacs" "$PACS_PORT"
  wait_for_echo storescp "${PIDS[-1]}" "$PACS_AE" "$PACS_PORT"
}

start_accessioner() {
  start accessioner "$ACCESSIONER" serve --config "$WORK/accessioner.toml"
  wait_for_echo accessioner "${PIDS[-1]}" "$ACC_AE" "$ACC_PORT"
}

# json_eval JSON EXPR: a Python expression over the parsed JSON `j` (empty on any error).
json_eval() {
  "$PYTHON" -c 'import json, sys; j = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' \
    "$1" "$2" 2>/dev/null || true
}

# wait_for_worklist: Accessioner queries the RIS at start-up; sending before the orders are cached
# would work too (it asks again on a miss) but this keeps the demo's timing predictable.
wait_for_worklist() {
  local want=$1 i status entries
  for ((i = 0; i < 100; i++)); do
    status=$("$ACCESSIONER" worklist status --config "$WORK/accessioner.toml" --json 2>/dev/null ||
      true)
    entries=$(json_eval "$status" 'j.get("entries", 0)')
    if [ -n "$entries" ] && [ "$entries" -ge "$want" ]; then
      return 0
    fi
    sleep 0.2
  done
  log "the worklist has not been cached after 20 s (status: $status); sending anyway"
}

send_images() {
  dcmsend -aet "$MODALITY_AE" -aec "$ACC_AE" 127.0.0.1 "$ACC_PORT" "$WORK"/images/*.dcm \
    >"$LOGS/dcmsend.log" 2>&1 || die "dcmsend failed; see $LOGS/dcmsend.log"
}

# delivered_file UID: the PACS's copy of an instance, once complete. storescp names files
# <modality prefix>.<SOP Instance UID>; it answers the C-STORE only after writing the file, and
# Accessioner drops an instance from its queue only after that answer, so a file whose UID is no
# longer queued is complete.
delivered_file() {
  local uid=$1 queued=$2 f
  for f in "$WORK"/pacs/*."$uid"; do
    [ -f "$f" ] || continue
    case "$queued" in *"\"$uid\""*) return 1 ;; esac
    printf '%s\n' "$f"
    return 0
  done
  return 1
}

wait_for_deliveries() {
  local deadline=$((SECONDS + DEMO_TIMEOUT_S)) queued uid missing
  while :; do
    queued=$("$ACCESSIONER" queue list --config "$WORK/accessioner.toml" --json 2>/dev/null ||
      echo '?')
    missing=0
    while IFS='|' read -r _ uid _; do
      delivered_file "$uid" "$queued" >/dev/null || missing=$((missing + 1))
    done <"$WORK/manifest.txt"
    [ "$missing" -eq 0 ] && return 0
    [ "$SECONDS" -lt "$deadline" ] || break
    kill -0 "${PIDS[-1]}" 2>/dev/null || { log "Accessioner exited"; return 1; }
    sleep 0.3
  done
  log "$missing image(s) not delivered after ${DEMO_TIMEOUT_S} s"
  return 1
}

# dump_value FILE TAG: the value of an attribute as dcmdump prints it ("" when empty or absent).
# TAG is top-level ("0008,0050") or a sequence path ("0008,0051.0040,0031": the first item's).
dump_value() {
  local path="(${2//./).(})"
  dcmdump -q +p +P "${2##*.}" "$1" 2>/dev/null |
    awk -v path="$path" 'index($0, path " ") == 1 {
      if (match($0, /\[[^]]*\]/)) print substr($0, RSTART + 1, RLENGTH - 2); exit }'
}

# why_not_delivered UID QUEUE_JSON DECISIONS_JSON: a few words on where an instance is stuck,
# from Accessioner's own view (`queue list`, `decisions list`), for the table.
why_not_delivered() {
  "$PYTHON" - "$@" <<'EOF' 2>/dev/null || echo "?"
import json, sys
uid, queue, decisions = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    queue = json.loads(queue)
except ValueError:
    queue = {}
try:
    decisions = json.loads(decisions)
except ValueError:
    decisions = []
decided = [d for d in decisions if isinstance(d, dict) and d.get("sop_instance_uid") == uid]
outcome = decided[-1].get("outcome", "") if decided else ""
instance = [i for i in queue.get("instances", []) if i.get("sop_instance_uid") == uid]
jobs = [j for j in queue.get("jobs", []) if j.get("sop_instance_uid") == uid]
if jobs:
    j = jobs[-1]
    print(f"job {j.get('state')}: {j.get('last_error') or 'not sent yet'}")
elif instance:
    print(f"{instance[0].get('state')}: {outcome or 'no decision'}")
else:
    print(f"not received ({outcome})" if outcome else "not received")
EOF
}

# print_table: one line per image: the accession in the file sent and in the PACS's copy (read
# back with dcmdump). Returns 1 unless every image arrived stamped with its order's accession.
print_table() {
  local file uid pid pname expected before after issuer delivered path failed=0 queued
  local decisions=""
  local fmt='%-22s %-32s %-26s %-15s %s\n'
  queued=$("$ACCESSIONER" queue list --config "$WORK/accessioner.toml" --json 2>/dev/null || true)
  echo
  # shellcheck disable=SC2059  # the format is ours
  printf "$fmt" FILE PATIENT "ACCESSION before -> after" ISSUER DELIVERED
  while IFS='|' read -r file uid pid pname expected; do
    before=$(dump_value "$WORK/images/$file" 0008,0050)
    after="" issuer="" delivered=no
    if path=$(delivered_file "$uid" "$queued"); then
      delivered=yes
      after=$(dump_value "$path" 0008,0050)
      issuer=$(dump_value "$path" 0008,0051.0040,0031)
    else
      if [ -z "$decisions" ]; then
        decisions=$("$ACCESSIONER" decisions list --config "$WORK/accessioner.toml" --json \
          2>/dev/null || echo '[]')
      fi
      delivered="no ($(why_not_delivered "$uid" "$queued" "$decisions"))"
    fi
    if [ "$delivered" != yes ] || [ "$after" != "$expected" ] || [ "$after" = "$before" ]; then
      failed=1
    fi
    # shellcheck disable=SC2059
    printf "$fmt" "$file" "$pid ($pname)" "\"$before\" -> \"$after\"" "${issuer:--}" "$delivered"
  done <"$WORK/manifest.txt"
  echo
  return "$failed"
}

main() {
  check_tools
  cd "$REPO"  # the embedded default stores in ./var/accessioner, as README command 1 says
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/accessioner-demo.XXXXXX")
  LOGS=$WORK/logs
  mkdir -p "$LOGS" "$WORK/pacs"
  TODAY=$(date +%Y%m%d)
  read -r RIS_PORT PACS_PORT ACC_PORT < <(free_ports 3)
  [ -n "$ACC_PORT" ] || die "could not find free ports"
  local started=$SECONDS

  log "RIS worklist: wlmscpfs on port $RIS_PORT, PACS: storescp on port $PACS_PORT," \
      "Accessioner on port $ACC_PORT"
  prepare_images
  make_worklist
  write_config "$WORK/accessioner.toml"
  start_peers
  start_accessioner
  wait_for_worklist "${#SAMPLE_FILES[@]}"
  log "sending ${#SAMPLE_FILES[@]} images without accession numbers (scheduled today: $TODAY)"
  send_images
  local waited=0
  wait_for_deliveries || waited=1
  if ! print_table || [ "$waited" -ne 0 ]; then
    log "FAILED: not every image was stamped and delivered (see the logs)"
    local verb
    for verb in "hold list" "decisions list" "queue list" "worklist status"; do
      # shellcheck disable=SC2086  # two words on purpose
      "$ACCESSIONER" $verb --config "$WORK/accessioner.toml" >"$LOGS/${verb// /-}.txt" 2>&1 || true
    done
    exit 1
  fi
  DEMO_OK=1
  log "OK: every image stamped from the worklist and delivered, in $((SECONDS - started)) s"

  [ "$SERVE" -eq 1 ] || exit 0
  stop_all
  trap - EXIT INT TERM
  rm -rf "$WORK"
  echo "Now running 'accessioner serve' on its embedded default (AE $ACC_AE, port 11112," \
       "storage ./var/accessioner, no worklist, no destination); Ctrl-C stops it."
  exec "$ACCESSIONER" serve
}

main
