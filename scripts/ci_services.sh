#!/usr/bin/env bash
# Install (Debian package) and start a PostgreSQL server on 127.0.0.1 for tests/test_deploy.py.
# Idempotent: safe to run again while the server is up. Prints the URL to use as
# CHATREC_TEST_DATABASE_URL on its last line.
#
#   scripts/ci_services.sh            # defaults below; override with the variables
#   export CHATREC_TEST_DATABASE_URL=$(scripts/ci_services.sh | tail -1)
#   CHATREC_PG_NO_INSTALL=1 scripts/ci_services.sh   # start only; exit 3 if not installed
#
# The Chroma server is not started here: the tests start their own `chroma run` on loopback.
set -euo pipefail

PGUSER_NAME=${CHATREC_PG_USER:-chatrec}
PGPASSWORD_VALUE=${CHATREC_PG_PASSWORD:-chatrec}
PGDB=${CHATREC_PG_DB:-chatrec_test}
PGPORT=${CHATREC_PG_PORT:-5432}

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    if [ -n "${CHATREC_PG_NO_INSTALL:-}" ]; then
        echo "ci_services: PostgreSQL is not installed (and CHATREC_PG_NO_INSTALL is set)" >&2
        exit 3
    fi
    echo "ci_services: installing postgresql (apt)" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi

# the newest installed major version, and its cluster (created if the package made none)
PGVER=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk -v v="$PGVER" '$1 == v && $2 == "main"' | grep -q .; then
    $SUDO pg_createcluster "$PGVER" main --port "$PGPORT" >/dev/null
fi
CLUSTER_PORT=$(pg_lsclusters -h | awk -v v="$PGVER" '$1 == v && $2 == "main" {print $3}')
if [ "$CLUSTER_PORT" != "$PGPORT" ]; then
    echo "ci_services: cluster $PGVER/main listens on $CLUSTER_PORT (not $PGPORT): using $CLUSTER_PORT" >&2
    PGPORT=$CLUSTER_PORT
fi
# loopback only (quoted: an unquoted address is a syntax error in postgresql.conf)
$SUDO pg_conftool "$PGVER" main set listen_addresses localhost >/dev/null

if ! pg_lsclusters -h | awk -v v="$PGVER" '$1 == v && $2 == "main" {print $4}' | grep -q online; then
    echo "ci_services: starting PostgreSQL $PGVER on 127.0.0.1:$PGPORT" >&2
    $SUDO pg_ctlcluster "$PGVER" main start
fi
# wait (bounded) until it accepts connections
for _ in $(seq 1 60); do
    if $SUDO -u postgres psql -p "$PGPORT" -Atqc "SELECT 1" >/dev/null 2>&1 \
        || su postgres -c "psql -p $PGPORT -Atqc 'SELECT 1'" >/dev/null 2>&1; then
        break
    fi
    sleep 0.5
done

psql_admin() {
    if [ -n "$SUDO" ]; then sudo -u postgres psql -p "$PGPORT" -v ON_ERROR_STOP=1 -Atq "$@"
    else su postgres -c "psql -p $PGPORT -v ON_ERROR_STOP=1 -Atq $(printf '%q ' "$@")"; fi
}

if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname='$PGUSER_NAME'")" != 1 ]; then
    psql_admin -c "CREATE ROLE \"$PGUSER_NAME\" LOGIN PASSWORD '$PGPASSWORD_VALUE'"
else
    psql_admin -c "ALTER ROLE \"$PGUSER_NAME\" LOGIN PASSWORD '$PGPASSWORD_VALUE'"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname='$PGDB'")" != 1 ]; then
    psql_admin -c "CREATE DATABASE \"$PGDB\" OWNER \"$PGUSER_NAME\""
fi

URL="postgresql://$PGUSER_NAME:$PGPASSWORD_VALUE@127.0.0.1:$PGPORT/$PGDB"
# check the URL really works over TCP with the password (pg_hba: scram on 127.0.0.1/32)
PGPASSWORD="$PGPASSWORD_VALUE" psql "$URL" -Atqc "SELECT 1" >/dev/null
echo "ci_services: PostgreSQL $PGVER ready" >&2
echo "$URL"
