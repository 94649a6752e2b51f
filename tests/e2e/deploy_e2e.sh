#!/usr/bin/env bash
# End to end, as a newcomer would: deploy/local/run brings cdc up (without
# installing or building: tests/run did that), a stock gRPC client drives it
# through reflection, and Ctrl-C (SIGINT to the script, as a terminal sends
# it) stops everything cleanly.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/cdc-e2e-XXXXXX")
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

if [[ ! -d "$here/node_modules" ]]; then
  echo "tests/e2e/node_modules is missing: run tests/run (it runs npm ci)" >&2
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
