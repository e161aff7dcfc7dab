# Shared by deploy/local/*.sh (sourced): which docker and compose to run, the local image
# tags, the compose project and the admin token of the stack.
# Debian's docker CLI (docker.io) builds with BuildKit built in; a newer CLI without the
# buildx plugin cannot build at all, so /usr/bin/docker wins when it is there.
if [ -z "${DOCKER:-}" ]; then
  if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
fi
export DOCKER DOCKER_BUILDKIT=1
# Debian's docker-compose is v1 (1.29); elsewhere the compose v2 plugin does the same job.
if [ -z "${COMPOSE:-}" ]; then
  if command -v docker-compose >/dev/null 2>&1; then COMPOSE=docker-compose; else COMPOSE="$DOCKER compose"; fi
fi
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-gateway}
# The Node version of package.json's `node` devDependency (the one `npm ci` installs).
NODE_VERSION=${NODE_VERSION:-$(node -p "require('./package.json').devDependencies.node")}
# npm: the version running this script when npm runs it, else a pinned one.
NPM_VERSION=${NPM_VERSION:-$(printf '%s' "${npm_config_user_agent:-}" | sed -n 's|^npm/\([0-9][0-9.]*\) .*|\1|p')}
NPM_VERSION=${NPM_VERSION:-11.6.2}
DEBIAN_SUITE=${DEBIAN_SUITE:-bookworm}
LOCAL_PREFIX=${LOCAL_PREFIX:-gateway-local}
export BASE_IMAGE=${BASE_IMAGE:-$LOCAL_PREFIX/debian:$DEBIAN_SUITE}
# What docker-compose.yml takes instead of the public images (its ${…_IMAGE:-…} defaults).
export NODE_IMAGE=${NODE_IMAGE:-$LOCAL_PREFIX/node:$NODE_VERSION}
export POSTGRES_IMAGE=${POSTGRES_IMAGE:-$LOCAL_PREFIX/postgres:15}
export REDIS_IMAGE=${REDIS_IMAGE:-$LOCAL_PREFIX/redis:7}
export HAPROXY_IMAGE=${HAPROXY_IMAGE:-$LOCAL_PREFIX/haproxy:2.6}
# The stack's bootstrap admin token: ADMIN_TOKEN if set, else one made once and kept in
# .tmp/compose/admin-token (npm run test:compose reads it there; compose:down removes it).
STATE_DIR=.tmp/compose
if [ -z "${ADMIN_TOKEN:-}" ]; then
  if [ ! -s "$STATE_DIR/admin-token" ]; then
    mkdir -p "$STATE_DIR"
    (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$STATE_DIR/admin-token")
  fi
  ADMIN_TOKEN=$(cat "$STATE_DIR/admin-token")
fi
export ADMIN_TOKEN
compose() { $COMPOSE -f docker-compose.yml "$@"; }
