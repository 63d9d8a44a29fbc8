#!/usr/bin/env bash
# make playground [AS=<role>]: the bot in local mode with the Playground's people in their roles, and the
# Microsoft 365 Agents Playground (pinned in playground/package.json, installed under playground/), both on
# 127.0.0.1. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${BIN:-.venv/bin}"
AS="${AS:-social_worker}"
PORT="${PLAYGROUND_PORT:-56150}"
out=build/playground

"$BIN/python" playground/people.py --as "$AS" --config "$out/config.yml" --env "$out/env"
# shellcheck disable=SC1091
source "$out/env"
export DATABASE_URL="${PLAYGROUND_DATABASE_URL:-sqlite+aiosqlite:///./data/playground.db}"
mkdir -p data
"$BIN/stepbot" migrate
"$BIN/stepbot" serve &
bot=$!
trap 'kill "$bot" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 60); do
  curl -fsS http://127.0.0.1:3978/healthz >/dev/null 2>&1 && break
  kill -0 "$bot" 2>/dev/null || { echo "the bot stopped: see the lines above" >&2; exit 1; }
  sleep 0.5
done

# The Playground writes its log to ./devTools/ in its working directory: keep that under build/. If the port is
# busy it quietly takes another and prints it ("Listening on N"): read the port from what it prints.
: >"$out/playground.out"
(
  cd "$out"
  TEAMSAPPTESTER_BROWSER=none M365_AGENTS_PLAYGROUND_CONFIG_PATH="$PWD/config.yml" \
    exec node -r ../../playground/loopback.cjs ../../playground/node_modules/@microsoft/m365agentsplayground/cli.js \
    -e http://127.0.0.1:3978/api/messages -c msteams --disable-telemetry -p "$PORT" >>playground.out 2>&1
) &
playground=$!
tail -f "$out/playground.out" &
echoing=$!
trap 'kill "$playground" "$bot" "$echoing" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 60); do
  taken=$(sed -n 's/.*Listening on \([0-9][0-9]*\).*/\1/p' "$out/playground.out" | tail -n1)
  if [ -n "$taken" ] && curl -fsS "http://127.0.0.1:${taken}/_debug/ping" >/dev/null 2>&1; then
    PORT=$taken
    break
  fi
  kill -0 "$playground" 2>/dev/null || { echo "the Playground stopped: see the lines above" >&2; exit 1; }
  sleep 0.5
done
# Install the bot in the team's channels and the group chat, as an administrator would in Teams, so it can
# post requests there before anyone opens them.
for conversation in $(grep -Eo '"19:[^"]+"' "$out/config.yml" | tr -d '"'); do
  curl -fsS -X POST -H 'Content-Type: application/json' -d '{}' \
    "http://127.0.0.1:${PORT}/_debug/conversation/$("$BIN/python" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$conversation")/installation" >/dev/null ||
    echo "could not install the bot in $conversation" >&2
done
echo "Open http://127.0.0.1:${PORT} as $(grep -m1 -A2 '^currentUser:' "$out/config.yml" | sed -n 's/^  name: //p')."
wait "$playground"
