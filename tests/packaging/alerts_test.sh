#!/usr/bin/env bash
# packaging/alerts.yml: valid for Prometheus, its unit tests pass (packaging/alerts_test.yml),
# every metric it uses is one router/observability/metrics.hpp promises, and every runbook link has its
# section in docs/operations.md.
#   alerts_test.sh SOURCE_DIR
set -euo pipefail
src=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v promtool >/dev/null || fail "promtool not installed (Debian package prometheus; scripts/install-deps.sh)"

promtool check rules "$src/packaging/alerts.yml"
promtool test rules "$src/packaging/alerts_test.yml"

# Metric names: the contract is the comment block of router/observability/metrics.hpp. A counter listed there
# as "x_total / _y_total" names its sibling by suffix: expand that too.
contract=$(grep -oE 'accessioner_[a-z_]+|/ _[a-z_]+' "$src/router/observability/metrics.hpp" \
  | sed 's|^/ _|accessioner_worklist_|' | sort -u)
used=$(grep -oE 'accessioner_[a-z_]+' "$src/packaging/alerts.yml" | sort -u)
missing=$(comm -23 <(echo "$used") <(echo "$contract"))
[ -z "$missing" ] || fail "alerts.yml uses metrics router/observability/metrics.hpp does not define: $missing"
echo "ok: $(wc -l <<<"$used") metric names, all in router/observability/metrics.hpp"

# Runbooks: "docs/operations.md#anchor" must be a heading there (GitHub anchor: lower case).
anchors=$(grep -E '^#{2,4} ' "$src/docs/operations.md" \
  | sed -E 's/^#+ +//; s/[^A-Za-z0-9 _-]//g; s/ /-/g' | tr '[:upper:]' '[:lower:]' | sort -u)
# Every alert has a runbook link (a warning and a critical variant may share one), and every
# link lands on a heading.
alerts=$(grep -cE '^ *- alert: ' "$src/packaging/alerts.yml")
runbooks=$(grep -cE '^ *runbook: "docs/operations\.md#[a-z0-9-]+"$' "$src/packaging/alerts.yml")
[ "$alerts" -eq "$runbooks" ] || fail "$alerts alerts but $runbooks runbook links"
links=$(grep -oE 'docs/operations\.md#[a-z0-9-]+' "$src/packaging/alerts.yml" | sed 's/.*#//' | sort -u)
for link in $links; do
  grep -qxF "$link" <<<"$anchors" || fail "runbook link #$link has no heading in docs/operations.md"
done
echo "ok: $alerts alerts, each with a runbook section in docs/operations.md"
