#!/usr/bin/env bash
# End to end, as a newcomer would: deploy/local/run brings cdc up (without
# installing or building: tests/run did that), a stock gRPC client drives it
# through reflection, the cdc tool and Node's fetch drive the consultation,
# the notifications and the community of practice (directly and through
# the gateway), and Ctrl-C (SIGINT to the script, as a terminal sends it)
# stops everything cleanly.
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
# cli runs the cdc tool on every service's own port, as $CDC_TOKEN (the
# secretariat unless the caller says otherwise).
cli() {
  CDC_TOKEN="${CDC_TOKEN:-$token}" \
    CDC_MEMBERS_ADDRESS="127.0.0.1:$((base_port + 1))" \
    CDC_CONSULTATIONS_ADDRESS="127.0.0.1:$((base_port + 2))" \
    CDC_COMMENTS_ADDRESS="127.0.0.1:$((base_port + 3))" \
    CDC_NOTIFICATIONS_ADDRESS="127.0.0.1:$((base_port + 4))" \
    CDC_COMMUNITY_ADDRESS="127.0.0.1:$((base_port + 5))" \
    "${CDC_BUILD_DIR:-$root/build}/tools/cdc/cdc" "$@"
}
# Fails the test with what was expected and what came.
expect() {
  local pattern=$1 what=$2 text=$3
  grep -q -- "$pattern" <<<"$text" || {
    echo "$what lacks \"$pattern\":"; echo "$text"; exit 1; }
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

# The community of practice, with the cdc tool: the demo seed made its
# spaces; a member who applied and was approved starts a topic, the
# secretariat replies, the post counts follow (cdc-community's consumer),
# search finds the topic, the member registers an initiative, the
# secretariat approves it and exports the map as CSV.
spaces=$(cli space list)
expect "methodological-gaps" "the seeded spaces" "$spaces"
expect "sensitive-data" "the seeded spaces" "$spaces"
amina=$(CDC_PASSWORD="a long passphrase of hers" cli --json member apply \
  --email amina@stats.example.ke --name "Amina Njoroge" \
  --organisation "Kenya National Bureau of Statistics" \
  --organisation_type national-statistical-office --country KEN --languages en,sw |
  sed -n 's/^ *"name": "\(members\/[^"]*\)",$/\1/p' | head -n 1)
cli member approve "$amina" >/dev/null
member_token=$(CDC_PASSWORD="a long passphrase of hers" cli sign-in \
  --email amina@stats.example.ke)
as_member() { CDC_TOKEN="$member_token" cli "$@"; }
as_member space join methodological-gaps >/dev/null
topic=$(as_member --json topic create methodological-gaps \
  --title "Weighting volunteer samples" --tags sampling \
  --body "How do you weight samples of volunteers against the census?" |
  sed -n 's/^ *"name": "\(spaces\/[^"]*\)",$/\1/p' | head -n 1)
post=$(as_member --json topic post "$topic" --body "We post-stratify by age." |
  sed -n 's/^ *"name": "\(comments\/[^"]*\)",$/\1/p' | head -n 1)
cli topic reply "$post" --body "Against which totals?" >/dev/null
expect "Against which totals?" "the topic's posts" "$(as_member topic posts "$topic")"
for _ in $(seq 50); do
  shown=$(as_member topic get "$topic")
  grep -q '^posts: *2$' <<<"$shown" && break
  sleep 0.1
done
expect '^posts: *2$' "the topic (counted by the community consumer)" "$shown"
expect "Weighting volunteer samples" "the search" "$(as_member search "weighting volunteers")"
echo "ok - a member starts a topic, the secretariat replies, search finds it"

initiative=$(as_member --json initiative create --name "Farmer-run rainfall gauges" \
  --lead_organisation "Rain Watch Network" --organisation_type civil-society \
  --countries KEN,TZA --level driving --status active --sdg_goals 13 |
  sed -n 's/^ *"name": "\(initiatives\/[^"]*\)",$/\1/p' | head -n 1)
cli initiative approve "$initiative" --note "Thank you." >/dev/null
cli initiative export --format csv --output "$work/initiatives.csv"
expect "^name,display_name,description,lead_organisation," "the CSV export" \
  "$(cat "$work/initiatives.csv")"
expect "^$initiative,Farmer-run rainfall gauges,,Rain Watch Network,civil-society,,KEN;TZA,sub-saharan-africa," \
  "the CSV export" "$(cat "$work/initiatives.csv")"
expect "KEN" "the initiatives per country" "$(as_member initiative counts)"
echo "ok - an initiative is registered, approved and exported as CSV"

# The community over HTTP/JSON and the gateway's gRPC front.
GATEWAY="http://127.0.0.1:$((base_port + 80))" CDC_TOKEN="$member_token" node --input-type=module -e '
const base = process.env.GATEWAY, auth = {authorization: "Bearer " + process.env.CDC_TOKEN};
const check = (ok, what) => { if (!ok) { console.error("gateway: " + what); process.exit(1); } };
let r = await fetch(base + "/v1/spaces?joined_only=true", {headers: auth});
let body = await r.text();
check(r.status === 200 && body.includes("spaces/methodological-gaps"), "spaces: " + body);
r = await fetch(base + "/v1/resources?type=GUIDELINE", {headers: auth});
body = await r.text();
check(r.status === 200 && body.includes("quality assurance"), "resources: " + body);
r = await fetch(base + "/v1/initiatives:export?filter.country=TZA", {headers: auth});
body = await r.text();
check(r.status === 200 && body.trim().split("\n").length === 1 &&
      body.includes("Farmer-run rainfall gauges"), "export: " + body);
'
CDC_COMMUNITY_ADDRESS="$front" CDC_TOKEN="$member_token" \
  "${CDC_BUILD_DIR:-$root/build}/tools/cdc/cdc" topic list methodological-gaps |
  grep -q "Weighting volunteer samples" || {
  echo "the gateway's gRPC front did not serve the community"; exit 1; }
echo "ok - the gateway serves the community over HTTP/JSON and gRPC"

stop_deployment
