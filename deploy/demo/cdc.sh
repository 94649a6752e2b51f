# Sourced by the demo seeds: how they run the cdc tool and read its --json
# answers. Expects $cdc (the tool's path); sets $errors (a temporary file
# holding the last call's stderr, removed on exit).
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT

# Runs the cdc tool with --json; its output on stdout, its error on stderr.
run() {
  "$cdc" --json "$@" 2>"$errors" && return 0
  cat "$errors" >&2
  return 1
}

# The value of the first "<field>": <value> line of the JSON on stdin,
# unquoted; for names, numbers, enum names and times (no quote or comma in
# them).
field() {
  sed -n "s/^ *\"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" | head -n 1
}
