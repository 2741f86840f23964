#!/usr/bin/env bash
# Benchmark: card-stream ingest (BankService.SubmitCardTransactions) throughput, through
# the loyalty CLI's `bank-ingest`, against a hub on a private port and a fresh database;
# then the hub's invariant check on the same data.
#
#   MYSQL_SOCKET=/path/to/mysqld.sock deploy/bench-cards.sh
#
# Environment:
#   MYSQL_SOCKET    socket of a running MariaDB (required; deploy/mariadb.sh start DIR)
#   HUB_BIN         default build/hub/loyalty_hub
#   LOYALTY_BIN     default build/partner_sdk/loyalty (the CLI)
#   BUILD_DIR       default build (used only for the defaults above)
#   CARDS_N         records per run (default 100000)
#   CARDS_MEMBERS   members, one linked co-branded card each (default 1000)
#   CARDS_STREAMS   stream counts to measure, one run each (default "1 8"): N records are
#                   split by card over that many concurrent bank-ingest streams
#   CARDS_FLAT_N    records of the flatness run (default 200000; 0 = none): one stream,
#                   CARDS_HOT_SHARE of the records on one card, the file sent in four
#                   consecutive quarters, each quarter's rate reported: ingest must not
#                   slow down as a busy card's month fills (it was quadratic)
#   CARDS_HOT_SHARE share of the flatness run's records on the hot card (default 0.2)
#   BENCH_DB        database to (re)create (default loyalty_bench_cards)
#   KEEP_DB=1       keep the database afterwards (default: dropped)
#
# Progress goes to stderr; stdout carries only a markdown fragment with the figures.
#
# The clearing file mixes what a bank sends in a day: purchases at coalition partners'
# merchant ids (partner rate), grocery and fuel MCCs, other merchants (default rate),
# cash withdrawals (excluded MCC), and 2% partial refunds of an earlier purchase on the
# same card. Cards: one token per member, linked through BankService.
set -euo pipefail

cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.."

BUILD_DIR=${BUILD_DIR:-build}
HUB_BIN=${HUB_BIN:-$BUILD_DIR/hub/loyalty_hub}
LOYALTY_BIN=${LOYALTY_BIN:-$BUILD_DIR/partner_sdk/loyalty}
N=${CARDS_N:-100000}
MEMBERS=${CARDS_MEMBERS:-1000}
STREAMS=${CARDS_STREAMS:-1 8}
FLAT_N=${CARDS_FLAT_N:-200000}
HOT_SHARE=${CARDS_HOT_SHARE:-0.2}
DB=${BENCH_DB:-loyalty_bench_cards}
GOAL_RPS=50000

log() { echo "bench-cards: $*" >&2; }
die() { log "error: $*"; exit 1; }

[[ -n "${MYSQL_SOCKET:-}" && -S "$MYSQL_SOCKET" ]] ||
    die "set MYSQL_SOCKET to the socket of a running MariaDB (deploy/mariadb.sh start DIR)"
[[ -x "$HUB_BIN" ]] || die "$HUB_BIN not built"
[[ -x "$LOYALTY_BIN" ]] || die "$LOYALTY_BIN not built"
[[ "$N" =~ ^[0-9]+$ && "$N" -gt 0 ]] || die "CARDS_N must be a positive integer"
[[ "$MEMBERS" =~ ^[0-9]+$ && "$MEMBERS" -ge 25 ]] || die "CARDS_MEMBERS must be >= 25"
for s in $STREAMS; do
    [[ "$s" =~ ^[0-9]+$ && "$s" -ge 1 ]] || die "CARDS_STREAMS: '$s' is not a stream count"
done
[[ "$DB" =~ ^[A-Za-z0-9_]+$ ]] || die "BENCH_DB must be a plain identifier"

sql_root() { mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot "$@"; }
db_flags=(--mysql_socket="$MYSQL_SOCKET" --mysql_database="$DB")

WORK=$(mktemp -d)
HUB_PID=
cleanup() {
    if [[ -n "$HUB_PID" ]] && kill -0 "$HUB_PID" 2>/dev/null; then
        kill -TERM "$HUB_PID" 2>/dev/null || true
        wait "$HUB_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
    if [[ "${KEEP_DB:-0}" != 1 ]]; then
        sql_root -e "DROP DATABASE IF EXISTS $DB" 2>/dev/null || true
    fi
}
trap cleanup EXIT

