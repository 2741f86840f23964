#!/usr/bin/env bash
# Benchmark: `settlement close` over a generated journal of ENTRIES transfers (default
# 5,000,000) inside one monthly period, under /usr/bin/time -v (wall time, peak RSS),
# then the hub's invariant check on the same data, then the analytics reports over it
# (deploy/bench-analytics.sh; BENCH_ANALYTICS=0 skips them).
#
#   MYSQL_SOCKET=/path/to/mysqld.sock deploy/bench-settlement.sh
#
# Environment:
#   MYSQL_SOCKET    socket of a running MariaDB (required; deploy/mariadb.sh start DIR)
#   HUB_BIN         default build/hub/loyalty_hub        (--migrate_only, --check_invariants)
#   SETTLEMENT_BIN  default build/settlement/settlement
#   BUILD_DIR       default build (used only for the defaults above)
#   ENTRIES         journal size in transfers inside the period (default 5000000; a
#                   multiple of 100)
#   BENCH_DB        database to (re)create (default loyalty_bench_settlement)
#   KEEP_DB=1       keep the database afterwards (default: dropped)
#
# Progress goes to stderr; stdout carries only a markdown fragment with the figures.
#
# The journal is generated in SQL (MariaDB's SEQUENCE engine, INSERT ... SELECT), as the
# hub would have written it (docs/ledger.md): for each of ENTRIES/10 members ten
# transactions in the period -- five earns at five partners (lots), three redemptions
# taking points in lot order (consumptions), a partial redemption reversal restoring
# the last lot taken, a full earn reversal from the earn's own lot -- and for one member
# in ten a lot earned a year before the period that expires on its first day (opening
# liability, breakage). Each transaction posts exactly one transfer; ids and posting
# times increase together.
set -euo pipefail

cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.."

BUILD_DIR=${BUILD_DIR:-build}
HUB_BIN=${HUB_BIN:-$BUILD_DIR/hub/loyalty_hub}
SETTLEMENT_BIN=${SETTLEMENT_BIN:-$BUILD_DIR/settlement/settlement}
ENTRIES=${ENTRIES:-5000000}
DB=${BENCH_DB:-loyalty_bench_settlement}
PERIOD=2025-01
PERIOD_START_S=1735689600 # 2025-01-01T00:00:00Z
GOAL_SECONDS=60
GOAL_RSS_KIB=$((1024 * 1024))

log() { echo "bench-settlement: $*" >&2; }
die() { log "error: $*"; exit 1; }

[[ -n "${MYSQL_SOCKET:-}" && -S "$MYSQL_SOCKET" ]] ||
    die "set MYSQL_SOCKET to the socket of a running MariaDB (deploy/mariadb.sh start DIR)"
[[ -x "$HUB_BIN" ]] || die "$HUB_BIN not built"
[[ -x "$SETTLEMENT_BIN" ]] || die "$SETTLEMENT_BIN not built"
[[ -x /usr/bin/time ]] || die "/usr/bin/time missing (Debian package 'time')"
[[ "$ENTRIES" =~ ^[0-9]+$ ]] && ((ENTRIES >= 100 && ENTRIES % 100 == 0)) ||
    die "ENTRIES must be a positive multiple of 100"
[[ "$DB" =~ ^[A-Za-z0-9_]+$ ]] || die "BENCH_DB must be a plain identifier"

WORK=$(mktemp -d)
cleanup() {
    rm -rf "$WORK"
    if [[ "${KEEP_DB:-0}" != 1 ]]; then
        sql_root -e "DROP DATABASE IF EXISTS $DB" 2>/dev/null || true
    fi
}
trap cleanup EXIT

sql_root() { mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot "$@"; }
# Runs SQL from stdin in $DB, in UTC, printing nothing but errors.
sql() { sql_root --batch --skip-column-names "$DB" "$@"; }
db_flags=(--mysql_socket="$MYSQL_SOCKET" --mysql_database="$DB")

# ------------------------------------------------------------------ schema ----

log "database $DB: recreating, applying the schema"
sql_root -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB"
"$HUB_BIN" --migrate_only "${db_flags[@]}" >&2 || die "migration failed"

M=$((ENTRIES / 10))          # members, ten in-period transactions each
K=$((M / 10))                # members (every tenth) with a lot from the year before
US=1000000
S=$((PERIOD_START_S * US))   # period start, micros
DAY=$((86400 * US))
G=$((3 * DAY))               # in-period phase j (1..10) runs in [S + 1d + (j-1)G, +G)
D=$((G / (M + 1)))           # step between members inside one phase
D0=$((DAY / (K + 1)))        # step between members of the year-before earns

