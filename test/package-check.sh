#!/usr/bin/env bash
# The npm tarball holds the library and nothing of the workspace (venvs, tests, snapshots).
set -euo pipefail
cd "$(dirname "$0")/.."
tgz=$(ls dist/js/*.tgz | head -n 1)
size=$(stat -c %s "$tgz")
unexpected=$(tar tzf "$tgz" | cut -d/ -f2 | sort -u | grep -vxE 'lib|assets|node_modules|package.json|README.md|LICENSE|API.md|\.jsii|\.jsii\.tabl\.json' || true)
echo "$tgz: $size bytes; top-level entries: $(tar tzf "$tgz" | cut -d/ -f2 | sort -u | tr '\n' ' ')"
if [ -n "$unexpected" ]; then echo "unexpected entries in the npm package: $unexpected" >&2; exit 1; fi
if [ "$size" -gt 5000000 ]; then echo "the npm package is $size bytes; expected under 5 MB" >&2; exit 1; fi
