#!/usr/bin/env bash
# End to end, as a newcomer would: deploy/local/run brings cdc up (without
# installing or building: tests/run did that), a stock gRPC client drives it
# through reflection, and Ctrl-C (SIGINT to the script, as a terminal sends
# it) stops everything cleanly.
set -euo pipefail
source "$(dirname "$0")/deployment.sh"

if [[ ! -d "$here/node_modules" ]]; then
  echo "tests/e2e/node_modules is missing: run tests/run (it runs npm ci)" >&2
  exit 1
fi

start_deployment
CDC_MEMBERS_ADDRESS="127.0.0.1:$((base_port + 1))" CDC_TOKEN="$token" \
  node "$here/members_smoke.mjs"

# The demo consultation was seeded and is open, with its sections.
show=$(CDC_TOKEN="$token" CDC_MEMBERS_ADDRESS="127.0.0.1:$((base_port + 1))" \
  CDC_CONSULTATIONS_ADDRESS="127.0.0.1:$((base_port + 2))" \
  "${CDC_BUILD_DIR:-$root/build}/tools/cdc/cdc" consultation show \
  copenhagen-framework --sections)
for expected in "state:" "principles" "participation" "roadmap"; do
  grep -q "$expected" <<<"$show" || {
    echo "demo consultation lacks \"$expected\":"; echo "$show"; exit 1; }
done
grep -q "open (accepting comments)" <<<"$show" || {
  echo "the demo round is not open:"; echo "$show"; exit 1; }
echo "ok - the demo consultation is seeded and open"

# cdc-notifications consumed the demo's events: the bootstrap secretariat's
# inbox holds its approval, and the partner feed replays the round opening.
cli() {
  CDC_TOKEN="$token" CDC_MEMBERS_ADDRESS="127.0.0.1:$((base_port + 1))" \
    CDC_CONSULTATIONS_ADDRESS="127.0.0.1:$((base_port + 2))" \
    CDC_COMMENTS_ADDRESS="127.0.0.1:$((base_port + 3))" \
    CDC_NOTIFICATIONS_ADDRESS="127.0.0.1:$((base_port + 4))" \
    "${CDC_BUILD_DIR:-$root/build}/tools/cdc/cdc" "$@"
}
for _ in $(seq 50); do
  inbox=$(cli notification list)
  grep -q "member-approved" <<<"$inbox" && break
  sleep 0.1
done
grep -q "member-approved" <<<"$inbox" || {
  echo "the secretariat's inbox lacks its approval:"; echo "$inbox"; exit 1; }
events=$(cli events --earliest --type round-opened --limit 1 --format jsonl)
grep -q '"roundOpened"' <<<"$events" || {
  echo "the event feed did not replay the round opening:"; echo "$events"; exit 1; }
echo "ok - notifications and the event feed work"

# The gateway: HTTP/JSON with the browser's tools (Node's fetch), and the
# gRPC front serving the cdc tool for every service on one port.
GATEWAY="http://127.0.0.1:$((base_port + 80))" CDC_TOKEN="$token" node --input-type=module -e '
const base = process.env.GATEWAY, auth = {authorization: "Bearer " + process.env.CDC_TOKEN};
const check = (ok, what) => { if (!ok) { console.error("gateway: " + what); process.exit(1); } };
let r = await fetch(base + "/readyz");
check(r.status === 200, "readyz " + r.status + " " + await r.text());
r = await fetch(base + "/v1/consultations", {headers: auth});
const list = await r.json();
check(r.status === 200 && JSON.stringify(list).includes("consultations/copenhagen-framework"),
      "consultations: " + JSON.stringify(list));
r = await fetch(base + "/v1/consultations");
check(r.status === 401 && (await r.json()).code === 16, "anonymous call not 401");
r = await fetch(base + "/");
check(r.status === 200 && r.headers.get("content-type").startsWith("text/html"), "web root");
'
echo "ok - the gateway serves HTTP/JSON"
front="127.0.0.1:$((base_port + 81))"
show=$(CDC_TOKEN="$token" CDC_MEMBERS_ADDRESS="$front" CDC_CONSULTATIONS_ADDRESS="$front" \
  CDC_COMMENTS_ADDRESS="$front" CDC_NOTIFICATIONS_ADDRESS="$front" \
  "${CDC_BUILD_DIR:-$root/build}/tools/cdc/cdc" consultation show copenhagen-framework)
grep -q "open (accepting comments)" <<<"$show" || {
  echo "the gateway's gRPC front did not serve the cdc tool:"; echo "$show"; exit 1; }
echo "ok - the gateway's gRPC front serves the cdc tool"

stop_deployment
