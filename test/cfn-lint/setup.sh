#!/usr/bin/env bash
# Creates .venv-cfnlint with cfn-lint from PyPI for test/cfn-lint.test.ts. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=1.58.0
venv=.venv-cfnlint
if [ -x "$venv/bin/cfn-lint" ] && [ "$("$venv/bin/cfn-lint" --version 2>/dev/null | awk '{print $2}')" = "$version" ]; then
  exit 0
fi
echo "installing cfn-lint==$version into $venv"
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "cfn-lint==$version"
