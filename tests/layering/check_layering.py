#!/usr/bin/env python3
"""Fails when a module includes a header it may not: the allowed dependency graph of Accessioner,
written once, here. Modules are folders; a file belongs to the longest folder listed below.

    check_layering.py ROOT      scan ROOT's module folders; exit 1 and list every violation

An include of a project header that belongs to no module is a violation too (a new folder must
be placed in the graph before it is used)."""
import os
import re
import sys

# module -> the modules it may include (besides itself). Arrows point one way: dicom/ and
# config/ know nothing of the others; rules/ is pure; router/ rooms only reach down; the wiring
# (router/server.*) reaches every room; the CLI reaches the wiring; main reaches the CLI.
DICOM = {"dicom/ul", "dicom/dimse", "dicom/data", "dicom/net"}
ALLOWED = {
    "common": set(),
    "config": {"common"},
    "dicom/ul": {"common"},
    "dicom/dimse": {"common", "dicom/ul"},
    "dicom/data": {"common", "dicom/ul"},
    "dicom/net": {"common", "dicom/ul", "dicom/dimse", "dicom/data"},
    "queue": {"common"},
    "rules": {"common", "config", "dicom/data"},
    "router/http": {"common"},
    "router/runtime": {"common"},
    "router/observability": {"common", "config", "queue", "rules", "router/http",
                             "router/runtime"},
    "router/receive": {"common", "config", "queue", "rules", "router/observability",
                       "router/runtime"} | DICOM,
    "router/forward": {"common", "config", "queue", "router/observability",
                       "router/runtime"} | DICOM,
    "router/stamping": {"common", "config", "queue", "rules", "router/receive",
                        "router/observability", "router/runtime"} | DICOM,
    "router/admin": {"common", "queue", "dicom/data", "router/runtime"},
    "router": {"common", "config", "queue", "rules", "router/receive", "router/forward",
               "router/stamping", "router/admin", "router/observability", "router/runtime",
               "router/http"} | DICOM,
    "router/cli": {"common", "config", "queue", "rules", "router", "router/admin",
                   "router/receive", "router/observability", "router/runtime"} | DICOM,
    "main": {"router/cli"},
}
SPECIAL = {"router/main.cpp": "main"}
TOP = ("common", "config", "dicom", "queue", "rules", "router")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def module_of(path):
    if path in SPECIAL:
        return SPECIAL[path]
    best = None
    for m in ALLOWED:
        if path.startswith(m + "/") and (best is None or len(m) > len(best)):
            best = m
    return best


def main(root):
    violations = []
    files = 0
    for top in TOP:
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if not name.endswith((".hpp", ".cpp", ".h")):
                    continue
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root)
                here = module_of(rel)
                files += 1
                with open(full, encoding="utf-8", errors="replace") as f:
                    text = f.read()
                for included in INCLUDE.findall(text):
                    if not included.startswith(TOP):
                        continue  # tests/, benchmarks/ or a system header in quotes
                    there = module_of(included)
                    if there is None:
                        violations.append(f"{rel}: includes {included}, which is in no module")
                    elif there != here and there not in ALLOWED[here]:
                        violations.append(f"{rel}: {here} may not include {included} ({there})")
    for v in violations:
        print(v)
    print(f"layering: {files} files, {len(violations)} violation(s)")
    return 1 if violations or files == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
