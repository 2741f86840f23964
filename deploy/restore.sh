#!/usr/bin/env bash
# Restore a dump made by deploy/backup.sh into a database that does not exist yet (a fresh
# server, or a new name beside the old one), then check the ledger's invariants.
#
#   deploy/restore.sh IN.sql.gz DATABASE [HUB_BINARY]
#
# Refuses to overwrite an existing database: restore next to it, verify, then point the
# hub at the new one (--mysql_database). With HUB_BINARY (the loyalty_hub executable),
# runs `loyalty_hub --check_invariants` against the restored database (which also applies
# any migration the binary has and the dump lacks) and fails unless it exits 0.
#
# Connection: the same MYSQL_* variables as deploy/backup.sh.
set -euo pipefail

die() { echo "restore.sh: error: $*" >&2; exit 1; }
[[ $# -ge 2 && $# -le 3 ]] || { echo "usage: $0 IN.sql.gz DATABASE [HUB_BINARY]" >&2; exit 2; }
IN=$1
DB=$2
HUB=${3:-}
[[ -f "$IN" ]] || die "no such dump: $IN"
[[ "$DB" =~ ^[A-Za-z0-9_]{1,64}$ ]] || die "database name must be [A-Za-z0-9_]{1,64}: $DB"
gzip -t "$IN" || die "$IN is not a complete gzip file"

CLIENT=$(command -v mariadb || command -v mysql || true)
[[ -n "$CLIENT" ]] || die "mariadb client not found (install mariadb-client)"
conn=(--no-defaults --user="${MYSQL_USER:-root}")
hub_conn=(--mysql_user="${MYSQL_USER:-root}" --mysql_database="$DB")
if [[ -n "${MYSQL_SOCKET:-}" ]]; then
    conn+=(--socket="$MYSQL_SOCKET")
    hub_conn+=(--mysql_socket="$MYSQL_SOCKET")
else
    conn+=(--host="${MYSQL_HOST:-127.0.0.1}" --port="${MYSQL_PORT:-3306}" --protocol=tcp)
    hub_conn+=(--mysql_host="${MYSQL_HOST:-127.0.0.1}" --mysql_port="${MYSQL_PORT:-3306}")
fi

exists=$("$CLIENT" "${conn[@]}" -N -e \
    "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = '$DB'")
[[ "$exists" == 0 ]] || die "database $DB exists; restore into a new name"

"$CLIENT" "${conn[@]}" -e "CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4"
if ! gzip -dc "$IN" | "$CLIENT" "${conn[@]}" "$DB"; then
    die "loading $IN into $DB failed; drop $DB before trying again"
fi
echo "restore.sh: $IN -> $DB" >&2

if [[ -n "$HUB" ]]; then
    # The hub reads the password from LOYALTY_MYSQL_PASSWORD, the client from MYSQL_PWD.
    LOYALTY_MYSQL_PASSWORD="${MYSQL_PWD:-}" "$HUB" "${hub_conn[@]}" --check_invariants ||
        die "invariants do not hold on $DB (see above)"
    echo "restore.sh: invariants hold on $DB" >&2
fi
