#!/usr/bin/env bash
# Throughput benchmark of the hub (issues 7 and 12): a private, durable MariaDB, the hub,
# and the load generator (build/tests/load/loyalty-load) on this machine; the gRPC
# ceiling (ping) once, then the standard scenarios with group commit on and off; the
# invariant check after each mode; the card-stream and settlement benchmarks when
# present; a report in docs/benchmarks.md, printed at the end.
#
#   deploy/bench.sh          (usually through `deploy/dev.sh bench`, which builds first)
#
# Scenarios (closed loop, BENCH_INFLIGHT operations in flight):
#   ping     grpc.health.v1.Health/Check only (no API key, no database): the gRPC
#            ceiling of this machine. Run once, at the start of the first mode (before
#            its coalition setup); every other scenario's ops/s is reported as a
#            percentage of it. Leave it out of BENCH_SCENARIOS to skip it.
#   earn     earns only
#   redeem   AuthorizeRedemption + CaptureRedemption pairs only
#   mixed    BENCH_MIX over all members, BENCH_HOT_SHARE of the requests on the
#            BENCH_HOT_FRACTION hottest members
#
# Environment (defaults in brackets):
#   BUILD_DIR [build]            where the binaries are
#   BENCH_WARMUP_S [5]           warm-up seconds per run
#   BENCH_DURATION_S [20]        measured seconds per run
#   BENCH_INFLIGHT [256]         operations in flight
#   BENCH_MEMBERS [10000]        members (enrolled once per mode, with starting points)
#   BENCH_MIX [earn:70,redeem:10,balance:15,reverse:5]
#   BENCH_HOT_FRACTION [0.01]    BENCH_HOT_SHARE [0.5]
#   BENCH_SCENARIOS [ping earn redeem mixed]
#   BENCH_MODES [on off]         group commit modes (when the hub has --group_commit)
#   BENCH_GC_MAX_BATCH, BENCH_GC_WINDOW_US, BENCH_POOL_SIZE   hub tuning, when set
#   BENCH_HUB_FLAGS              more hub flags for every mode
#   BENCH_PROFILE_S [10]         a perf profile of an extra earn run (0 = none)
#   BENCH_EXTRA [1]              0 = skip deploy/bench-cards.sh and bench-settlement.sh
#                                (they read their own settings from the environment too,
#                                e.g. CARDS_N, CARDS_STREAMS, ENTRIES: see their headers)
#   BENCH_REPORT [docs/benchmarks.md]; docs/benchmark-notes.md (hand-written analysis)
#                                is appended to it when present
#
# Runtime files (keys, logs, JSON results) go to $BUILD_DIR/bench/; MariaDB lives in
# $BUILD_DIR/bench-mdb/ and is stopped at the end.
set -euo pipefail

cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.."

BUILD_DIR=${BUILD_DIR:-build}
HUB_BIN=${HUB_BIN:-$BUILD_DIR/hub/loyalty_hub}
LOAD_BIN=${LOAD_BIN:-$BUILD_DIR/tests/load/loyalty-load}
SETTLEMENT_BIN=${SETTLEMENT_BIN:-$BUILD_DIR/settlement/settlement}
LOYALTY_BIN=${LOYALTY_BIN:-$BUILD_DIR/partner_sdk/loyalty}
MDB_DIR=$BUILD_DIR/bench-mdb
WORK=$BUILD_DIR/bench
REPORT=${BENCH_REPORT:-docs/benchmarks.md}

WARMUP_S=${BENCH_WARMUP_S:-5}
DURATION_S=${BENCH_DURATION_S:-20}
INFLIGHT=${BENCH_INFLIGHT:-256}
MEMBERS=${BENCH_MEMBERS:-10000}
MIX=${BENCH_MIX:-earn:70,redeem:10,balance:15,reverse:5}
HOT_FRACTION=${BENCH_HOT_FRACTION:-0.01}
HOT_SHARE=${BENCH_HOT_SHARE:-0.5}
SCENARIOS=${BENCH_SCENARIOS:-ping earn redeem mixed}
PROFILE_S=${BENCH_PROFILE_S:-10}
EXTRA=${BENCH_EXTRA:-1}

# Goals of issue 12.
GOAL_INFLIGHT=256
GOAL_EARN_PER_S=10000
GOAL_EARN_P99_US=25000
GOAL_GC_RATIO=5
GOAL_PING_PCT=40
GOAL_PAIRS_PER_S=5000
GOAL_MIXED_PER_S=5000
GOAL_STATEMENTS_PER_BATCH=15
GOAL_CPU_US_PER_EARN=120

step() { echo "==> $*" >&2; }
die() { echo "bench.sh: error: $*" >&2; exit 1; }

