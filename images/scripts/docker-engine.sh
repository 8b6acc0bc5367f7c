#!/usr/bin/env bash
# A Docker engine for the local image builds and smoke tests (make images-local).
#
#   images/scripts/docker-engine.sh start   exit 0 and print `running` (an engine already answers) or
#                                           `started` (this script started dockerd); exit 1 with the
#                                           reason when none can be started
#   images/scripts/docker-engine.sh stop    stop the dockerd that `start` started (nothing otherwise)
#
# dockerd runs as on these CI machines: root, no iptables/bridge (containers use --network none or host),
# the storage driver dockerd picks (overlay2 where the kernel allows, else vfs); CAEC_DOCKERD_ARGS adds flags.
set -euo pipefail

docker="${DOCKER:-docker}"
state="${CAEC_DOCKERD_STATE:-/run/caec-dockerd}"

answers() { "$docker" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

case "${1:-}" in
  start)
    if answers; then
      echo running
      exit 0
    fi
    if [ "$(id -u)" != 0 ] || ! command -v dockerd >/dev/null; then
      echo "docker-engine: no Docker engine answers and none can be started here (needs root and dockerd: apt-get install docker.io)" >&2
      exit 1
    fi
    mkdir -p "$state"
    # shellcheck disable=SC2086 # CAEC_DOCKERD_ARGS is a list of flags
    setsid dockerd --iptables=false --bridge=none --pidfile "$state/dockerd.pid" ${CAEC_DOCKERD_ARGS:-} \
      >"$state/dockerd.log" 2>&1 </dev/null &
    for _ in $(seq 60); do
      if answers; then
        touch "$state/started-by-caec"
        echo started
        exit 0
      fi
      sleep 1
    done
    echo "docker-engine: dockerd did not answer within 60 s; its log ($state/dockerd.log) ends with:" >&2
    tail -5 "$state/dockerd.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$state/started-by-caec" ] && [ -s "$state/dockerd.pid" ]; then
      pid="$(cat "$state/dockerd.pid")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 30); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 1
      done
      rm -f "$state/started-by-caec"
      echo stopped
    fi
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