# ------------------------------------------------------------------- hub ----

log "database $DB: recreating, applying the schema"
sql_root -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB"
"$HUB_BIN" --migrate_only "${db_flags[@]}" >&2 || die "migration failed"

umask 077
echo "lk_admin_$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')" >"$WORK/admin.key"
log "starting the hub (log: kept in a temporary folder, tail shown on failure)"
# Plaintext on loopback, and no per-participant rate limit (it would cap the bank's
# records per second), where this hub build has those flags.
hub_opts=(--expiry_interval_seconds=0 --tier_review_interval_seconds=0)
known_flags=$("$HUB_BIN" --helpfull 2>&1 || true)
grep -q -- '--insecure_plaintext_loopback ' <<<"$known_flags" &&
    hub_opts+=(--insecure_plaintext_loopback)
grep -q -- '--rate_limit_per_second ' <<<"$known_flags" && hub_opts+=(--rate_limit_per_second=0)
LOYALTY_ADMIN_KEY=$(cat "$WORK/admin.key") "$HUB_BIN" --listen=127.0.0.1:0 \
    --port_file="$WORK/hub.port" "${db_flags[@]}" "${hub_opts[@]}" \
    </dev/null >"$WORK/hub.log" 2>&1 &
HUB_PID=$!
hub_failed() {
    log "$1; last lines of the hub log:"
    tail -n 30 "$WORK/hub.log" >&2
    exit 1
}
deadline=$((SECONDS + 30))
until [[ -s "$WORK/hub.port" ]]; do
    kill -0 "$HUB_PID" 2>/dev/null || hub_failed "hub exited during startup"
    ((SECONDS < deadline)) || hub_failed "hub did not write its port within 30 s"
    sleep 0.1
done
PORT=$(tr -d ' \t\r\n' <"$WORK/hub.port")
HUB=127.0.0.1:${PORT##*:}
log "hub listening on $HUB (pid $HUB_PID; ${hub_opts[*]})"

# cli KEY_FILE ARGS...: the loyalty CLI against the bench hub, JSON output.
cli() {
    local key=$1
    shift
    "$LOYALTY_BIN" --hub="$HUB" --key_file="$key" --json "$@"
}
# json_field NAME < JSON: the first scalar value of NAME (numbers and plain strings).
json_field() { grep -o "\"$1\":[^,}]*" | head -n 1 | cut -d: -f2- | tr -d '"'; }

# ----------------------------------------------------------------- setup ----

log "program, bank and partners, bank rules, merchant ids"
cli "$WORK/admin.key" set-program --point_value_micros=10000 --currency=EUR \
    --expiry_months=36 --hold_timeout_seconds=900 >/dev/null
register() { # register NAME CATEGORY ROLE -> prints the partner id, writes $WORK/<category>.key
    local out
    out=$(cli "$WORK/admin.key" register-partner --name="$1" --category="$2" --role="$3" \
        --earn_rate_bp=100)
    json_field api_key <<<"$out" >"$WORK/$2.key"
    json_field partner_id <<<"$out"
}
BANK_ID=$(register "Bench Bank" bank issuer)
register "Bench Grocer" grocery merchant >/dev/null
register "Bench Fuel" fuel merchant >/dev/null
# The demo's rules (docs/bank-integration.md), with a cap no bench card reaches, so the
# cap is looked up on every purchase but every purchase earns.
cli "$WORK/admin.key" set-bank-rules --bank_partner_id="$BANK_ID" --default_rate_bp=50 \
    --partner_merchant_rate_bp=150 --monthly_cap_points=100000000 \
    --mcc_rules=5411:100,5541:100,6011:x,4900:x >/dev/null
cli "$WORK/grocery.key" register-merchant-id --merchant_id=MID-BENCH-GROCER >/dev/null
cli "$WORK/fuel.key" register-merchant-id --merchant_id=MID-BENCH-FUEL >/dev/null

log "enrolling $MEMBERS members and linking a co-branded card token to each"
setup_start=$SECONDS
# enroll_and_link I: one member enrolled at the grocer, token tok-bench-I linked by the bank.
enroll_and_link() {
    local card
    card=$(cli "$WORK/grocery.key" enroll | json_field card_number) || return 1
    cli "$WORK/bank.key" link-card --card="$card" --token="tok-bench-$1" >/dev/null
}
export -f enroll_and_link cli json_field
export LOYALTY_BIN HUB WORK
seq 0 $((MEMBERS - 1)) | xargs -P 4 -I{} bash -c 'enroll_and_link {}' ||
    die "enrolling or linking members failed"
LINKED=$(sql_root -N -B "$DB" -e "SELECT COUNT(*) FROM card_links WHERE active = 1")
((LINKED == MEMBERS)) || die "$LINKED cards linked, expected $MEMBERS"
log "  $MEMBERS members linked in $((SECONDS - setup_start)) s"

# write_clearing_file RUN FILE: N records of run RUN (clearing ids "RUN-I").
# Record i (0-based) is on card i % MEMBERS in round i / MEMBERS. On odd rounds, every
# 25th card refunds half of its purchase of the round before (same card, same merchant).
# With HOT (a share, optional 3rd argument), every record whose i * HOT crosses an integer
# is on card 0 instead (the others stay off it), and none refunds; N is the 4th argument
# (default $N).
write_clearing_file() {
    awk -v n="${4:-$N}" -v members="$MEMBERS" -v run="$1" -v hot="${3:-0}" 'BEGIN {
        print "clearing_id,card_token,pan,amount_minor,currency,mcc,merchant_id,type,original_clearing_id,occurred_at"
        for (i = 0; i < n; i++) {
            card = i % members; round = int(i / members)
            refund = (round % 2 == 1 && card % 25 == 0)
            if (hot > 0) {  # no refunds: their purchase may sit on another card now
                refund = 0
                if (int((i + 1) * hot) > int(i * hot)) card = 0
                else if (card == 0) card = 1 + i % (members - 1)
            }
            j = refund ? i - members : i
            amount = 500 + (j * 7919) % 20000
            kind = j % 10
            if (kind < 4)       { mcc = 5411; mid = "MID-BENCH-GROCER" }
            else if (kind < 6)  { mcc = 5541; mid = "MID-BENCH-FUEL" }
            else if (kind == 6) { mcc = 6011; mid = "" }
            else                { mcc = 5812; mid = "MID-OTHER-" (j % 100) }
            if (refund) {
                printf "%s-%d,tok-bench-%d,,%d,EUR,%d,%s,refund,%s-%d,\n", run, i, card, int(amount / 2), mcc, mid, run, j
            } else {
                printf "%s-%d,tok-bench-%d,,%d,EUR,%d,%s,purchase,,\n", run, i, card, amount, mcc, mid
            }
        }
    }' >"$2"
}

