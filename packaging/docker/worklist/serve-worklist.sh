#!/bin/sh
# The RIS of docker-compose.yml (and of tests/packaging, natively): turns the worklist orders in
# SRC/*.dump (dcmdump text, @TODAY@ = today's date) into DICOM .wl files under OUT/<AE>/, then
# serves them with DCMTK's wlmscpfs on PORT.
#   serve-worklist.sh SRC OUT AE PORT
# Orders carry today's date because Accessioner asks for orders scheduled around today; the files
# are generated at every start, so restart the service on a new day. wlmscpfs reads the folder
# at every query: a .wl file added to OUT/<AE>/ (made with dump2dcm) is served at once.
set -eu
src=$1 out=$2 ae=$3 port=$4

today=$(date +%Y%m%d)
mkdir -p "$out/$ae"
: >"$out/$ae/lockfile"   # wlmscpfs refuses a worklist folder without one
count=0
for dump in "$src"/*.dump; do
  name=$(basename "$dump" .dump)
  sed "s/@TODAY@/$today/g" "$dump" >"$out/$name.dump"
  # Built outside the served folder, then moved in: never serve a half-written file.
  dump2dcm --write-xfer-little "$out/$name.dump" "$out/$name.wl.tmp"
  mv "$out/$name.wl.tmp" "$out/$ae/$name.wl"
  rm -f "$out/$name.dump"
  count=$((count + 1))
done
echo "serve-worklist: $count order(s) for $today, AE $ae, port $port"
exec wlmscpfs --single-process -dfp "$out" "$port"
