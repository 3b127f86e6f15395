#!/usr/bin/env bash
# Builds the OpenTelemetry Collector test/boot-collector.test.ts runs (test/collector/manifest.yaml:
# the components of the platform's collector config at ADOT v0.43.3's versions) with the
# OpenTelemetry Collector Builder from the Go module proxy, unless this machine already has it.
# The binary is cached outside the clone, keyed by the manifest's hash, so repeated runs reuse it:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/cdk-litellm/otelcol-<sha256 of the manifest, 16 hex>
# A second run while one builds waits for it (flock) and reuses its binary, so CI may start
# this early in the background. Prints the binary's path on its last line.
# Needs Go >= 1.22 (the go.mod of the builder and of contrib v0.117.0) and about 7 minutes
# on 2 cores the first time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
manifest="$here/manifest.yaml"
hash=$(sha256sum "$manifest" | cut -c1-16)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/cdk-litellm"
binary="$cache/otelcol-$hash"
if [ -x "$binary" ]; then echo "$binary"; exit 0; fi

command -v go >/dev/null || { echo "test/collector/build.sh needs Go (https://go.dev/dl/) to build the collector" >&2; exit 1; }
mkdir -p "$cache"
exec 9>"$cache/otelcol-$hash.lock"
flock 9
if [ -x "$binary" ]; then echo "$binary"; exit 0; fi

start=$(date +%s)
builder="$(go env GOPATH)/bin/builder"
if ! "$builder" version 2>/dev/null | grep -q 'v0.117.0'; then
  go install go.opentelemetry.io/collector/cmd/builder@v0.117.0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s|^dist:|dist:\n  output_path: $work/build|" "$manifest" >"$work/manifest.yaml"
"$builder" --config="$work/manifest.yaml" >&2
# Rename into place so an interrupted build never leaves a half-written binary.
cp "$work/build/otelcol-cdk-litellm" "$binary.tmp.$$"
mv "$binary.tmp.$$" "$binary"
echo "built the collector in $(( $(date +%s) - start ))s: $(du -h "$binary" | cut -f1) at $binary" >&2
echo "$binary"
