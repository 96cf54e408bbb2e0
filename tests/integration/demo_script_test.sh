#!/usr/bin/env bash
# README command 1's demo (issue 6): scripts/demo.sh --no-serve with the built binary ($ACCESSIONER)
# against its own DCMTK peers. Passes when it exits 0 and its table shows every image stamped
# (accession after non-empty and not the one before) and delivered.
set -uo pipefail
source_root=$1
export ACCESSIONER=${ACC_DAEMON_UNDER_TEST:-$ACCESSIONER}
out=$(bash "$source_root/scripts/demo.sh" --no-serve 2>&1)
status=$?
printf '%s\n' "$out"
[ "$status" -eq 0 ] || { echo "FAIL: demo.sh exited with status $status"; exit 1; }
printf '%s\n' "$out" | awk '
  /\.dcm / && / -> / {
    rows++
    ok = match($0, /"[^"]*" -> "[^"]*"/)
    if (ok) { split(substr($0, RSTART, RLENGTH), q, "\""); before = q[2]; after = q[4] }
    if (!ok || after == "" || after == before || $NF != "yes") {
      print "FAIL: not stamped and delivered: " $0; bad++
    }
  }
  END {
    if (rows < 4) { print "FAIL: expected at least 4 image rows, got " rows + 0; exit 1 }
    exit (bad > 0)
  }'
