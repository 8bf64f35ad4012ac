#!/usr/bin/env bash
# npm run bench [-- --hosts 5,25,100 --reruns 3 --repeat 1 --tools fabric,ansible --name perf]
# Needs root (the lab), Debian's ansible package (ansible-playbook with ansible.posix) and socat.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v ansible-playbook >/dev/null || { echo "bench: ansible-playbook not found (apt-get install -y --no-install-recommends ansible)" >&2; exit 1; }
npx tsc -p .
exec node bench/bench.mjs "$@"