for bin in "$HUB_BIN" "$LOAD_BIN"; do
    [[ -x "$bin" ]] || die "$bin not built (deploy/dev.sh bench builds it)"
done
command -v jq >/dev/null || die "jq not found (apt-get install jq)"
mkdir -p "$WORK"

HUB_HELP=$("$HUB_BIN" --helpfull 2>&1 || true)
hub_has_flag() { grep -qE -- "^ +--$1( |$)" <<<"$HUB_HELP"; }

SOCK=
HUB_PID=
ADDR=

cleanup() {
    local status=$?
    trap '' INT TERM
    stop_hub
    if [[ -n "$SOCK" ]]; then
        step "stopping MariaDB ($MDB_DIR)"
        deploy/mariadb.sh stop "$MDB_DIR" || true
    fi
    exit "$status"
}

# Arithmetic on decimals (bash has integers only): calc EXPR prints it, holds EXPR
# succeeds when it is true.
calc() { awk "BEGIN { print $1 }"; }
holds() { awk "BEGIN { exit !($1) }"; }

sql() { mariadb --no-defaults --socket="$SOCK" -uroot -N -B -e "$1"; }

# CPU seconds (user + system) used so far by process $1; 0 if it is gone.
cpu_seconds() {
    local stat fields
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    stat=${stat##*) } # fields after "(comm) "; utime and stime are fields 12 and 13 here
    read -r -a fields <<<"$stat"
    calc "(${fields[11]} + ${fields[12]}) / $(getconf CLK_TCK)"
}

start_mariadb() {
    step "starting MariaDB ($MDB_DIR)"
    SOCK=$(deploy/mariadb.sh start "$MDB_DIR" | tail -n 1)
    [[ -S "$SOCK" ]] || die "MariaDB did not report a usable socket (got '$SOCK')"
    # deploy/mariadb.sh relaxes durability for test speed; the benchmark measures durable
    # commits (each commit writes and fsyncs the redo log), MariaDB's default.
    sql "SET GLOBAL innodb_flush_log_at_trx_commit = 1"
    FLUSH=$(sql "SELECT @@innodb_flush_log_at_trx_commit")
    [[ "$FLUSH" == 1 ]] || die "innodb_flush_log_at_trx_commit is $FLUSH, not 1"
    MDB_VERSION=$(sql "SELECT VERSION()")
    MDB_PID=$(tr -dc '0-9' <"$MDB_DIR/mysqld.pid")
    step "MariaDB $MDB_VERSION, innodb_flush_log_at_trx_commit = $FLUSH"
}

# Flags of one group commit mode: on, off, or default (the hub has no such flag).
mode_flags() {
    case "$1" in
        on)
            echo --group_commit=true
            [[ -n "${BENCH_GC_MAX_BATCH:-}" ]] && echo "--group_commit_max_batch=$BENCH_GC_MAX_BATCH"
            [[ -n "${BENCH_GC_WINDOW_US:-}" ]] && echo "--group_commit_window_us=$BENCH_GC_WINDOW_US"
            ;;
        off) echo --group_commit=false ;;
        # One committer: batches fill to --group_commit_max_batch (128) at 256 in flight,
        # the shape the statements-per-batch goal is stated for.
        full) printf '%s\n' --group_commit=true --group_commit_committers=1 ;;
    esac
    if [[ -n "${BENCH_POOL_SIZE:-}" ]] && hub_has_flag mysql_pool_size; then
        echo "--mysql_pool_size=$BENCH_POOL_SIZE"
    fi
    return 0
}

# Starts the hub on database $2 with the flags of mode $1; sets HUB_PID and ADDR.
start_hub() {
    local mode=$1 db=$2 port_file=$WORK/hub.port flags=()
    mapfile -t flags < <(mode_flags "$mode")
    hub_has_flag insecure_plaintext_loopback && flags+=(--insecure_plaintext_loopback)
    hub_has_flag rate_limit_per_second && flags+=(--rate_limit_per_second=0)
    # shellcheck disable=SC2206 # BENCH_HUB_FLAGS is a list of flags
    flags+=(${BENCH_HUB_FLAGS:-})
    HUB_FLAGS_USED="${flags[*]}"
    rm -f "$port_file"
    LOYALTY_ADMIN_KEY=$(cat "$WORK/admin.key") "$HUB_BIN" \
        --listen=127.0.0.1:0 --port_file="$port_file" \
        --mysql_socket="$SOCK" --mysql_database="$db" \
        --expiry_interval_seconds=0 --tier_review_interval_seconds=0 \
        "${flags[@]}" </dev/null >"$WORK/hub-$mode.log" 2>&1 &
    HUB_PID=$!
    local deadline=$((SECONDS + 30))
    until [[ -s "$port_file" ]]; do
        if ! kill -0 "$HUB_PID" 2>/dev/null || ((SECONDS >= deadline)); then
            tail -n 20 "$WORK/hub-$mode.log" >&2
            die "hub did not start (log: $WORK/hub-$mode.log)"
        fi
        sleep 0.2
    done
    ADDR=127.0.0.1:$(tr -dc '0-9' <"$port_file")
    step "hub (pid $HUB_PID) on $ADDR, flags: ${HUB_FLAGS_USED:-none}"
}

