#!/usr/bin/env bash
# The Debian package: `cpack -G DEB` from the build directory into a temporary directory, then
# dpkg-deb looks inside. Installs nothing on this machine.
#   deb_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=${ACC_PACKAGE_BUILD_DIR:-$1} src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1 \
  || { cat "$tmp/cpack.log" >&2; fail "cpack failed"; }
debs=("$tmp"/out/accessioner_*.deb)
if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ]; then fail "expected one accessioner_*.deb, got: ${debs[*]}"; fi
deb=${debs[0]}
echo "built $(basename "$deb") ($(du -h "$deb" | cut -f1))"

# ---- control fields ---------------------------------------------------------------------------
[ "$(dpkg-deb -f "$deb" Package)" = accessioner ] || fail "Package is not accessioner"
[ -n "$(dpkg-deb -f "$deb" Maintainer)" ] || fail "no Maintainer"
[ -n "$(dpkg-deb -f "$deb" Description)" ] || fail "no Description"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
# From dpkg-shlibdeps: the libraries the binary really links. For each library it needs (its
# NEEDED entries; RocksDB is linked statically by Debian's CMake package and may not be one), the
# Debian package that ships it must be a dependency.
for lib in 'libc6' 'libstdc\+\+6' 'adduser'; do
  grep -qE "(^|, )$lib( |,|$)" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
needed=$(readelf -d "$build/router/accessioner" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
while read -r soname package; do
  if grep -q "^$soname" <<<"$needed"; then
    grep -qE "(^|, )$package" <<<"$depends" || fail "links $soname but Depends lacks $package: $depends"
  fi
done <<'MAP'
libdcmdata.so libdcmtk[0-9]+
librocksdb.so librocksdb[0-9.]+
libspdlog.so libspdlog[0-9.]+
libfmt.so libfmt[0-9]+
libxxhash.so libxxhash[0-9]+
libprometheus-cpp-core.so libprometheus-cpp-core[0-9.]+
libtomlplusplus.so libtomlplusplus[0-9]+
MAP
grep -q '^libdcmdata.so' <<<"$needed" || fail "binary does not link DCMTK shared libraries?"

# ---- control members: maintainer scripts (0755, valid sh) and conffiles -----------------------
dpkg-deb --ctrl-tarfile "$deb" | tar -tvf - >"$tmp/ctrl.txt"
for script in postinst prerm postrm; do
  grep -qE "^-rwxr-xr-x .* \./$script$" "$tmp/ctrl.txt" || fail "$script missing or not 0755:"$'\n'"$(cat "$tmp/ctrl.txt")"
done
grep -qE "^-rw-r--r-- .* \./conffiles$" "$tmp/ctrl.txt" || fail "conffiles missing"
mkdir "$tmp/ctrl"
dpkg-deb -e "$deb" "$tmp/ctrl"
for script in postinst prerm postrm; do
  sh -n "$tmp/ctrl/$script" || fail "$script: syntax error"
  if command -v shellcheck >/dev/null; then shellcheck -s sh "$tmp/ctrl/$script" || fail "$script: shellcheck"; fi
done
grep -q 'adduser --system --group' "$tmp/ctrl/postinst" || fail "postinst does not create the system user"
grep -q 'home /var/lib/accessioner' "$tmp/ctrl/postinst" || fail "postinst: user home is not the state directory"

# ---- data: every file where the docs say ------------------------------------------------------
dpkg-deb -c "$deb" >"$tmp/contents.txt"
has() {  # has MODE_REGEX PATH
  grep -qE "^$1 .* \.$2$" "$tmp/contents.txt" || fail "package lacks $2 (mode $1):"$'\n'"$(cat "$tmp/contents.txt")"
}
has '-rwxr-xr-x' /usr/bin/accessioner
has '-rw-r--r--' /lib/systemd/system/accessioner.service
has '-rw-r--r--' /etc/accessioner/accessioner.toml
has '-rw-r--r--' /etc/accessioner/rules.d/10-example.toml.example
has '-rw-r--r--' /usr/share/doc/accessioner/operations.md
has '-rw-r--r--' /usr/share/doc/accessioner/configuration.md
has '-rw-r--r--' /usr/share/doc/accessioner/examples/alerts.yml
has '-rw-r--r--' /usr/share/doc/accessioner/examples/accessioner.example.toml
# Nothing that routes on a fresh install: no active rule file.
grep -qE '\./etc/accessioner/rules\.d/[^/]*\.toml$' "$tmp/contents.txt" && fail "an active rule file is installed"

# Every file under /etc is a conffile (an upgrade must not overwrite an admin's edits), and every
# conffile is in the package.
etc_files=$(sed -n 's|^-.* \./\(etc/.*\)$|/\1|p' "$tmp/contents.txt" | sort)
conffiles=$(sort "$tmp/ctrl/conffiles")
[ "$etc_files" = "$conffiles" ] || fail "conffiles ($conffiles) differ from /etc files ($etc_files)"
echo "ok: conffiles: $(tr '\n' ' ' <<<"$conffiles")"

# ---- what is inside works --------------------------------------------------------------------
dpkg-deb -x "$deb" "$tmp/root"
cmp "$tmp/root/lib/systemd/system/accessioner.service" "$src/packaging/accessioner.service" \
  || fail "packaged unit differs from packaging/accessioner.service"
cmp "$tmp/root/etc/accessioner/accessioner.toml" "$src/packaging/accessioner.toml" \
  || fail "packaged config differs from packaging/accessioner.toml"
"$tmp/root/usr/bin/accessioner" --version | grep -q '^accessioner ' || fail "packaged binary does not run"
"$tmp/root/usr/bin/accessioner" check-config --config "$tmp/root/etc/accessioner/accessioner.toml" \
  || fail "packaged binary refuses the packaged configuration"
# Shipped stripped (the build keeps debug info; ~90 MB with it).
if command -v file >/dev/null; then
  file "$tmp/root/usr/bin/accessioner" | grep -q ', stripped' || fail "binary is not stripped"
fi
echo "ok: package contents, scripts and binary"

# apt can satisfy every dependency on this Debian (simulation only: nothing is installed).
if command -v apt-get >/dev/null; then
  sim=$(apt-get install -s "$deb" 2>&1) || fail "apt-get install -s failed:"$'\n'"$sim"
  grep -qE '^Inst accessioner |accessioner is already the newest version' <<<"$sim" || fail "apt would not install it:"$'\n'"$sim"
  echo "ok: apt-get install -s resolves the dependencies"
fi
