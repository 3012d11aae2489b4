#!/usr/bin/env bash
# The README's test command runs this: it installs what the tests need, then builds, type-checks,
# lints and runs every package's tests, and ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 FORCE_COLOR=0 NO_COLOR=1

bash tooling/scripts/ensure-peers.sh || { echo "0 passed, 1 failed"; exit 1; }
# The install builds the native binding when it can; a toolchain installed just now builds it here.
[ -f packages/crypto-native/build/Release/ssh_crypto_native.node ] || pnpm -s --filter @ssh/crypto-native build:native

mkdir -p .tmp
checks_passed=0
checks_failed=0
failed_names=()
run_check() { # name, command...
  local name=$1
  shift
  echo "== $name"
  if "$@"; then
    checks_passed=$((checks_passed + 1))
  else
    checks_failed=$((checks_failed + 1))
    failed_names+=("$name")
  fi
}

run_check build pnpm -s turbo run build --output-logs=errors-only --continue
run_check typecheck pnpm -s turbo run typecheck --output-logs=errors-only --continue
run_check lint pnpm -s turbo run lint --output-logs=errors-only --continue
rm -f .tmp/vitest.json
echo "== tests"
pnpm -s exec vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest.json
vitest_rc=$?

node tooling/scripts/summarize.mjs .tmp/vitest.json "$checks_passed" "$checks_failed" "$vitest_rc" "${failed_names[@]}"
