#!/usr/bin/env bash
# The web UI in a real browser: deploy/local/run brings cdc up (without
# installing or building: tests/run did that), ui_e2e.mjs drives the pages
# the gateway serves with headless Chromium (playwright-core), saving
# screenshots of the main pages to $UI_E2E_SCREENSHOTS (by default
# tests/e2e/screenshots under the current directory: the build tree under ctest), and Ctrl-C
# (SIGINT to the script, as a terminal sends it) stops everything cleanly.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/cdc-ui-e2e-XXXXXX")
base_port=$((20000 + RANDOM % 20000))
deploy_pid=

cleanup() {
  if [[ -n "$deploy_pid" ]] && kill -0 "$deploy_pid" 2>/dev/null; then
    kill -TERM "$deploy_pid" 2>/dev/null || true
    wait "$deploy_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [[ ! -d "$here/node_modules/playwright-core" ]]; then
  echo "tests/e2e/node_modules lacks playwright-core: run tests/run (it runs npm ci)" >&2
  exit 1
fi
chromium=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x "$chromium" ]]; then
  echo "$chromium is missing: run deploy/install-deps (it installs chromium)" >&2
  exit 1
fi

# Job control, so that the background deployment keeps SIGINT (a
# non-interactive shell would start it with SIGINT ignored).
set -m
"$root/deploy/local/run" --no-install --no-build --var-dir "$work/var" \
  --base-port "$base_port" >"$work/deploy.out" 2>&1 &
deploy_pid=$!
for _ in $(seq 300); do
  [[ -f "$work/var/ready" ]] && break
  kill -0 "$deploy_pid" 2>/dev/null || { cat "$work/deploy.out"; exit 1; }
  sleep 0.1
done
[[ -f "$work/var/ready" ]] || { echo "cdc did not start"; cat "$work/deploy.out"; exit 1; }

token=$(grep -A1 '^Secretariat token' "$work/deploy.out" | tail -1 | tr -d ' ')
gateway="http://127.0.0.1:$((base_port + 80))"
status=0
shots=${UI_E2E_SCREENSHOTS:-$PWD/tests/e2e/screenshots}
mkdir -p "$shots"
UI_E2E_SCREENSHOTS="$shots" CHROMIUM="$chromium" node "$here/ui_e2e.mjs" "$gateway" "$token" || status=$?
if ((status)); then
  echo "--- gateway log (last 40 lines) ---"
  tail -n 40 "$work/var/log/gateway.log" || true
  exit "$status"
fi

kill -INT "$deploy_pid"
wait "$deploy_pid"
deploy_pid=
grep -q '^stopped\.$' "$work/deploy.out" || {
  echo "deploy/local/run did not stop cleanly"; cat "$work/deploy.out"; exit 1; }
for port in "$base_port" "$((base_port + 1))" "$((base_port + 2))" \
  "$((base_port + 3))" "$((base_port + 4))" "$((base_port + 80))" \
  "$((base_port + 81))"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port still answers after the stop" >&2
    exit 1
  fi
done
echo "deploy/local/run stopped cleanly"