# One program, five partners (ids 1-5) with the demo's prices (deploy/dev.sh).
sql <<SQL
INSERT INTO program (id, point_value_micros, currency, expiry_months, hold_timeout_seconds,
                     updated_at)
  VALUES (1, 10000, 'EUR', 12, 900, $((S - 400 * DAY)));
INSERT INTO partners (id, name, category, role, earn_rate_bp, max_points_per_txn,
                      max_points_per_member_day, active_category, created_at)
  VALUES (1, 'Bench Bank', 'bank', 2, 100, 1000000, 10000000, 'bank', $((S - 400 * DAY))),
         (2, 'Bench Grocer', 'grocery', 1, 100, 1000000, 10000000, 'grocery', $((S - 400 * DAY))),
         (3, 'Bench Fuel', 'fuel', 1, 100, 1000000, 10000000, 'fuel', $((S - 400 * DAY))),
         (4, 'Bench Gym', 'fitness', 1, 100, 1000000, 10000000, 'fitness', $((S - 400 * DAY))),
         (5, 'Bench Sports', 'sportswear', 1, 100, 1000000, 10000000, 'sportswear',
          $((S - 400 * DAY)));
SQL

# ------------------------------------------------------------- generator ----
# Every statement selects one row per member m from seq_1_to_$M. Per member:
#   a, b, d, h, k   points of the in-period earns (lots L1..L5; b is a multiple of 4)
#   e0              points of the year-before lot L0 (member m = 10q, q = 1..K)
# Timeline of member m (phase j at time t(j)):
#   1 earn L1 (a) | 2 earn L2 (b) | 3 redeem a/2 from L1 | 4 earn L3 (d)
#   5 redeem from L1 (rest) + L2 (b/2) | 6 reverse 5 partially: b/4 back into L2
#   7 earn L4 (h) | 8 reverse 7 in full, from L4 | 9 earn L5 (k)
#   10 redeem from L2 (3b/4) + L3 (d/2)
# Final lots: L3 keeps d - d/2, L5 keeps k, all others 0; balance = d - d/2 + k.
a='(100 + m % 50)'
b='(200 + 4 * (m % 20))'
d='(300 + m % 90)'
h='(50 + m % 30)'
k='(150 + m % 40)'
e0='(80 + q % 20)'
funder() { echo "(1 + (m + $1) % 5)"; }          # earning partner of lot L$1
redeemer() { echo "(1 + (m + 2 * $1 + 1) % 5)"; } # partner of redemption number $1
t() { echo "($S + $DAY + ($1 - 1) * $G + m * $D)"; }
txn() { echo "(2 * $K + ($1 - 1) * $M + m)"; }      # txn id = transfer id of phase $1
lot() { echo "($K + ($1 - 1) * $M + m)"; }          # lot id of L$1
member="CONCAT('member:', m)"
from_members="FROM (SELECT seq AS m FROM seq_1_to_$M) s"
# Year-before members: q = 1..K is member 10q.
t0="($S - 366 * $DAY + q * $D0)"   # 2024-01-01 + q steps: expires 2025-01-01 + q steps
from_old="FROM (SELECT seq AS q, 10 * seq AS m FROM seq_1_to_$K) s"
# expires_at = earned_at + expiry_months (12) calendar months (session in UTC).
expiry() {
    echo "(UNIX_TIMESTAMP(FROM_UNIXTIME($1 DIV $US) + INTERVAL 12 MONTH) * $US + $1 % $US)"
}

