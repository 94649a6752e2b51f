# Sourced by the end-to-end scripts: brings up deploy/local/run on a random
# base port (without installing or building: tests/run did that), and stops
# it the way a person at a terminal does (SIGINT), checking that it stopped
# cleanly and that no port still answers. Sets: work, base_port, token.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/cdc-e2e-XXXXXX")
deploy_pid=
# Every port deploy/local/run listens on, as offsets from the base port.
deployment_ports=(0 1 2 3 4 5 80 81)

# Sets base_port: one from 20000 up to the kernel's ephemeral range (where
# the machine's own client sockets could hold one of our ports, and a
# service then could not listen), with every deployment port, and each
# extra offset given, unused by any socket.
pick_base_port() {
  local ephemeral_low offset free
  ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null ||
                  echo 32768)
  ((ephemeral_low > 21000)) || ephemeral_low=40100
  for _ in $(seq 50); do
    base_port=$((20000 + RANDOM % (ephemeral_low - 20000 - 100)))
    free=1
    for offset in "${deployment_ports[@]}" "$@"; do
      if port_in_use $((base_port + offset)); then free=0; break; fi
    done
    ((free)) && return 0
  done
}

port_in_use() {
  command -v ss >/dev/null || return 1
  [[ -n "$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ]]
}

pick_base_port

deployment_cleanup() {
  if [[ -n "$deploy_pid" ]] && kill -0 "$deploy_pid" 2>/dev/null; then
    kill -TERM "$deploy_pid" 2>/dev/null || true
    wait "$deploy_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap deployment_cleanup EXIT

# Starts deploy/local/run with any further arguments given, and waits up
# to $deployment_start_seconds (30) for it to be ready.
start_deployment() {
  # Job control, so that the background deployment keeps SIGINT (a
  # non-interactive shell would start it with SIGINT ignored).
  set -m
  "$root/deploy/local/run" --no-install --no-build --var-dir "$work/var" \
    --base-port "$base_port" "$@" >"$work/deploy.out" 2>&1 &
  deploy_pid=$!
  for _ in $(seq $((${deployment_start_seconds:-30} * 10))); do
    [[ -f "$work/var/ready" ]] && break
    kill -0 "$deploy_pid" 2>/dev/null || { cat "$work/deploy.out"; exit 1; }
    sleep 0.1
  done
  [[ -f "$work/var/ready" ]] || {
    echo "cdc did not start"; cat "$work/deploy.out"; exit 1; }
  token=$(grep -A1 '^Secretariat token' "$work/deploy.out" | tail -1 | tr -d ' ')
}

stop_deployment() {
  kill -INT "$deploy_pid"
  wait "$deploy_pid"
  deploy_pid=
  grep -q '^stopped\.$' "$work/deploy.out" || {
    echo "deploy/local/run did not stop cleanly"; cat "$work/deploy.out"; exit 1; }
  for offset in "${deployment_ports[@]}"; do
    local port=$((base_port + offset))
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "port $port still answers after the stop" >&2
      exit 1
    fi
  done
  echo "deploy/local/run stopped cleanly"
}
