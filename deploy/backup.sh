#!/usr/bin/env bash
# Back up the hub's database to one compressed SQL file while the hub keeps running.
#
#   deploy/backup.sh OUT.sql.gz [DATABASE]
#
# mariadb-dump (or mysqldump) with --single-transaction takes one consistent InnoDB
# snapshot without locking the tables, so postings go on during the dump and the file
# holds exactly the transactions committed before it began (every table of the ledger is
# InnoDB). The file is written beside OUT first and renamed when complete, so OUT is
# never a partial dump.
#
# Connection (never a password on the command line, where `ps` would show it):
#   MYSQL_SOCKET    unix socket (default: TCP)
#   MYSQL_HOST / MYSQL_PORT / MYSQL_USER   default 127.0.0.1 / 3306 / root
#   MYSQL_PWD       the password, read by the client from the environment if set
# DATABASE defaults to loyalty (the hub's --mysql_database default).
set -euo pipefail

die() { echo "backup.sh: error: $*" >&2; exit 1; }
[[ $# -ge 1 && $# -le 2 ]] || { echo "usage: $0 OUT.sql.gz [DATABASE]" >&2; exit 2; }
OUT=$1
DB=${2:-loyalty}
[[ "$DB" =~ ^[A-Za-z0-9_]{1,64}$ ]] || die "database name must be [A-Za-z0-9_]{1,64}: $DB"

DUMP=$(command -v mariadb-dump || command -v mysqldump || true)
[[ -n "$DUMP" ]] || die "mariadb-dump not found (install mariadb-client)"

conn=(--no-defaults --user="${MYSQL_USER:-root}")
if [[ -n "${MYSQL_SOCKET:-}" ]]; then
    conn+=(--socket="$MYSQL_SOCKET")
else
    conn+=(--host="${MYSQL_HOST:-127.0.0.1}" --port="${MYSQL_PORT:-3306}" --protocol=tcp)
fi

tmp="$OUT.partial.$$"
trap 'rm -f "$tmp"' EXIT
# --routines/--triggers/--events: everything the schema may hold; --hex-blob keeps bytes
# exact; --databases is not used, so the dump restores into any database name.
set -o pipefail
"$DUMP" "${conn[@]}" --single-transaction --quick --routines --triggers --events \
    --hex-blob --default-character-set=utf8mb4 "$DB" | gzip -c >"$tmp"
mv -f "$tmp" "$OUT"
trap - EXIT
echo "backup.sh: $DB -> $OUT ($(wc -c <"$OUT") bytes)" >&2