# insert_txns PHASE KIND PARTNER POINTS AMOUNT ORIGINAL REVERSED BALANCE_AFTER
insert_txns() {
    local j=$1 kind=$2 partner=$3 points=$4 amount=$5 orig=$6 reversed=$7 bal=$8
    local cur="''"
    [[ "$kind" == earn ]] && cur="'EUR'"
    cat <<SQL
INSERT INTO txns (id, partner_id, partner_txn_id, kind, member_id, points, amount_minor,
                  currency, request_hash, original_txn_id, reversed_points, balance_after,
                  available_after, posted_at, occurred_at)
  SELECT $(txn "$j"), $partner, CONCAT('b$j-', m), '$kind', m, $points, $amount, $cur,
         LPAD(HEX($(txn "$j")), 64, '0'), $orig, $reversed, $bal, $bal, $(t "$j"), $(t "$j")
  $from_members;
SQL
}
# insert_transfer PHASE DEBIT CREDIT POINTS
insert_transfer() {
    cat <<SQL
INSERT INTO transfers (id, txn_id, debit_account, credit_account, points, posted_at)
  SELECT $(txn "$1"), $(txn "$1"), $2, $3, $4, $(t "$1") $from_members;
SQL
}
# insert_lot LOT PHASE POINTS REMAINING
insert_lot() {
    cat <<SQL
INSERT INTO lots (id, member_id, funder_id, earn_txn_id, points, remaining, earned_at,
                  expires_at, available_at)
  SELECT $(lot "$1"), m, $(funder "$1"), $(txn "$2"), $3, $4, $(t "$2"),
         $(expiry "$(t "$2")"), 0 $from_members;
SQL
}
# insert_consumption SLOT PHASE LOT REDEEMER KIND POINTS RESTORES
# (consumption ids: K for the expiries, then M per slot 1..7)
cons() { echo "($K + ($1 - 1) * $M + m)"; }
insert_consumption() {
    cat <<SQL
INSERT INTO consumptions (id, txn_id, lot_id, funder_id, redeemer_id, kind, points,
                          restores_id, posted_at)
  SELECT $(cons "$1"), $(txn "$2"), $(lot "$3"), $(funder "$3"), $4, '$5', $6, $7, $(t "$2")
  $from_members;
SQL
}
issued() { echo "CONCAT('partner_issued:', $(funder "$1"))"; }
redeemed() { echo "CONCAT('partner_redeemed:', $(redeemer "$1"))"; }

phase_sql() {
    case $1 in
    members)
        cat <<SQL
INSERT INTO members (id, balance, debt, anonymous, created_at)
  SELECT m, $d - $d DIV 2 + $k, 0, 0, $((S - 400 * DAY)) $from_members;
INSERT INTO cards (card_number, member_id, bearer, created_at)
  SELECT CONCAT('70049', LPAD(m, 11, '0')), m, 0, $((S - 400 * DAY)) $from_members;
SQL
        ;;
    year-before)
        # L0: earned a year before the period; expired (and swept) on the period's first
        # day: txn ids 1..K (earns) and K+1..2K (expiries), consumption ids 1..K.
        cat <<SQL
INSERT INTO txns (id, partner_id, partner_txn_id, kind, member_id, points, amount_minor,
                  currency, request_hash, balance_after, available_after, posted_at,
                  occurred_at)
  SELECT q, 1 + q % 5, CONCAT('b0-', m), 'earn', m, $e0, 100 * $e0, 'EUR',
         LPAD(HEX(q), 64, '0'), $e0, $e0, $t0, $t0 $from_old;
INSERT INTO transfers (id, txn_id, debit_account, credit_account, points, posted_at)
  SELECT q, q, CONCAT('partner_issued:', 1 + q % 5), $member, $e0, $t0 $from_old;
INSERT INTO lots (id, member_id, funder_id, earn_txn_id, points, remaining, earned_at,
                  expires_at, available_at)
  SELECT q, m, 1 + q % 5, q, $e0, 0, $t0, $(expiry "$t0"), 0 $from_old;
INSERT INTO txns (id, partner_id, partner_txn_id, kind, member_id, points, amount_minor,
                  currency, request_hash, balance_after, available_after, posted_at,
                  occurred_at)
  SELECT $K + q, 0, NULL, 'expire', m, $e0, 0, '', SHA2('expire', 256), 0, 0,
         $(expiry "$t0") + $US, $(expiry "$t0") + $US $from_old;
INSERT INTO transfers (id, txn_id, debit_account, credit_account, points, posted_at)
  SELECT $K + q, $K + q, $member, 'breakage', $e0, $(expiry "$t0") + $US $from_old;
INSERT INTO consumptions (id, txn_id, lot_id, funder_id, redeemer_id, kind, points,
                          restores_id, posted_at)
  SELECT q, $K + q, q, 1 + q % 5, NULL, 'expire', $e0, NULL, $(expiry "$t0") + $US
  $from_old;
