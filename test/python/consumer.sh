#!/usr/bin/env bash
# Installs the built wheel into a fresh venv with aws-cdk-lib and constructs from
# PyPI, then runs the README's Python example and asserts on its template.
set -euo pipefail
cd "$(dirname "$0")/../.."
wheel=$(ls dist/python/*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$wheel" ]; then
  echo "no wheel in dist/python: run 'npx projen build' (or 'npx projen package:python') first" >&2
  exit 1
fi
venv=.venv-consumer
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "$wheel" "aws-cdk-lib==$(node -p "require('./package.json').devDependencies['aws-cdk-lib']")" constructs
"$venv/bin/python" test/python/consumer.py
