#!/usr/bin/env bash
# The whole test suite, as `deno task test` and CI run it. It installs what it
# needs: Deno from npm, and libnl + iproute2 from Debian for the live tests.
# Ends with the plain line "N passed, N failed" taken from Deno's own summary
# (tests and their steps counted together).
set -uo pipefail
cd "$(dirname "$0")/.."
DENO=${DENO:-"npx -y deno@2.9.6"}

# The live-kernel tests talk to libnl through FFI and use iproute2 as a witness.
missing=()
for pkg in libnl-3-200 libnl-route-3-200 iproute2; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} (Debian packages the live tests need)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null ||
    echo "Could not install ${missing[*]}; the live tests will fail" >&2
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
$DENO test --allow-all --unstable-worker-options \
  --parallel tests/ 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Deno's closing line: "ok | 122 passed (168 steps) | 0 failed" or
# "FAILED | 120 passed (160 steps) | 2 failed (3 steps)".
line=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^(ok|FAILED) \| [0-9]+ passed' | tail -n 1)
if [ -z "$line" ]; then
  echo "0 passed, 1 failed"
  echo "deno test printed no summary (exit $status)" >&2
  exit 1
fi
count() { # $1: passed|failed
  local part tests steps
  part=$(grep -oE "[0-9]+ $1( \([0-9]+ steps?\))?" <<<"$line" | head -n 1)
  tests=$(grep -oE "^[0-9]+" <<<"$part")
  steps=$(grep -oE "\([0-9]+" <<<"$part" | tr -d '(')
  echo $(( ${tests:-0} + ${steps:-0} ))
}
passed=$(count passed)
failed=$(count failed)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
exit "$status"
