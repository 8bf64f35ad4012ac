#!/usr/bin/env bash
# `npm test`: installs what the tests need, builds, then runs every suite (unit and integration, lab included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# Tests may contact only loopback and proxied (lab) hosts.
export FABRIC_REQUIRE_PROXY=1
exec npx vitest run "$@"
