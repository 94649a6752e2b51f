#!/usr/bin/env bash
# The web UI in a real browser: deploy/local/run brings cdc up (without
# installing or building: tests/run did that), then two scenarios drive the
# pages the gateway serves with headless Chromium (playwright-core):
# ui_e2e.mjs (the consultation) and community_ui_e2e.mjs (the community of
# practice), saving screenshots of the main pages to $UI_E2E_SCREENSHOTS (by
# default tests/e2e/screenshots under the current directory: the build tree
# under ctest), and Ctrl-C (SIGINT to the script, as a terminal sends it)
# stops everything cleanly. First, the UI's vendored files
# (gateway/web/vendor/) must match the npm packages package.json pins.
set -euo pipefail
source "$(dirname "$0")/deployment.sh"

if [[ ! -d "$here/node_modules/playwright-core" ]]; then
  echo "tests/e2e/node_modules lacks playwright-core: run tests/run (it runs npm ci)" >&2
  exit 1
fi
chromium=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x "$chromium" ]]; then
  echo "$chromium is missing: run deploy/install-deps (it installs chromium)" >&2
  exit 1
fi

node "$here/vendor_web.mjs" --check

start_deployment
gateway="http://127.0.0.1:$((base_port + 80))"
status=0
shots=${UI_E2E_SCREENSHOTS:-$PWD/tests/e2e/screenshots}
mkdir -p "$shots"
for scenario in ui_e2e community_ui_e2e; do
  echo "--- $scenario ---"
  UI_E2E_SCREENSHOTS="$shots" CHROMIUM="$chromium" node "$here/$scenario.mjs" "$gateway" "$token" || status=$?
done
if ((status)); then
  echo "--- gateway log (last 40 lines) ---"
  tail -n 40 "$work/var/log/gateway.log" || true
  exit "$status"
fi

stop_deployment
