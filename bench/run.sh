#!/usr/bin/env bash
# npm run bench [-- --hosts 5,25,100 --reruns 3 --repeat 1 --tools fabric,ansible --name perf]
# npm run bench:adhoc [-- --hosts 5 --runs 7 --name adh]
# At latency: npm run bench -- --hosts 5,25 --delay 10,50 --tools fabric,ansible,mitogen --reruns 2 --ansible-reruns 1
# npm run bench:history [-- --hosts 5 --runs 15 --name hist]
# Needs root (the lab), Debian's ansible package (ansible-playbook with ansible.posix) and socat.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if ! command -v ansible-playbook >/dev/null || [ ! -d /usr/lib/python3/dist-packages/ansible_mitogen ]; then
  # Debian's ansible (2.14, with ansible.posix for sysctl); the bench compares against it.
  [ "$(id -u)" -eq 0 ] || { echo "bench: needs root and Debian's ansible (apt-get install -y --no-install-recommends ansible)" >&2; exit 1; }
  # ansible-mitogen: the bench's `mitogen` tool (strategy mitogen_linear).
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ansible ansible-mitogen >/dev/null
fi
# --adhoc first: the ad-hoc bench (bench/adhoc.mjs) instead of the playbook one; --history: what recording a run costs.
if [ "${1:-}" = "--adhoc" ]; then shift; exec node bench/adhoc.mjs "$@"; fi
if [ "${1:-}" = "--history" ]; then shift; exec node bench/history.mjs "$@"; fi
exec node bench/bench.mjs "$@"
