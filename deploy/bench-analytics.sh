#!/usr/bin/env bash
# Benchmark: each analytics report (AnalyticsService, called through `loyalty analytics`)
# over the journal deploy/bench-settlement.sh generates (500,000 members, 5,000,000
# transfers in January 2025): the wall time of each call and the hub's peak resident
# memory (VmHWM) after it. deploy/bench-settlement.sh runs this on its database before
# dropping it; to run it alone, keep that database:
#
#   KEEP_DB=1 BENCH_DB=loyalty_bench_settlement MYSQL_SOCKET=... deploy/bench-settlement.sh
#   MYSQL_SOCKET=... BENCH_DB=loyalty_bench_settlement deploy/bench-analytics.sh
#
# Environment:
#   MYSQL_SOCKET  socket of the running MariaDB holding BENCH_DB (required)
#   BENCH_DB      the generated journal's database (required)
#   HUB_BIN       default build/hub/loyalty_hub
#   LOYALTY_BIN   default build/partner_sdk/loyalty
#   BUILD_DIR     default build (used only for the defaults above)
#
# Adds one promotion to the journal (partner 2, +10 points on the phase-9 earns of one
# member in ten there; see below), starts a hub on the database with its timers off, and
# calls the four reports as the operator. Progress goes to stderr; stdout carries only a
# markdown fragment.
set -euo pipefail

cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.."

BUILD_DIR=${BUILD_DIR:-build}
HUB_BIN=${HUB_BIN:-$BUILD_DIR/hub/loyalty_hub}
LOYALTY_BIN=${LOYALTY_BIN:-$BUILD_DIR/partner_sdk/loyalty}
DB=${BENCH_DB:-}
GOAL_SECONDS=10
GOAL_RSS_KIB=$((1024 * 1024))
US=1000000
DAY=$((86400 * US))
S=$((1735689600 * US)) # 2025-01-01T00:00:00Z, the generator's period start

log() { echo "bench-analytics: $*" >&2; }
die() { log "error: $*"; exit 1; }

[[ -n "${MYSQL_SOCKET:-}" && -S "$MYSQL_SOCKET" ]] || die "set MYSQL_SOCKET"
[[ "$DB" =~ ^[A-Za-z0-9_]+$ ]] || die "set BENCH_DB to the generated journal's database"
[[ -x "$HUB_BIN" ]] || die "$HUB_BIN not built"
[[ -x "$LOYALTY_BIN" ]] || die "$LOYALTY_BIN not built"

sql() { mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot --batch --skip-column-names "$DB"; }

