# HAProxy from Debian for the offline build, standing in for haproxy:3.0: it reads
# /usr/local/etc/haproxy/haproxy.cfg (what docker-compose.yml mounts) as the haproxy user.
ARG BASE_IMAGE=gateway-local/debian:bookworm
FROM ${BASE_IMAGE}
RUN set -eu; \
    apt-get update -qq; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy >/dev/null; \
    apt-get clean; rm -rf /var/lib/apt/lists/*; \
    mkdir -p /usr/local/etc/haproxy
USER haproxy
STOPSIGNAL SIGUSR1
# -W master-worker, -db in the foreground, logs to stdout (the config's `log stdout`).
CMD ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]
