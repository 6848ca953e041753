#!/usr/bin/env bash
# Start a private Docker engine for the tests, with its network features off, and print
#   export DOCKER_HOST=unix://<state>/docker.sock
# for the caller to eval:   eval "$(.ci/dockerd.sh)"
# Idempotent: a running engine this script started (found by its pidfile) is reused.
# Stop it with:   kill "$(cat "${RIGTUI_DOCKER_STATE:-/tmp/rigtui-docker}/dockerd.pid")"
# Everything but the export line goes to stderr. Exit 1 (and no export) when no engine starts.
set -euo pipefail

state="${RIGTUI_DOCKER_STATE:-/tmp/rigtui-docker}"
sock="$state/docker.sock"
pidfile="$state/dockerd.pid"
log="$state/dockerd.log"
wait_s="${RIGTUI_DOCKERD_WAIT:-30}"
host="unix://$sock"

say() { echo "dockerd.sh: $*" >&2; }

answers() { DOCKER_HOST="$host" timeout 5 docker info >/dev/null 2>&1; }

if ! command -v dockerd >/dev/null 2>&1; then
    say "dockerd is not installed (apt-get install docker.io)"
    exit 1
fi
if ! command -v docker >/dev/null 2>&1; then
    say "the docker client is not installed (apt-get install docker.io)"
    exit 1
fi

mkdir -p "$state"
if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null && answers; then
    say "reusing dockerd $(cat "$pidfile") at $host"
    echo "export DOCKER_HOST=$host"
    exit 0
fi

# A stale pidfile or socket from an engine that died would stop dockerd from starting.
rm -f "$pidfile" "$sock"
mkdir -p "$state/data" "$state/exec"
say "starting dockerd (state in $state, log in $log)"
nohup dockerd \
    --bridge=none --iptables=false --ip6tables=false --ip-forward=false \
    --data-root "$state/data" --exec-root "$state/exec" \
    --pidfile "$pidfile" -H "$host" \
    >"$log" 2>&1 </dev/null &
started=$!

deadline=$((SECONDS + wait_s))
until answers; do
    if ! kill -0 "$started" 2>/dev/null; then
        say "dockerd exited; last lines of its log:"
        tail -n 15 "$log" >&2 || true
        exit 1
    fi
    if ((SECONDS >= deadline)); then
        say "dockerd did not answer within ${wait_s}s; stopping it. Last lines of its log:"
        tail -n 15 "$log" >&2 || true
        kill "$started" 2>/dev/null || true
        exit 1
    fi
    sleep 0.2
done
say "dockerd $started is up at $host"
echo "export DOCKER_HOST=$host"