WORK=$(mktemp -d)
HUB_PID=
POOL_BEFORE=
cleanup() {
    [[ -n "$HUB_PID" ]] && kill "$HUB_PID" 2>/dev/null && wait "$HUB_PID" 2>/dev/null
    # Put the buffer pool back as it was (this script raises it).
    [[ -n "$POOL_BEFORE" ]] && sql <<<"SET GLOBAL innodb_buffer_pool_size = $POOL_BEFORE" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

MEMBERS=$(sql <<<"SELECT COUNT(*) FROM members")
((MEMBERS > 0)) || die "$DB has no members: generate it with deploy/bench-settlement.sh"

# The promotion: partner 2's earns of phase 9 ([S+25d, S+28d); member m earns there when
# m % 5 = 1) get +10 points for members with m % 10 = 1; window [S+16d, S+28d), so the
# pre window [S+4d, S+16d) holds phases 2-5 (earns of phases 2 and 4).
log "adding a promotion with bonuses to $DB"
PARTNER_KEY=bench-analytics-partner-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
sql <<SQL
-- A fresh admin key each run (the hub bootstraps one only while none exists) and a
-- merchant key of partner 2 (keys are stored as SHA-256 hex).
DELETE FROM api_keys WHERE role = 3 OR key_hash LIKE 'bench%';
DELETE FROM api_keys WHERE partner_id = 2 AND role = 1;
INSERT INTO api_keys (key_hash, role, partner_id, revoked, created_at)
  VALUES (SHA2('$PARTNER_KEY', 256), 1, 2, 0, $S);
DELETE FROM promotion_awards WHERE promotion_id = 1;
DELETE FROM txns WHERE kind = 'bonus' AND partner_txn_id LIKE 'bench-bonus-%';
DELETE FROM promotions WHERE id = 1;
INSERT INTO promotions (id, name, funder_id, scope, scope_value, kind, starts_at, ends_at,
                        multiplier_bp, bonus_points, min_spend_minor, every_n,
                        distinct_partners, window_days, created_at)
  VALUES (1, 'Bench grocer bonus', 2, 'partner', '2', 'fixed', $((S + 16 * DAY)),
          $((S + 28 * DAY)), 0, 10, 0, 0, 0, 0, $S);
INSERT INTO txns (id, partner_id, partner_txn_id, kind, member_id, points, amount_minor,
                  currency, request_hash, original_txn_id, balance_after, available_after,
                  posted_at, occurred_at)
  SELECT 1000000000 + e.member_id, 2, CONCAT('bench-bonus-', e.member_id), 'bonus',
         e.member_id, 10, 0, '', LPAD('b', 64, '0'), e.id, 0, 0, e.posted_at, e.posted_at
  FROM txns e
  WHERE e.kind = 'earn' AND e.partner_id = 2 AND e.member_id % 10 = 1
    AND e.posted_at >= $((S + 25 * DAY)) AND e.posted_at < $((S + 28 * DAY));
INSERT INTO promotion_awards (promotion_id, member_id, earn_txn_id, bonus_txn_id, points,
                              awarded_at)
  SELECT 1, member_id, original_txn_id, id, points, posted_at FROM txns
  WHERE kind = 'bonus' AND partner_txn_id LIKE 'bench-bonus-%';
SQL
AWARDS=$(sql <<<"SELECT COUNT(*) FROM promotion_awards WHERE promotion_id = 1")
log "$AWARDS bonuses"

# The dev server's 256 MiB buffer pool holds a tenth of this journal (txns alone is
# 1.8 GiB with its indexes); an operator sizes the pool to the working set.
POOL=$(sql <<<"SELECT @@innodb_buffer_pool_size")
if ((POOL < 2 * 1024 * 1024 * 1024)); then
    log "raising innodb_buffer_pool_size from $((POOL / 1048576)) MiB to 2048 MiB"
    POOL_BEFORE=$POOL
    sql <<<"SET GLOBAL innodb_buffer_pool_size = 2147483648"
    sleep 2
fi
POOL_MIB=$(($(sql <<<"SELECT @@innodb_buffer_pool_size") / 1048576))

log "starting the hub on $DB"
ADMIN_KEY=bench-analytics-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
LOYALTY_ADMIN_KEY=$ADMIN_KEY "$HUB_BIN" --listen=127.0.0.1:0 --port_file="$WORK/port" \
    --mysql_socket="$MYSQL_SOCKET" --mysql_database="$DB" --expiry_interval_seconds=0 \
    --tier_review_interval_seconds=0 --workers=8 --insecure_plaintext_loopback \
    >"$WORK/hub.log" 2>&1 &
HUB_PID=$!
for _ in $(seq 1 300); do
    [[ -s "$WORK/port" ]] && break
    kill -0 "$HUB_PID" 2>/dev/null || { cat "$WORK/hub.log" >&2; die "the hub exited"; }
    sleep 0.1
done
[[ -s "$WORK/port" ]] || die "the hub did not start serving"
HUB=127.0.0.1:$(cat "$WORK/port")
rss_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$HUB_PID/status"; }
BASE_RSS=$(rss_kib)

rows=()
# call KEY NAME ARGS...: one call under a two-minute deadline; sets WALL and RC.
call() {
    local key=$1 name=$2
    shift 2
    local start end
    RC=0
    start=$(date +%s.%N)
    LOYALTY_API_KEY=$key "$LOYALTY_BIN" --hub="$HUB" --timeout_ms=120000 --attempts=1 \
        analytics "$@" --json >"$WORK/$name.json" 2>"$WORK/$name.err" || RC=$?
    end=$(date +%s.%N)
    WALL=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
}
# run_report KEY NAME ARGS...: the report twice (the first call reads what earlier
# reports left out of the buffer pool; the second finds it there), timed; the goal is
# judged on the first.
run_report() {
    local key=$1 name=$2
    shift 2
    log "report $name: loyalty analytics $*"
    call "$key" "$name" "$@"
    local first=$WALL rc=$RC
    call "$key" "$name" "$@"
    local second=$WALL rss
    ((RC == 0)) || rc=$RC
    rss=$(rss_kib)
    log "  exit $rc, $first s then $second s, hub peak RSS $((rss / 1024)) MiB;" \
        "$(head -c 300 "$WORK/$name.json")"
    [[ $rc == 0 ]] || sed 's/^/  /' "$WORK/$name.err" >&2
    local met=no
    if [[ $rc == 0 ]] && awk -v w="$first" -v g="$GOAL_SECONDS" 'BEGIN { exit !(w < g) }' &&
        ((rss < GOAL_RSS_KIB)); then
        met=yes
    fi
    rows+=("| $name | $first s | $second s | $((rss / 1024)) MiB | $([[ $rc == 0 ]] && echo ok || echo "exit $rc") | $met |")
}

PERIOD=(--since=2025-01-01 --until=2025-02-01)
run_report "$ADMIN_KEY" promotion promotion --promotion_id=1
run_report "$ADMIN_KEY" joining joining --partner_id=2 "${PERIOD[@]}" --weeks=1
run_report "$ADMIN_KEY" segments segments --lookback_days=3660
run_report "$ADMIN_KEY" "segments at partner 2" segments --partner_id=2 --lookback_days=3660
run_report "$ADMIN_KEY" flows flows "${PERIOD[@]}"
run_report "$PARTNER_KEY" "segments, partner 2's key (k = 10)" segments --lookback_days=3660
run_report "$PARTNER_KEY" "flows, partner 2's key (k = 10)" flows "${PERIOD[@]}"

cat <<EOF
### Analytics reports over the generated journal

$MEMBERS members, the settlement journal above plus one promotion ($AWARDS bonuses at
partner 2); each report called twice in a row through \`loyalty analytics ... --json\`
(wall time of the CLI process, bootstrap 1,000 samples), as the operator unless the row
names partner 2's key. MariaDB's \`innodb_buffer_pool_size\` is $POOL_MIB MiB for this
part (raised from the dev server's 256 MiB, which holds a tenth of this journal: with it
the grouped reads wait on the disk and take about twice as long). Hub resident memory
before the first call: $((BASE_RSS / 1024)) MiB; the peak column is the hub's VmHWM after the
calls (so it only grows). These are single-request latencies, not throughput: no gRPC
ceiling applies.

| report | first call | second call | hub peak RSS | outcome | first call < $GOAL_SECONDS s, < 1 GiB |
|---|---|---|---|---|---|
$(printf '%s\n' "${rows[@]}")
EOF
