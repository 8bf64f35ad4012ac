#!/usr/bin/env bash
# The seed, end to end on this machine (`npm run demo`): builds the lab (network namespaces
# with real sshd and FRR), converges it with playbooks/lab.yml, shows how 120 connections from
# the workstation spread over the nodes with L3 (policy 0) and then L4 (policy 1) ECMP hashing,
# runs playbooks/verify.yml, and always takes the lab down again. Needs root (namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."

FABRIC=(node bin/fabric)
VIP=172.16.1.220          # metallb_test_address in inventory/group_vars/all.yml
CONNECTIONS=120

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "demo.sh: run as root (the lab creates network namespaces)" >&2
  exit 1
fi

step "Installing what the lab needs (Debian packages, npm packages, build)"
bash scripts/install-deps.sh

# The lab goes down however this script ends (error, Ctrl-C or success).
trap 'step "Taking the lab down"; "${FABRIC[@]}" lab down || true' EXIT

step "fabric lab up"
"${FABRIC[@]}" lab up

step "fabric play playbooks/lab.yml -i inventory/lab.yml"
"${FABRIC[@]}" play playbooks/lab.yml -i inventory/lab.yml

# Opens $CONNECTIONS connections from the workstation and prints a per-node table.
spread() {
  "${FABRIC[@]}" lab exec workstation -- sh -c "ip route flush cache; for i in \$(seq $CONNECTIONS); do curl -s --max-time 2 http://$VIP/ || echo no-answer; done" |
    grep . | sort | uniq -c |
    awk '{ n += $1; bar = ""; for (i = 0; i < $1; i += 2) bar = bar "#"; printf "  %-12s %4d  %s\n", $2, $1, bar } END { printf "  %-12s %4d\n", "total", n }'
}

step "L3 hashing (fib_multipath_hash_policy=0, the kernel default): $CONNECTIONS connections from the workstation"
"${FABRIC[@]}" lab exec router -- sysctl -w net.ipv4.fib_multipath_hash_policy=0 >/dev/null
spread

step "fabric play playbooks/lab.yml -i inventory/lab.yml --tags router (puts the L4 hash back)"
"${FABRIC[@]}" play playbooks/lab.yml -i inventory/lab.yml --tags router

step "L4 hashing (fib_multipath_hash_policy=1, the seed's fix): same $CONNECTIONS connections"
spread

step "fabric play playbooks/verify.yml -i inventory/lab.yml"
"${FABRIC[@]}" play playbooks/verify.yml -i inventory/lab.yml