stop_hub() {
    [[ -n "$HUB_PID" ]] || return 0
    kill -TERM "$HUB_PID" 2>/dev/null || true
    local deadline=$((SECONDS + 20))
    while kill -0 "$HUB_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -KILL "$HUB_PID" 2>/dev/null || true
    wait "$HUB_PID" 2>/dev/null || true
    HUB_PID=
}

scenario_args() {
    case "$1" in
        ping) echo "--mix=ping:100" ;;
        earn) echo "--mix=earn:100" ;;
        redeem) echo "--mix=redeem:100" ;;
        mixed) echo "--mix=$MIX --hot_fraction=$HOT_FRACTION --hot_share=$HOT_SHARE" ;;
        *) die "unknown scenario $1" ;;
    esac
}

# Runs scenario $2 in mode $1; its JSON line, with the CPU the hub and MariaDB used
# added, goes to $WORK/result-$1-$2.json.
run_scenario() {
    local mode=$1 name=$2 out=$WORK/result-$1-$2.json hub0 db0 t0 json q0 c0 q1 c1
    # shellcheck disable=SC2046 # scenario_args yields separate flags
    step "[$mode] scenario $name: ${WARMUP_S}s warm-up + ${DURATION_S}s, $INFLIGHT in flight"
    hub0=$(cpu_seconds "$HUB_PID")
    db0=$(cpu_seconds "$MDB_PID")
    read -r q0 c0 < <(db_counters)
    t0=$(date +%s.%N)
    # shellcheck disable=SC2046
    if json=$("$LOAD_BIN" --target="$ADDR" --admin_key_file="$WORK/admin.key" \
        --setup_file="$WORK/setup-$mode" --members="$MEMBERS" --scenario="$name" \
        --inflight="$INFLIGHT" --warmup_s="$WARMUP_S" --duration_s="$DURATION_S" \
        $(scenario_args "$name") 2> >(tee "$WORK/load-$mode-$name.log" >&2)); then
        :
    else
        echo "bench.sh: loyalty-load exited $? in [$mode] $name" >&2
    fi
    local wall hub_cpu db_cpu
    wall=$(calc "$(date +%s.%N) - $t0")
    hub_cpu=$(calc "$(cpu_seconds "$HUB_PID") - $hub0")
    db_cpu=$(calc "$(cpu_seconds "$MDB_PID") - $db0")
    read -r q1 c1 < <(db_counters)
    if [[ -z "$json" ]] || ! jq -e . >/dev/null 2>&1 <<<"$json"; then
        json='{"failed": true}'
    fi
    jq -c --argjson wall "$wall" --argjson hub "$hub_cpu" --argjson db "$db_cpu" \
        --argjson statements "$((q1 - q0))" --argjson commits "$((c1 - c0))" \
        '. + {wall_s: $wall, hub_cpu_s: $hub, db_cpu_s: $db, statements: $statements,
              commits: $commits}' <<<"$json" >"$out"
}

# MariaDB's counters of statements received (Questions) and COMMITs, on one line.
db_counters() {
    sql "SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_commit')" |
        awk '$1 == "Questions" { q = $2 } $1 == "Com_commit" { c = $2 } END { print q + 0, c + 0 }'
}

# An extra earn run under `perf record` of the hub, MariaDB and the load generator (no
# call graphs): where their CPU goes, by thread and by function. To $WORK/profile.txt.
profile_earn() {
    local mode=$1 data=$WORK/perf.data
    ((PROFILE_S > 0)) || return 0
    if ! command -v perf >/dev/null || ! perf record -q -o /dev/null -- true 2>/dev/null; then
        echo "perf not available: no profile" >"$WORK/profile.txt"
        return 0
    fi
    step "[$mode] profiling an earn run (${PROFILE_S}s under perf record)"
    "$LOAD_BIN" --target="$ADDR" --setup_file="$WORK/setup-$mode" --members="$MEMBERS" \
        --scenario=profile --mix=earn:100 --inflight="$INFLIGHT" --warmup_s=2 \
        --duration_s="$((PROFILE_S + 2))" >/dev/null 2>"$WORK/load-profile.log" &
    local load_pid=$!
    sleep 3
    perf record -q -F 499 -p "$HUB_PID,$MDB_PID,$load_pid" -o "$data" -- sleep "$PROFILE_S" \
        2>/dev/null || true
    wait "$load_pid" || true
    perf report -i "$data" --stdio --sort comm >"$WORK/perf-comm.txt" 2>/dev/null || true
    perf report -i "$data" --stdio --sort dso,symbol >"$WORK/perf-sym.txt" 2>/dev/null || true
    {
        echo "perf record -F 499 of loyalty_hub, mariadbd and loyalty-load during ${PROFILE_S}s"
        echo "of the earn scenario (group commit $mode). Samples by thread name:"
        echo
        awk '/^ +[0-9]/ && n++ < 12' "$WORK/perf-comm.txt"
        echo
        echo "Top functions (self time):"
        echo
        awk '/^ +[0-9]/ && n++ < 30 { s = substr($0, 1, 110); sub(/ +$/, "", s); print s }' \
            "$WORK/perf-sym.txt"
    } >"$WORK/profile.txt"
    rm -f "$data" "$data.old"
}