# split_by_card FILE PARTS: FILE.0 .. FILE.(PARTS-1), each card's records in one part (a
# refund stays in the stream of its purchase), header in each.
split_by_card() {
    awk -F, -v parts="$2" -v base="$1" 'NR == 1 { for (p = 0; p < parts; p++) print > (base "." p); next }
        { c = substr($2, 11) + 0; print > (base "." (c % parts)) }' "$1"
}

# ----------------------------------------------------------------- runs ----

# sum RUN NAME: NAME (an integer field) summed over the JSON summaries of RUN's streams.
sum() {
    cat "$WORK"/ingest-"$1".*.json | grep -o "\"$2\":[0-9]*" | cut -d: -f2 |
        awk '{ s += $1 } END { print s + 0 }'
}

# status NAME: a global status counter of the MariaDB server.
status() {
    sql_root -N -B -e "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS
        WHERE VARIABLE_NAME = '$1'"
}
# per_record DELTA RECORDS: DELTA / RECORDS with two decimals.
per_record() { awk -v d="$1" -v n="$2" 'BEGIN { printf "%.2f", (n > 0 ? d / n : 0) }'; }

ROWS=()
for s in $STREAMS; do
    run="s$s"
    file=$WORK/clearing-$run.csv
    write_clearing_file "$run" "$file"
    split_by_card "$file" "$s"
    log "streaming $N records over $s stream(s) (bank-ingest)"
    q0=$(status QUESTIONS)
    c0=$(status COM_COMMIT)
    t0=$(date +%s.%N)
    pids=()
    for ((p = 0; p < s; p++)); do
        cli "$WORK/bank.key" bank-ingest --no_progress "$file.$p" >"$WORK/ingest-$run.$p.json" &
        pids+=($!)
    done
    failed=0
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    t1=$(date +%s.%N)
    # What the server did per record (server-wide counters: the bench is its only client).
    stmts=$(per_record "$(($(status QUESTIONS) - q0))" "$N")
    commits=$(per_record "$(($(status COM_COMMIT) - c0))" "$N")
    ((failed == 0)) || die "a bank-ingest stream failed (run $run)"
    sent=$(sum "$run" sent)
    earned=$(sum "$run" earned)
    reversed=$(sum "$run" reversed)
    no_earn=$(sum "$run" no_earn)
    rejected=$(sum "$run" rejected)
    unmatched=$(sum "$run" unmatched_refunds)
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    rps=$(awk -v n="$sent" -v w="$wall" 'BEGIN { printf "%.0f", (w > 0 ? n / w : 0) }')
    log "  $sent records in $wall s: $rps records/s (earned $earned, reversed $reversed," \
        "no earn $no_earn, unmatched $unmatched, rejected $rejected;" \
        "$stmts statements and $commits commits per record)"
    ((sent == N)) || die "sent $sent records, expected $N"
    ((rejected == 0 && unmatched == 0)) || die "records were rejected or unmatched (run $run)"
    met=no
    ((rps >= GOAL_RPS)) && met=yes
    ROWS+=("| $s | $sent | $wall s | $rps | $earned / $reversed / $no_earn | $stmts | $commits | >= $GOAL_RPS | $met |")
