# PostgreSQL from Debian for the offline build, standing in for postgres:17: the same
# variables (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB), data directory
# (/var/lib/postgresql/data) and pg_isready on PATH, so docker-compose.yml needs no change.
ARG BASE_IMAGE=gateway-local/debian:bookworm
FROM ${BASE_IMAGE}
RUN set -eu; \
    apt-get update -qq; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null; \
    apt-get clean; rm -rf /var/lib/apt/lists/*; \
    rm -rf /var/lib/postgresql/15/main; \
    mkdir -p /var/lib/postgresql/data /var/run/postgresql; \
    chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
EXPOSE 5432
# Fast shutdown on docker stop, like the official image.
STOPSIGNAL SIGINT
ENTRYPOINT ["/bin/sh", "/usr/local/bin/docker-entrypoint.sh"]
CMD ["postgres"]