has_scenario() { [[ " $SCENARIOS " == *" $1 "* ]]; }

# Runs every scenario in group commit mode $1 on a fresh database, then the invariant
# check; the check's exit code goes to $WORK/invariants-$1. The first mode starts with
# the ping scenario (it does not depend on the mode), before the coalition exists.
run_mode() {
    local mode=$1 db=loyalty_bench_$1
    step "group commit mode: $mode (database $db, fresh)"
    sql "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db"
    rm -f "$WORK/setup-$mode"
    start_hub "$mode" "$db"
    echo "$HUB_FLAGS_USED" >"$WORK/flags-$mode"
    [[ "$mode" == "$PING_MODE" ]] && has_scenario ping && run_scenario "$mode" ping
    step "[$mode] setting up the coalition ($MEMBERS members)"
    "$LOAD_BIN" --target="$ADDR" --admin_key_file="$WORK/admin.key" \
        --setup_file="$WORK/setup-$mode" --members="$MEMBERS" --setup_only ||
        die "coalition setup failed in mode $mode"
    local name
    for name in $SCENARIOS; do
        [[ "$name" == ping ]] || run_scenario "$mode" "$name"
    done
    [[ "$mode" == "${MODES%% *}" ]] && profile_earn "$mode"
    stop_hub
    step "[$mode] checking the ledger's invariants"
    local rc=0
    "$HUB_BIN" --check_invariants --mysql_socket="$SOCK" --mysql_database="$db" \
        >"$WORK/invariants-$mode.log" 2>&1 || rc=$?
    echo "$rc" >"$WORK/invariants-$mode"
    step "[$mode] invariant check exit $rc ($(tail -n 1 "$WORK/invariants-$mode.log"))"
}

# Earns again on the first mode's database with one committer, so batches are full: the
# statements a batch of (about) 128 earns costs. Only when the first mode is "on" and the
# earn scenario runs.
full_batch_run() {
    [[ "${MODES%% *}" == on ]] && has_scenario earn || return 0
    step "[full] earns with one committer (full batches), for statements per batch"
    cp "$WORK/setup-on" "$WORK/setup-full"
    start_hub full loyalty_bench_on
    run_scenario full earn
    stop_hub
}

# Another helper's benchmark script $1 (if executable): its markdown goes to $2.
run_extra() {
    local script=$1 out=$2
    rm -f "$out"
    [[ "$EXTRA" == 1 && -x "$script" ]] || return 0
    step "running $script"
    if ! MYSQL_SOCKET=$SOCK HUB_BIN=$HUB_BIN SETTLEMENT_BIN=$SETTLEMENT_BIN \
        LOYALTY_BIN=$LOYALTY_BIN BUILD_DIR=$BUILD_DIR "$script" >"$out"; then
        echo >>"$out"
        echo "**$script failed (exit code above in the bench output).**" >>"$out"
    fi
}

# ------------------------------------------------------------------ report ---

# Field $3 (a jq path) of the result of mode $1, scenario $2; empty if missing.
field() {
    local f=$WORK/result-$1-$2.json
    [[ -f "$f" ]] || return 0
    jq -r "$3 // empty | if type == \"number\" then (. * 10 | round / 10) else . end" "$f" || true
}
ratio() { # $1 / $2 with two decimals, or "-"
    if [[ -n "$1" && -n "$2" ]] && holds "$2 > 0"; then
        printf '%.2f' "$(calc "$1 / $2")"
    else
        echo "-"
    fi
}
per_op() { # CPU seconds $1 over millions of operations $2, as whole µs
    if [[ -n "$1" && -n "$2" ]] && holds "$2 > 0"; then
        printf '%.0f' "$(calc "$1 / $2")"
    else
        echo "-"
    fi
}
cores() { # CPU seconds $1 over wall seconds $2
    if [[ -n "$1" && -n "$2" ]] && holds "$2 > 0"; then
        printf '%.2f' "$(calc "$1 / $2")"
    else
        echo "-"
    fi
}
# The gRPC ceiling: ops/s of the ping scenario; empty if it was not run.
ceiling() { field "$PING_MODE" ping .ops_per_s; }
pct() { # $1 as a whole percentage of $2, or "-"
    if [[ -n "$1" && -n "$2" ]] && holds "$2 > 0"; then
        printf '%.0f%%' "$(calc "100 * $1 / $2")"
    else
        echo "-"
    fi
}