SQL
        ;;
    1 | 2 | 4 | 7 | 9)
        local j=$1 lot_no pts remaining bal reversed=0
        case $j in
        1) lot_no=1 pts=$a remaining=0 bal=$a ;;
        2) lot_no=2 pts=$b remaining=0 bal="$a + $b" ;;
        4) lot_no=3 pts=$d remaining="$d - $d DIV 2" bal="$a + $b - $a DIV 2 + $d" ;;
        7) lot_no=4 pts=$h remaining=0 bal="3 * $b DIV 4 + $d + $h" reversed=$h ;;
        9) lot_no=5 pts=$k remaining=$k bal="3 * $b DIV 4 + $d + $k" ;;
        esac
        insert_txns "$j" earn "$(funder $lot_no)" "$pts" "100 * $pts" NULL "$reversed" "$bal"
        insert_transfer "$j" "$(issued $lot_no)" "$member" "$pts"
        insert_lot "$lot_no" "$j" "$pts" "$remaining"
        ;;
    3)
        insert_txns 3 redeem "$(redeemer 1)" "$a DIV 2" 0 NULL 0 "$a + $b - $a DIV 2"
        insert_transfer 3 "$member" "$(redeemed 1)" "$a DIV 2"
        insert_consumption 1 3 1 "$(redeemer 1)" redeem "$a DIV 2" NULL
        ;;
    5)
        insert_txns 5 redeem "$(redeemer 2)" "$a - $a DIV 2 + $b DIV 2" 0 NULL "$b DIV 4" \
            "$b DIV 2 + $d"
        insert_transfer 5 "$member" "$(redeemed 2)" "$a - $a DIV 2 + $b DIV 2"
        insert_consumption 2 5 1 "$(redeemer 2)" redeem "$a - $a DIV 2" NULL
        insert_consumption 3 5 2 "$(redeemer 2)" redeem "$b DIV 2" NULL
        ;;
    6)
        insert_txns 6 reverse_redeem "$(redeemer 2)" "$b DIV 4" 0 "$(txn 5)" 0 \
            "3 * $b DIV 4 + $d"
        insert_transfer 6 "$(redeemed 2)" "$member" "$b DIV 4"
        insert_consumption 4 6 2 "$(redeemer 2)" restore "-($b DIV 4)" "$(cons 3)"
        ;;
    8)
        insert_txns 8 reverse_earn "$(funder 4)" "$h" 0 "$(txn 7)" 0 "3 * $b DIV 4 + $d"
        insert_transfer 8 "$member" "$(issued 4)" "$h"
        insert_consumption 5 8 4 "$(funder 4)" reverse_own "$h" NULL
        ;;
    10)
        insert_txns 10 redeem "$(redeemer 3)" "3 * $b DIV 4 + $d DIV 2" 0 NULL 0 \
            "$d - $d DIV 2 + $k"
        insert_transfer 10 "$member" "$(redeemed 3)" "3 * $b DIV 4 + $d DIV 2"
        insert_consumption 6 10 2 "$(redeemer 3)" redeem "3 * $b DIV 4" NULL
        insert_consumption 7 10 3 "$(redeemer 3)" redeem "$d DIV 2" NULL
        ;;
    esac
}

log "generating $ENTRIES in-period transfers ($M members, $K with a lot from the year before)"
gen_start=$SECONDS
for phase in members year-before 1 2 3 4 5 6 7 8 9 10; do
    t_phase=$SECONDS
    { echo "SET time_zone = '+00:00';"; phase_sql "$phase"; } | sql ||
        die "generating phase $phase failed"
    log "  phase $phase done ($((SECONDS - t_phase)) s, total $((SECONDS - gen_start)) s)"
done
GEN_SECONDS=$((SECONDS - gen_start))
read -r N_TRANSFERS N_IN_PERIOD N_TXNS N_LOTS N_CONS < <(sql <<SQL
SELECT (SELECT COUNT(*) FROM transfers),
       (SELECT COUNT(*) FROM transfers WHERE posted_at >= $S AND posted_at < $S + 31 * $DAY),
       (SELECT COUNT(*) FROM txns), (SELECT COUNT(*) FROM lots),
       (SELECT COUNT(*) FROM consumptions);
SQL
)
log "generated in ${GEN_SECONDS} s: $N_TRANSFERS transfers ($N_IN_PERIOD in $PERIOD), $N_TXNS txns, $N_LOTS lots, $N_CONS consumptions"

# ------------------------------------------------------------- settlement ----

log "settlement config and terms (the demo's, as deploy/dev.sh run sets them)"
"$SETTLEMENT_BIN" "${db_flags[@]}" config --model=operator --period_unit=month \
    --time_zone=UTC >/dev/null
