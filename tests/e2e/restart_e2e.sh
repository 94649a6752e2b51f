#!/usr/bin/env bash
# End to end: a restart of deploy/local/run over data that takes Redis a
# while to load back. Redis answers LOADING meanwhile; deploy/local/run must
# wait it out (saying so) rather than start the services against it and
# give up on their health. Redis's own testing delay (key-load-delay, 1 ms
# per command read back) makes 25,000 keys load in ~25 s, longer than any
# fixed wait deploy/local/run had.
set -euo pipefail
source "$(dirname "$0")/deployment.sh"

start_deployment
socket="$work/var/redis/redis.sock"
keys=25000
redis-cli -s "$socket" EVAL \
  "for i = 1, tonumber(ARGV[1]) do redis.call('SET', 'restart-test:' .. i, 'x') end return 1" \
  0 "$keys" >/dev/null
stop_deployment

started=$(date +%s)
deployment_start_seconds=150 start_deployment --redis-args "--key-load-delay 1000"
echo "the restart took $(($(date +%s) - started)) s"
grep -q '^redis is loading its data' "$work/deploy.out" || {
  echo "deploy/local/run did not wait for Redis to load:"; cat "$work/deploy.out"
  exit 1; }
[[ "$(redis-cli -s "$socket" DBSIZE)" -gt "$keys" ]] || {
  echo "the data did not come back"; exit 1; }
[[ "$(redis-cli -s "$socket" GET "restart-test:$keys")" == x ]]
# Every service is up on the data: the demo consultation reads back.
CDC_TOKEN="$token" CDC_MEMBERS_ADDRESS="127.0.0.1:$((base_port + 1))" \
  CDC_CONSULTATIONS_ADDRESS="127.0.0.1:$((base_port + 2))" \
  "${CDC_BUILD_DIR:-$root/build}/tools/cdc/cdc" consultation show \
  copenhagen-framework | grep -q "open (accepting comments)" || {
  echo "the demo consultation did not read back after the restart"; exit 1; }
echo "ok - a restart waited for Redis to load $keys keys, then served them"
stop_deployment