errors_text() {
    local f=$WORK/result-$1-$2.json
    [[ -f "$f" ]] || { echo "-"; return; }
    jq -r 'if .failed then "run failed" else
             ([.errors_by_code | to_entries[] | "\(.key) \(.value)"] | join(", ")) as $e
             | if $e == "" then "0" else $e end end' "$f"
}

scenario_table() {
    local name=$1 m row label path
    # A path starting with % is shown as a percentage of the ping ceiling.
    local -a rows=(
        "throughput (ops/s)|.ops_per_s"
        "throughput, % of the ping ceiling|%.ops_per_s"
        "RPCs/s|.rpcs_per_s"
        "RPCs/s, % of the ping ceiling|%.rpcs_per_s"
        "latency p50 (µs)|.latency_us.p50"
        "latency p90 (µs)|.latency_us.p90"
        "latency p99 (µs)|.latency_us.p99"
        "latency p99.9 (µs)|.latency_us.p999"
        "latency max (µs)|.latency_us.max"
    )
    if [[ "$name" == redeem ]]; then
        rows[0]="throughput (hold + capture pairs/s)|.redeem_pairs_per_s"
        rows[1]="pairs/s, % of the ping ceiling (a pair is 2 RPCs)|%.redeem_pairs_per_s"
    fi
    printf '| |'
    for m in $MODES; do printf ' %s |' "$(mode_label "$m")"; done
    [[ "$MODES" == "on off" ]] && printf ' on/off |'
    printf '\n|---|'
    for m in $MODES; do printf -- '---:|'; done
    [[ "$MODES" == "on off" ]] && printf -- '---:|'
    printf '\n'
    for row in "${rows[@]}"; do
        label=${row%%|*} path=${row#*|}
        printf '| %s |' "$label"
        if [[ "$path" == %* ]]; then
            for m in $MODES; do
                printf ' %s |' "$(pct "$(field "$m" "$name" "${path#%}")" "$(ceiling)")"
            done
            [[ "$MODES" == "on off" ]] && printf ' |'
        else
            for m in $MODES; do printf ' %s |' "$(field "$m" "$name" "$path")"; done
            [[ "$MODES" == "on off" ]] &&
                printf ' %s |' "$(ratio "$(field on "$name" "$path")" "$(field off "$name" "$path")")"
        fi
        printf '\n'
    done
    printf '| errors (by gRPC code) |'
    for m in $MODES; do printf ' %s |' "$(errors_text "$m" "$name")"; done
    [[ "$MODES" == "on off" ]] && printf ' |'
    printf '\n| CPU cores used: hub / MariaDB / load generator |'
    for m in $MODES; do
        local wall load_s
        wall=$(field "$m" "$name" .wall_s)
        load_s=$(field "$m" "$name" .duration_s)
        printf ' %s / %s / %s |' "$(cores "$(field "$m" "$name" .hub_cpu_s)" "$wall")" \
            "$(cores "$(field "$m" "$name" .db_cpu_s)" "$wall")" \
            "$(cores "$(field "$m" "$name" .client_cpu_s)" "$load_s")"
    done
    [[ "$MODES" == "on off" ]] && printf ' |'
    printf '\n| CPU µs per operation: hub / MariaDB |'
    for m in $MODES; do
        local rate wall ops_run=''
        rate=$(field "$m" "$name" .ops_per_s)
        wall=$(field "$m" "$name" .wall_s)
        [[ -n "$rate" && -n "$wall" ]] && ops_run=$(calc "$rate * $wall / 1000000")
        printf ' %s / %s |' "$(per_op "$(field "$m" "$name" .hub_cpu_s)" "$ops_run")" \
            "$(per_op "$(field "$m" "$name" .db_cpu_s)" "$ops_run")"
    done
    [[ "$MODES" == "on off" ]] && printf ' |'
    printf '\n'
}

# The ping scenario's table: one column, the mode whose hub answered it.
ping_table() {
    local MODES=$PING_MODE
    scenario_table ping
}

mode_label() {
    case "$1" in
        on) echo "group commit on" ;;
        off) echo "group commit off" ;;
        *) echo "hub default (no --group_commit flag)" ;;
    esac
}

