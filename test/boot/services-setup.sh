#!/usr/bin/env bash
# Installs redis-server, redis-cli and openssl for test/boot/redis.ts, and PostgreSQL
# for test/boot/postgres.ts. Each test starts its own TLS server on a free loopback
# port: nothing here starts or relies on a system Redis or PostgreSQL service.
# Idempotent; needs root (apt-get) only when something is missing. Debian 12's
# redis-server (7.0) is built with TLS; its postgresql is 15.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "services-setup: ${missing[*]} missing and not root: install them (apt-get install ${missing[*]})" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# The package's postinst would start the redis-server service (on port 6379, no TLS)
# where an init system runs; policy-rc.d exit 101 forbids any service start during
# the install. The previous policy, if any, is put back afterwards.
policy=/usr/sbin/policy-rc.d
saved=""
if [ -e "$policy" ]; then saved=$(mktemp); cp -p "$policy" "$saved"; fi
restore_policy() {
  if [ -n "$saved" ]; then mv -f "$saved" "$policy"; else rm -f "$policy"; fi
}
trap restore_policy EXIT
printf '#!/bin/sh\nexit 101\n' >"$policy"
chmod 755 "$policy"

echo "services-setup: installing ${missing[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# Should a service have been started anyway (no policy-rc.d support), stop and
# disable it: the tests never use it. Failures here are not errors (no systemd in
# containers; service already stopped).
for service in redis-server postgresql; do
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now "$service.service" >/dev/null 2>&1 || true
  elif [ -x "/etc/init.d/$service" ]; then
    "/etc/init.d/$service" stop >/dev/null 2>&1 || true
    command -v update-rc.d >/dev/null 2>&1 && update-rc.d "$service" disable >/dev/null 2>&1 || true
  fi
done

command -v redis-server >/dev/null && command -v redis-cli >/dev/null && command -v openssl >/dev/null
ls /usr/lib/postgresql/*/bin/initdb >/dev/null
redis-server --version
ls -d /usr/lib/postgresql/*/bin
