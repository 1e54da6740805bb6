#!/usr/bin/env bash
# Sets up the PostgreSQL the paylink-inbox tests use: installs Debian's `postgresql` when it
# is missing, starts its cluster with pg_ctlcluster, and creates the `paylink` role and
# database. Prints the DATABASE_URL to use on its last line. Needs root (as CI runs).
set -euo pipefail

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "postgres: installing Debian's postgresql" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi

version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"' | grep -q .; then
    pg_createcluster "$version" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
    pg_ctlcluster "$version" main start >&2
fi
port="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $3 }')"

# Wait for it to take connections.
for _ in $(seq 1 30); do
    if su postgres -c "psql -p $port -qtAc 'select 1'" >/dev/null 2>&1; then break; fi
    sleep 1
done

su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -q" >&2 <<'SQL'
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'paylink') THEN
        CREATE ROLE paylink LOGIN PASSWORD 'paylink';
    END IF;
END $$;
SQL
if ! su postgres -c "psql -p $port -qtAc \"select 1 from pg_database where datname = 'paylink'\"" | grep -q 1; then
    su postgres -c "createdb -p $port -O paylink paylink" >&2
fi

echo "postgres://paylink:paylink@127.0.0.1:$port/paylink"
