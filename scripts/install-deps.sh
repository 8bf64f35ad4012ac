#!/usr/bin/env bash
# Installs what fabric, its lab and its tests need on Debian/Ubuntu; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# ansible: the oracle the *-oracle tests compare fabric's expressions and file edits with; Debian's
# `ansible` (not just ansible-core) because their reports come through ansible.posix's json callback;
# sudo: what become runs (test/integration/cli-flags.test.ts becomes another user with -b);
# cron and git: the crontab and git binaries the cron and git modules run on lab hosts (which share them);
# chromium: headless, it screenshots the run history's HTML report (test/integration/history-html.test.ts);
# nfs-ganesha, nfs-ganesha-vfs and libnfs-utils: a userspace NFS server and client, since the lab's
# kernel has no NFS (test/integration/storage-lab.test.ts; README: Storage).
APT_PACKAGES=(openssh-server openssh-client frr frr-pythontools iproute2 curl socat util-linux ca-certificates ansible sudo cron git chromium nfs-ganesha nfs-ganesha-vfs libnfs-utils)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "fabric needs these Debian packages: ${missing[*]} (run: sudo apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  # npm install, not npm ci: with this machine's npm settings the lock omits other platforms' optional
  # packages and npm ci refuses it; npm install still installs the locked versions.
  npm install --no-audit --no-fund
else
  npm run --silent build
fi
