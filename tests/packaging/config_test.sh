#!/usr/bin/env bash
# The configurations we ship load in `accessioner check-config`, laid out as they are installed:
# the package's /etc/accessioner (with the example rule file as .example), the same with the
# example enabled (it loads once its two destinations exist, and is refused without them: which
# is why it ships disabled), the compose configuration, and the commented example.
#   config_test.sh SOURCE_DIR ACCESSIONER_BINARY
set -euo pipefail
src=$1 acc=${ACC_DAEMON_UNDER_TEST:-$2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# /etc/accessioner as the .deb installs it (packaging/cpack.cmake).
etc=$tmp/etc/accessioner
mkdir -p "$etc/rules.d"
cp "$src/packaging/accessioner.toml" "$etc/accessioner.toml"
cp "$src/packaging/rules.d/10-example.toml" "$etc/rules.d/10-example.toml.example"
"$acc" check-config --config "$etc/accessioner.toml" || fail "packaged configuration refused"
echo "ok: packaged /etc/accessioner"

# The production defaults the unit, the docs and the alerts rely on.
expect() { grep -qxF -- "$1" "$etc/accessioner.toml" || fail "accessioner.toml: missing '$1'"; }
expect 'path = "/var/lib/accessioner/queue"'
expect 'files = ["rules.d/*.toml"]'
expect 'bind = "127.0.0.1"'
expect 'port = 9110'

# The example rule file, enabled by an admin: refused while its destinations are missing...
cp "$etc/rules.d/10-example.toml.example" "$etc/rules.d/10-example.toml"
if out=$("$acc" check-config --config "$etc/accessioner.toml" 2>&1); then
  fail "example rules accepted without their destinations"
fi
grep -q "unknown destination 'pacs'" <<<"$out" || fail "unexpected refusal: $out"
# ...and loaded once they exist.
cat >>"$etc/accessioner.toml" <<'TOML'

[[destination]]
name = "pacs"
ae_title = "PACS"
host = "127.0.0.1"
port = 104

[[destination]]
name = "research-archive"
ae_title = "RESEARCH"
host = "127.0.0.1"
port = 11112
TOML
"$acc" check-config --config "$etc/accessioner.toml" || fail "example rules refused"
echo "ok: example rule file loads with its destinations, refused without"

"$acc" check-config --config "$src/packaging/docker/accessioner.toml" \
  || fail "compose configuration refused"
echo "ok: packaging/docker/accessioner.toml"
"$acc" check-config --config "$src/packaging/accessioner.example.toml" \
  || fail "example configuration refused"
echo "ok: packaging/accessioner.example.toml"
