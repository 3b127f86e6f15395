#!/usr/bin/env bash
# Creates .venv-litellm with the LiteLLM proxy pinned to the default image's
# version (LiteLlmImage.DEFAULT_VERSION), for test/boot.test.ts. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(sed -n "s/.*DEFAULT_VERSION = '\([0-9.]*\)'.*/\1/p" src/image.ts)
[ -n "$version" ] || { echo "cannot read LiteLlmImage.DEFAULT_VERSION from src/image.ts" >&2; exit 1; }
venv=.venv-litellm
# The image installs LiteLLM's proxy-runtime extra too; of it the boot test needs only
# prometheus-client (Requires-Dist: prometheus-client>=0.20.0,<1.0; extra == 'proxy-runtime'
# in the 1.108.7 wheel's METADATA), for the metrics server.
metrics_client='prometheus-client>=0.20.0,<1.0'
if [ -x "$venv/bin/litellm" ] && [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))' 2>/dev/null)" = "$version" ]; then
  "$venv/bin/python" -c 'import prometheus_client' 2>/dev/null || "$venv/bin/pip" install --quiet --disable-pip-version-check "$metrics_client"
  exit 0
fi
echo "installing litellm[proxy,extra_proxy]==$version into $venv"
rm -rf "$venv"
python3 -m venv "$venv"
# pip 23 skips the extra_proxy extra (which brings prisma, as the image has it).
"$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/pip" install --quiet --disable-pip-version-check "litellm[proxy,extra_proxy]==$version" "$metrics_client"