# "MODE: VALUE; ..." over the modes, VALUE from $WORK/$2-MODE, formatted by $1.
per_mode() {
    local m out=''
    for m in $MODES; do
        # shellcheck disable=SC2059 # the format is the caller's
        out+="${out:+; }$(printf "$1" "$m" "$(cat "$WORK/$2-$m" 2>/dev/null || echo none)")"
    done
    echo "$out"
}

yes_no() { [[ "$1" == 1 ]] && echo "**yes**" || echo "**no**"; }
at_least() { [[ -n "$1" && "$1" != - ]] && holds "$1 >= $2" && echo 1 || echo 0; }

# "VALUE SUFFIX", or "not run" when VALUE is empty.
measured() { if [[ -n "$1" ]]; then echo "$1${2:+ $2}"; else echo "not run"; fi; }

goals_table() {
    local gc=${MODES%% *} earn p99 pairs mixed ping r share inv_ok=1 m at=''
    earn=$(field "$gc" earn .ops_per_s)
    p99=$(field "$gc" earn .latency_us.p99)
    pairs=$(field "$gc" redeem .redeem_pairs_per_s)
    mixed=$(field "$gc" mixed .ops_per_s)
    ping=$(ceiling)
    # The earn goals hold at GOAL_INFLIGHT in flight; figures at another load meet none.
    local load_ok=1
    if ((INFLIGHT != GOAL_INFLIGHT)); then
        load_ok=0
        at=", at $INFLIGHT in flight, not $GOAL_INFLIGHT"
    fi
    echo "| goal | measured | met |"
    echo "|---|---|---|"
    local earn_ok=0
    ((load_ok)) && earn_ok=$(at_least "$earn" "$GOAL_EARN_PER_S")
    echo "| earn: ≥ $GOAL_EARN_PER_S durable earns/s at $GOAL_INFLIGHT in flight | $(measured "$earn" "/s ($(mode_label "$gc")$at)") | $(yes_no "$earn_ok") |"
    local p99_ok=0
    ((load_ok)) && [[ -n "$p99" ]] && holds "$p99 < $GOAL_EARN_P99_US" && p99_ok=1
    echo "| earn: p99 < $((GOAL_EARN_P99_US / 1000)) ms at $GOAL_INFLIGHT in flight | $(measured "$p99" "µs$at") | $(yes_no "$p99_ok") |"
    if [[ "$MODES" == "on off" ]]; then
        r=$(ratio "$earn" "$(field off earn .ops_per_s)")
        echo "| earn: group commit on ≥ ${GOAL_GC_RATIO}x group commit off (one transaction per request) | ${r}x | $(yes_no "$(at_least "$r" "$GOAL_GC_RATIO")") |"
    else
        echo "| earn: group commit on ≥ ${GOAL_GC_RATIO}x group commit off (one transaction per request) | not measured: modes run were '$MODES', not 'on off' | **no** |"
    fi
    share=
    [[ -n "$earn" && -n "$ping" ]] && holds "$ping > 0" && share=$(calc "100 * $earn / $ping")
    if [[ -n "$ping" ]]; then
        echo "| earn: ≥ $GOAL_PING_PCT% of the gRPC ceiling (ping) | $(measured "$(pct "$earn" "$ping")" "of $ping ping/s") | $(yes_no "$(at_least "$share" "$GOAL_PING_PCT")") |"
    else
        echo "| earn: ≥ $GOAL_PING_PCT% of the gRPC ceiling (ping) | not measured: ping not in BENCH_SCENARIOS | **no** |"
    fi
    echo "| redeem: hold + capture ≥ $GOAL_PAIRS_PER_S pairs/s | $(measured "$pairs" "pairs/s ($(mode_label "$gc"))") | $(yes_no "$(at_least "$pairs" "$GOAL_PAIRS_PER_S")") |"
    echo "| mixed, with hot members: ≥ $GOAL_MIXED_PER_S ops/s | $(measured "$mixed" "ops/s ($(mode_label "$gc"))") | $(yes_no "$(at_least "$mixed" "$GOAL_MIXED_PER_S")") |"
    # Statements per batch: what MariaDB received over an earn run per COMMIT it ran (a
    # batch is one commit; the few reads of API keys the hub's cache misses count too),
    # with full batches (one committer: full_batch_run) and as run above.
    local st co wall ops cpu_hub cpu_db spb bsize cpu_ok=0 spb_ok=0 m2 text=''
    for m2 in full "$gc"; do
        st=$(field "$m2" earn .statements)
        co=$(field "$m2" earn .commits)
        wall=$(field "$m2" earn .wall_s)
        [[ -n "$st" && -n "$co" ]] || continue
        ops=$(calc "$(field "$m2" earn .ops_per_s) * ${wall:-0}")
        bsize=$(ratio "$ops" "$co")
        spb=$(ratio "$st" "$co")
        if [[ "$m2" == full ]]; then
            [[ "$spb" != - ]] && holds "$spb <= $GOAL_STATEMENTS_PER_BATCH" && spb_ok=1
            text+="one committer: $spb statements per COMMIT at $bsize earns per batch ($(field full earn .ops_per_s) earns/s); "
        else
            text+="$(mode_label "$gc") (default committers): $spb at $bsize earns per batch"
        fi
    done
    echo "| statements per batch of 128 earns ≤ $GOAL_STATEMENTS_PER_BATCH | ${text:-not measured} | $(yes_no "$spb_ok") |"
    ops=
    wall=$(field "$gc" earn .wall_s)
    [[ -n "$earn" && -n "$wall" ]] && ops=$(calc "$earn * $wall")
    cpu_hub=$(per_op "$(field "$gc" earn .hub_cpu_s)" "$(calc "${ops:-0} / 1000000")")
    cpu_db=$(per_op "$(field "$gc" earn .db_cpu_s)" "$(calc "${ops:-0} / 1000000")")
    [[ "$cpu_hub" != - && "$cpu_db" != - ]] && holds "$cpu_hub + $cpu_db <= $GOAL_CPU_US_PER_EARN" && cpu_ok=1
    echo "| CPU per earn (hub + MariaDB) ≤ $GOAL_CPU_US_PER_EARN µs | $cpu_hub + $cpu_db µs | $(yes_no "$cpu_ok") |"
    for m in $MODES; do [[ "$(cat "$WORK/invariants-$m" 2>/dev/null)" == 0 ]] || inv_ok=0; done
    echo "| and no correctness loss: invariant check after every mode | $(per_mode '%s: exit %s' invariants) | $(yes_no "$inv_ok") |"
}

