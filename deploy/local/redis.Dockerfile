# Redis from Debian for the offline build, standing in for redis:7.4: redis-server and
# redis-cli on PATH, run as the redis user.
ARG BASE_IMAGE=gateway-local/debian:bookworm
FROM ${BASE_IMAGE}
RUN set -eu; \
    apt-get update -qq; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server redis-tools >/dev/null; \
    apt-get clean; rm -rf /var/lib/apt/lists/*; \
    mkdir -p /data; chown redis:redis /data
WORKDIR /data
USER redis
EXPOSE 6379
# The official image builds Redis with protected mode off (it listens on the container's
# network only); started without a config file, Debian's would refuse other containers.
ENTRYPOINT ["/bin/sh", "-c", "if [ \"$1\" = redis-server ]; then shift; set -- redis-server --protected-mode no \"$@\"; fi; exec \"$@\"", "--"]
CMD ["redis-server"]
