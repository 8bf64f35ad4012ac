#!/usr/bin/env bash
# The seed, end to end on this machine (`npm run demo`): builds the lab (network namespaces
# with real sshd and FRR), converges it with playbooks/lab.yml, runs the seed's load test —
# 12,000 new connections from the workstation to the service address, with L3 (policy 0) and
# then L4 (policy 1) ECMP hashing, a per-node table for each and a chart of both
# (.lab/load-chart.svg) — runs playbooks/verify.yml, and always takes the lab down again.
# Needs root (namespaces).
#   FABRIC_DEMO_LAB=NAME       run on a lab of that name (default: the default lab, fab)
#   FABRIC_DEMO_CONNECTIONS=N  connections per phase (default 12000)
set -euo pipefail
cd "$(dirname "$0")/.."

LAB=${FABRIC_DEMO_LAB:-fab}
CONNECTIONS=${FABRIC_DEMO_CONNECTIONS:-12000}
FABRIC=(node bin/fabric)
LABFLAGS=(--name "$LAB")
OUT=.lab/load                # each phase's counts (JSON)
CHART=.lab/load-chart.svg
# The default lab's inventory is inventory/lab.yml, beside the group_vars; another lab's is in its
# state dir, which gets a link to them.
if [ "$LAB" = fab ]; then INVENTORY=inventory/lab.yml; else INVENTORY=.lab/$LAB/inventory.yml; fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "demo.sh: run as root (the lab creates network namespaces)" >&2
  exit 1
fi

step "Installing what the lab needs (Debian packages, npm packages, build)"
bash scripts/install-deps.sh

# The lab goes down however this script ends (error, Ctrl-C or success).
trap 'step "Taking the lab down"; "${FABRIC[@]}" lab down "${LABFLAGS[@]}" || true' EXIT

step "fabric lab up ${LABFLAGS[*]}"
"${FABRIC[@]}" lab up "${LABFLAGS[@]}"
[ "$LAB" = fab ] || ln -sfn ../../inventory/group_vars ".lab/$LAB/group_vars"

step "fabric play playbooks/lab.yml -i $INVENTORY"
"${FABRIC[@]}" play playbooks/lab.yml -i "$INVENTORY"

# One phase of the load test at the router's current hash policy: $CONNECTIONS connections from
# the workstation (bench/load/connect.mjs, 64 at a time), the answers per node as a table.
spread() {
  node bench/load/spread.mjs -i "$INVENTORY" "${LABFLAGS[@]}" --count "$CONNECTIONS" --save "$OUT/$1.json"
}

step "L3 hashing (fib_multipath_hash_policy=0, the kernel default): $CONNECTIONS connections from the workstation"
"${FABRIC[@]}" lab exec "${LABFLAGS[@]}" router -- sysctl -w net.ipv4.fib_multipath_hash_policy=0 >/dev/null
spread l3

step "fabric play playbooks/lab.yml -i $INVENTORY --tags router (puts the L4 hash back)"
"${FABRIC[@]}" play playbooks/lab.yml -i "$INVENTORY" --tags router

step "L4 hashing (fib_multipath_hash_policy=1, the seed's fix): same $CONNECTIONS connections"
spread l4

step "Chart: L3 against L4"
node bench/load/chart.mjs "$OUT/l3.json" "$OUT/l4.json" --out "$CHART"

step "fabric play playbooks/verify.yml -i $INVENTORY"
"${FABRIC[@]}" play playbooks/verify.yml -i "$INVENTORY"

echo
echo "The load test's chart: $(pwd)/$CHART (per phase counts: $OUT/l3.json, $OUT/l4.json)"