# Where a batch's time goes, from the hub's own count (its last log line of group commit
# statistics, written when it stops), over all the scenarios of the first mode.
pipeline_table() {
    local line total=0 stage
    line=$(grep -h 'event=group_commit_stats' "$WORK/hub-${MODES%% *}.log" 2>/dev/null | tail -n 1)
    [[ -n "$line" && "$line" == *load_us=* ]] || return 0
    v() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$line"; }
    local batches requests
    batches=$(v batches)
    requests=$(v requests)
    ((batches > 0)) || return 0
    for stage in load apply write commit answer; do total=$((total + $(v ${stage}_us))); done
    echo
    echo "## The batch pipeline: where a batch's time goes"
    echo
    echo "Counted by the hub over every scenario of mode $(mode_label "${MODES%% *}") ($batches batches, $requests"
    echo "requests, $(ratio "$requests" "$batches") per batch; retries $(v batch_retries), requests run again under a savepoint"
    echo "$(v request_reruns)). Time on the committer thread, per batch; the time a request waits"
    echo "in the queue for a committer is not in it."
    echo
    echo "| stage | µs per batch | share |"
    echo "|---|---|---|"
    for stage in load apply write commit answer; do
        echo "| $stage | $(ratio "$(v ${stage}_us)" "$batches") | $(pct "$(v ${stage}_us)" "$total") |"
    done
    echo
    echo "load: member locks and the set-based reads; apply: the ledger's rules in memory;"
    echo "write: the multi-row statements; commit: COMMIT and its log flush; answer: each"
    echo "request's response and gRPC Finish, on the committer."
}

# The report header's line on the gRPC ceiling.
ceiling_text() {
    local ping
    ping=$(ceiling)
    if [[ -z "$ping" ]]; then
        if has_scenario ping; then echo "ping run failed: no ceiling (see $WORK/load-$PING_MODE-ping.log)"
        else echo "not measured (ping not in BENCH_SCENARIOS): no % of ceiling below"; fi
        return
    fi
    echo "**$ping ops/s**: \`grpc.health.v1.Health/Check\` on the hub (no API key, no database), closed loop, $INFLIGHT in flight, p99 $(field "$PING_MODE" ping .latency_us.p99) µs; measured once at the start of this run; every \"% of the ping ceiling\" below is of this figure"
}

