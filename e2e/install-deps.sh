#!/usr/bin/env bash
# Installs what the end-to-end tests need when it is missing: Debian's chromium (and fonts),
# and Node.js with npm. Safe to run again: it installs nothing that is already there.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium fonts-liberation)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)

if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "e2e: missing ${need[*]}; install them (apt-get install ${need[*]}) or run as root" >&2
    exit 1
  fi
  echo "e2e: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need[@]}"
fi

# playwright-core and xendit-node need Node.js 20 or newer.
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
  echo "e2e: Node.js $(node --version) is too old; the end-to-end tests need Node.js 20 or newer" >&2
  exit 1
fi
