#!/usr/bin/env bash
# The npm tarball holds the library and nothing of the workspace (venvs, tests, snapshots),
# with every Lambda handler's bundle (a package without them fails in the consumer's app),
# the keyword Construct Hub lists it by, and commands that run.
set -euo pipefail
cd "$(dirname "$0")/.."
tgz=$(ls dist/js/*.tgz | head -n 1)
size=$(stat -c %s "$tgz")
unexpected=$(tar tzf "$tgz" | cut -d/ -f2 | sort -u | grep -vxE 'lib|assets|node_modules|package.json|README.md|LICENSE|API.md|\.jsii|\.jsii\.tabl\.json' || true)
echo "$tgz: $size bytes; top-level entries: $(tar tzf "$tgz" | cut -d/ -f2 | sort -u | tr '\n' ' ')"
if [ -n "$unexpected" ]; then echo "unexpected entries in the npm package: $unexpected" >&2; exit 1; fi
if [ "$size" -gt 5000000 ]; then echo "the npm package is $size bytes; expected under 5 MB" >&2; exit 1; fi

# Each src/**/<name>.lambda.ts is bundled to assets/<dir>/<name>.lambda/index.js. (The listing is
# read whole: `grep -q` in a pipe would stop tar early, which pipefail reports as a failure.)
listing=$(tar tzf "$tgz")
for handler in $(cd src && find . -name '*.lambda.ts' | sed 's#^\./##; s#\.ts$##' | sort); do
  if ! grep -qx "package/assets/$handler/index.js" <<< "$listing"; then
    echo "the npm package lacks assets/$handler/index.js: run 'npx projen bundle' before packaging" >&2; exit 1
  fi
done

unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
tar xzf "$tgz" -C "$unpacked"
node -e '
  const pkg = require(process.argv[1]);
  if (!pkg.keywords.includes("awscdk")) throw new Error("Construct Hub lists jsii packages with the awscdk keyword; package.json has " + pkg.keywords);
  for (const [name, file] of Object.entries(pkg.bin)) {
    if (!require("fs").existsSync(require("path").join(process.argv[2], file))) throw new Error(`bin ${name}: ${file} is not in the package`);
  }' "$unpacked/package/package.json" "$unpacked/package"
# The commands start from the package (aws-cdk-lib, a peer dependency, from this workspace).
for bin in cost smoke; do
  usage=$(NODE_PATH="$PWD/node_modules" node "$unpacked/package/lib/$bin/cli.js" --help)
  echo "${usage%%$'\n'*}"
done
echo "package check passed: assets of $(cd src && find . -name '*.lambda.ts' | wc -l) handlers, keywords, bins"