write_report() {
    local cpu name m
    cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
    {
        echo "# Benchmarks"
        echo
        echo "Written by \`deploy/dev.sh bench\` (deploy/bench.sh); the load generator is"
        echo "\`tests/load/loyalty-load\`. Re-run it to refresh every figure below."
        echo
        echo "| | |"
        echo "|---|---|"
        echo "| date (UTC) | $(date -u '+%Y-%m-%d %H:%M') |"
        echo "| CPU | ${cpu:-unknown}, $(nproc) cores (nproc) |"
        echo "| memory | $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) |"
        echo "| load average before the run | $LOAD_BEFORE (1, 5, 15 min; figures from a busy machine are not comparable) |"
        echo "| MariaDB | $MDB_VERSION, \`innodb_flush_log_at_trx_commit = $FLUSH\` (durable: every commit fsyncs the redo log), socket only |"
        # shellcheck disable=SC2016 # the backquotes are markdown
        echo "| hub flags per mode | $(per_mode '%s: `%s`' flags) |"
        echo "| gRPC ceiling (ping) | $(ceiling_text) |"
        echo "| load | closed loop, $INFLIGHT operations in flight, ${WARMUP_S} s warm-up + ${DURATION_S} s measured per run, $MEMBERS members, 4 gRPC channels; generator, hub and MariaDB share the machine |"
        echo
        echo "Each mode runs on a fresh database. Latencies are from the client (loyalty-load),"
        echo "successful operations only, in microseconds; a redeem is the pair"
        echo "AuthorizeRedemption + CaptureRedemption, timed from the first call to the end of"
        echo "the second. CPU cores used = CPU seconds / wall seconds of the run (hub and MariaDB"
        echo "over warm-up and measurement, the load generator over the measurement); CPU µs per"
        echo "operation divides the hub's and MariaDB's CPU seconds by the operations of the whole"
        echo "run (measured rate x wall time). The ping scenario (\`grpc.health.v1.Health/Check\`,"
        echo "answered by gRPC's own health service: no API key, no database) is the most this"
        echo "machine's gRPC stack serves at the same load; each scenario's rate is also shown as"
        echo "a percentage of it."
        echo
        echo "## Goals (issue 12)"
        echo
        goals_table
        for name in $SCENARIOS; do
            echo
            case "$name" in
                ping)
                    echo "## ping: the gRPC ceiling, \`grpc.health.v1.Health/Check\` only, $INFLIGHT in flight"
                    echo
                    echo "Run once, at the start, on the hub of the first mode (the health check does not"
                    echo "depend on group commit)."
                    echo
                    ping_table
                    continue
                    ;;
                earn) echo "## earn: earns only, $INFLIGHT in flight" ;;
                redeem) echo "## redeem: hold + capture pairs, $INFLIGHT in flight" ;;
                mixed) echo "## mixed: \`$MIX\`, $HOT_SHARE of requests on $HOT_FRACTION of members, $INFLIGHT in flight" ;;
            esac
            echo
            scenario_table "$name"
        done
        echo
        echo "## Invariants"
        echo
        echo "\`loyalty_hub --check_invariants\` on each mode's database after its runs"
        echo "(exit 0 = sound, 3 = violations)."
        echo
        echo "| mode | exit | last line |"
        echo "|---|---|---|"
        for m in $MODES; do
            echo "| $(mode_label "$m") | $(cat "$WORK/invariants-$m" 2>/dev/null || echo -) | \`$(tail -n 1 "$WORK/invariants-$m.log" 2>/dev/null)\` |"
        done
        pipeline_table
        if [[ -s "$WORK/profile.txt" ]]; then
            echo
            echo "## Where the time goes"
            echo
            echo '```'
            cat "$WORK/profile.txt"
            echo '```'
        fi
        if [[ -s "$WORK/extra-cards.md" || -s "$WORK/extra-settlement.md" ]]; then
            echo
            echo "## Card stream and settlement"
            for extra in cards settlement; do
                if [[ -s "$WORK/extra-$extra.md" ]]; then
                    echo
                    cat "$WORK/extra-$extra.md"
                fi
            done
        fi
        # The engineers' reading of the figures (where the time goes, what would move
        # it), kept by hand beside the generated report.
        if [[ -s docs/benchmark-notes.md ]]; then
            echo
            cat docs/benchmark-notes.md
        fi
    } >"$REPORT"
}

# -------------------------------------------------------------------- main ---

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if hub_has_flag group_commit; then
    MODES=${BENCH_MODES:-on off}
else
    step "the hub has no --group_commit flag: one mode (the hub's default)"
    MODES=default
fi
PING_MODE=${MODES%% *}
# Results of an earlier run must not stand in for scenarios this one skips.
rm -f "$WORK"/result-*.json
if [[ ! -s "$WORK/admin.key" ]]; then
    (umask 077 && echo "lk_admin_$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')" >"$WORK/admin.key")
fi
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_mariadb
for mode in $MODES; do run_mode "$mode"; done
full_batch_run
run_extra deploy/bench-cards.sh "$WORK/extra-cards.md"
run_extra deploy/bench-settlement.sh "$WORK/extra-settlement.md"
write_report
step "report written to $REPORT"
echo
cat "$REPORT"