done

# The flatness run: one stream, a hot card, four consecutive quarters of the file.
FLAT_ROW=""
if ((FLAT_N > 0)); then
    file=$WORK/clearing-flat.csv
    write_clearing_file flat "$file" "$HOT_SHARE" "$FLAT_N"
    q=$((FLAT_N / 4))
    rates=()
    for ((k = 0; k < 4; k++)); do
        head -n 1 "$file" >"$file.q$k"
        tail -n +2 "$file" | sed -n "$((k * q + 1)),$(((k + 1) * q))p" >>"$file.q$k"
        log "flatness run: quarter $((k + 1)) of $FLAT_N records ($HOT_SHARE on one card), one stream"
        t0=$(date +%s.%N)
        cli "$WORK/bank.key" bank-ingest --no_progress "$file.q$k" >"$WORK/ingest-flat.q$k.json" ||
            die "bank-ingest failed (flatness run, quarter $((k + 1)))"
        t1=$(date +%s.%N)
        sent=$(grep -o '"sent":[0-9]*' "$WORK/ingest-flat.q$k.json" | cut -d: -f2)
        rates+=("$(awk -v n="$sent" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b > a ? n / (b - a) : 0) }')")
        log "  ${rates[-1]} records/s"
    done
    flat=no
    awk -v f="${rates[0]}" -v l="${rates[3]}" 'BEGIN { exit !(l >= 0.8 * f) }' && flat=yes
    FLAT_ROW="| $FLAT_N | $HOT_SHARE | ${rates[0]} | ${rates[1]} | ${rates[2]} | ${rates[3]} | last quarter ≥ 80% of the first | $flat |"
fi

log "stopping the hub"
kill -TERM "$HUB_PID" 2>/dev/null || true
wait "$HUB_PID" 2>/dev/null || true
HUB_PID=

log "invariant check (--check_invariants)"
inv_rc=0
"$HUB_BIN" --check_invariants "${db_flags[@]}" >"$WORK/inv.out" 2>&1 || inv_rc=$?
head -n 20 "$WORK/inv.out" | sed 's/^/  /' >&2
if ((inv_rc == 0)); then INV="sound"; else INV="VIOLATIONS (exit $inv_rc)"; fi
log "invariants: $INV"

cat <<EOF
### Card-stream ingest (BankService.SubmitCardTransactions)

$N clearing records per run through \`loyalty bank-ingest\` (one bidirectional stream per
process; with several streams the file is split by card), $MEMBERS members with one linked
card token each, a fresh database, the hub on a private port.

| streams | records | wall | records/s | earned / reversed / no earn | SQL statements / record | commits / record | goal | met |
|---|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${ROWS[@]}")

Invariant check after the runs: $INV.
EOF
if [[ -n "$FLAT_ROW" ]]; then
    cat <<EOF

Flatness with a busy card: one stream of $FLAT_N records, $HOT_SHARE of them on one card
(its monthly cap is checked on every one of its records), sent as four consecutive
quarters; records/s per quarter.

| records | hot card share | 1st quarter | 2nd | 3rd | 4th | goal | met |
|---|---|---|---|---|---|---|---|
$FLAT_ROW
EOF
fi