# The demo's prices for partners 1-5 ("ID ISSUE REDEEM" lines of the TERMS here-document
# in deploy/dev.sh), so both stay the same.
sed -n '/<<.TERMS.$/,/^TERMS$/p' deploy/dev.sh | sed '1d;$d' >"$WORK/terms.txt"
(($(wc -l <"$WORK/terms.txt") == 5)) || die "could not read the demo's terms from deploy/dev.sh"
while read -r id issue redeem; do
    "$SETTLEMENT_BIN" "${db_flags[@]}" terms --partner="$id" --issue_price_micros="$issue" \
        --redeem_value_micros="$redeem" --fee_per_point_micros=500 >/dev/null
done <"$WORK/terms.txt"

log "settlement close --period=$PERIOD (under /usr/bin/time -v)"
close_rc=0
/usr/bin/time -v -o "$WORK/time.txt" "$SETTLEMENT_BIN" "${db_flags[@]}" close \
    --period="$PERIOD" >"$WORK/close.out" 2>"$WORK/close.err" || close_rc=$?
sed 's/^/  /' "$WORK/close.err" "$WORK/close.out" >&2
WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/time.txt")
RSS_KIB=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
USER_S=$(awk -F': ' '/User time/ {print $2}' "$WORK/time.txt")
SYS_S=$(awk -F': ' '/System time/ {print $2}' "$WORK/time.txt")
# "m:ss.ss" or "h:mm:ss" -> seconds
WALL_S=$(awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }' <<<"$WALL")
log "close: exit $close_rc, wall $WALL_S s, peak RSS $RSS_KIB KiB (user $USER_S s, sys $SYS_S s)"
RUN_LINE=$(grep -m1 '^run ' "$WORK/close.out" || true)

log "invariant check (--check_invariants)"
inv_start=$SECONDS
inv_rc=0
"$HUB_BIN" --check_invariants "${db_flags[@]}" >"$WORK/inv.out" 2>&1 || inv_rc=$?
if ((inv_rc == 1)); then # an error, not a violation (3): say so and try once more
    sed 's/^/  /' "$WORK/inv.out" >&2
    log "invariant check failed to run (exit 1); once more"
    inv_rc=0
    "$HUB_BIN" --check_invariants "${db_flags[@]}" >"$WORK/inv.out" 2>&1 || inv_rc=$?
fi
INV_SECONDS=$((SECONDS - inv_start))
head -n 20 "$WORK/inv.out" | sed 's/^/  /' >&2
case $inv_rc in
0) INV="sound" ;;
3) INV="VIOLATIONS" ;;
*) INV="check failed to run (exit $inv_rc)" ;;
esac
log "invariants: $INV (${INV_SECONDS} s)"

yes_no() { if (($1)); then echo yes; else echo no; fi; }
time_met=$(yes_no "$(awk -v w="$WALL_S" -v g="$GOAL_SECONDS" -v rc="$close_rc" \
    'BEGIN { print (rc == 0 && w < g) ? 1 : 0 }')")
rss_met=$(yes_no "$((close_rc == 0 && RSS_KIB < GOAL_RSS_KIB))")
cat <<EOF
### Settlement close over a generated journal

$N_IN_PERIOD transfers in period $PERIOD ($N_TRANSFERS in the journal: $N_TXNS txns,
$N_LOTS lots, $N_CONS consumptions; $M members, 5 partners, operator model), generated
in SQL in $GEN_SECONDS s. \`settlement close --period=$PERIOD\` exit $close_rc:
\`${RUN_LINE:-no run line}\`.

| measure | figure | goal | met |
|---|---|---|---|
| close wall time | $WALL_S s (user $USER_S s, sys $SYS_S s) | < $GOAL_SECONDS s | $time_met |
| close peak resident memory | $((RSS_KIB / 1024)) MiB | < 1024 MiB | $rss_met |
| invariant check | $INV ($INV_SECONDS s) | sound | $(yes_no "$((inv_rc == 0))") |
EOF

# The analytics reports over the same journal (deploy/bench-analytics.sh) before it is
# dropped, unless BENCH_ANALYTICS=0.
if [[ "${BENCH_ANALYTICS:-1}" != 0 ]]; then
    echo
    analytics_rc=0
    MYSQL_SOCKET=$MYSQL_SOCKET BENCH_DB=$DB HUB_BIN=$HUB_BIN BUILD_DIR=$BUILD_DIR \
        deploy/bench-analytics.sh || analytics_rc=$?
    ((analytics_rc == 0)) || echo "**deploy/bench-analytics.sh failed (exit $analytics_rc).**"
fi
