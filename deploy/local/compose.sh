#!/usr/bin/env bash
# npm run compose:up / compose:down: the HA stack of docker-compose.yml on this machine.
#   up    build the images without a registry (build-images.sh), start the stack, wait until
#         HAProxy has all six runtimes up (bounded), print the endpoints;
#   down  remove its containers, volumes and networks (and the admin token file);
#   logs  the last lines of every container's log.
# Set USE_PUBLIC_IMAGES=1 to skip the local build and use the public images (docker compose
# pulls them). Project name: COMPOSE_PROJECT_NAME (default gateway).
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/local/env.sh
log() { printf '[compose] %s\n' "$*"; }
UP_TIMEOUT_S=${COMPOSE_UP_TIMEOUT_S:-300}

# All six runtimes UP in HAProxy's view (its stats CSV: column 18 is the status).
lb_all_up() {
  local csv
  csv=$(node -e "fetch('http://127.0.0.1:8404/stats;csv').then(r=>r.text()).then(t=>process.stdout.write(t),()=>process.exit(1))" 2>/dev/null) || return 1
  [ "$(printf '%s\n' "$csv" | awk -F, '$1=="runtimes" && $2 ~ /^runtime-/ && $18=="UP"' | wc -l)" -eq 6 ]
}

case "${1:-}" in
  up)
    started=$SECONDS
    if [ "${USE_PUBLIC_IMAGES:-0}" = 1 ]; then
      unset NODE_IMAGE POSTGRES_IMAGE REDIS_IMAGE HAPROXY_IMAGE
      compose build
    else
      bash deploy/local/build-images.sh
    fi
    log "starting project $COMPOSE_PROJECT_NAME (compose: $COMPOSE)"
    # depends_on conditions order the start: certs, postgres, controllers, redis, runtimes, lb.
    compose up -d --no-build
    deadline=$((SECONDS + UP_TIMEOUT_S))
    until lb_all_up; do
      if [ $SECONDS -ge $deadline ]; then
        compose ps >&2 || true
        echo "[compose] HAProxy did not see all six runtimes up within ${UP_TIMEOUT_S} s" >&2
        exit 1
      fi
      sleep 1
    done
    log "up in $((SECONDS - started)) s: all six runtimes up behind HAProxy"
    log "  client traffic   http://127.0.0.1:8000/   (HAProxy; stats http://127.0.0.1:8404/stats)"
    log "  deploy API       http://127.0.0.1:8080 (controller-1), http://127.0.0.1:8081 (controller-2)"
    log "  admin token      ${STATE_DIR}/admin-token (or \$ADMIN_TOKEN when set)"
    log "  scenarios        npm run test:compose;   stop: npm run compose:down"
    ;;
  logs)
    # The last lines of every container's log (CI prints them when a step fails).
    compose logs --no-color --tail="${2:-60}"
    ;;
  down)
    compose down --volumes --remove-orphans --timeout 30
    rm -f "$STATE_DIR/admin-token"
    log "project $COMPOSE_PROJECT_NAME removed (containers, volumes, networks)"
    ;;
  *)
    echo "usage: $0 up|down|logs [lines]" >&2
    exit 2
    ;;
esac
