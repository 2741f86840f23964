#!/usr/bin/env bash
# Developer entry point for the coalition loyalty hub.
#
#   deploy/dev.sh build          install missing packages, configure + build
#   deploy/dev.sh test [ARGS]    build, then run ctest (ARGS go to ctest, e.g. -R ledger)
#   deploy/dev.sh run            build, start MariaDB + hub + demo data, stay in foreground
#   deploy/dev.sh stop           stop what `run` started (hub and MariaDB)
#   deploy/dev.sh bench          build, run the throughput benchmarks (deploy/bench.sh),
#                                write docs/benchmarks.md and print it
#
# Works from any cwd: everything is relative to the repository root.
# Runtime state of `run` lives in .run/ (git-ignored):
#   .run/mariadb/    private MariaDB (see deploy/mariadb.sh)
#   .run/admin.key   admin API key (mode 600, generated once)
#   .run/hub.log     hub stdout/stderr
#   .run/hub.port    port the hub listens on (written by the hub)
#   .run/hub.pid     pid of the hub
#   .run/run.pid     pid of the `dev.sh run` shell itself
#   .run/hub.env     HUB_ADDR=... / ADMIN_KEY_FILE=... for other tools
#   .run/demo.txt    demo coalition (partner keys, cards) written by loyalty_demo
#   .run/demo.done   marker: demo data already loaded into this database
#   .run/demo-history.txt  what loyalty_demo_history posted (months of member history)
#
# Environment: LOYALTY_PORT (default 50051; 0 lets the hub pick a free port).
set -euo pipefail

cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

BUILD_DIR=build
RUN_DIR=.run
MARIADB_DIR=$RUN_DIR/mariadb
HUB_BIN=$BUILD_DIR/hub/loyalty_hub
DEMO_BIN=$BUILD_DIR/hub/loyalty_demo
HISTORY_BIN=$BUILD_DIR/hub/loyalty_demo_history
MEMBERS_BIN=$BUILD_DIR/hub/loyalty_demo_members
NOTIFIER_BIN=$BUILD_DIR/hub/loyalty_notifier
WEBHOOKS_BIN=$BUILD_DIR/hub/loyalty_webhooks
SETTLEMENT_BIN=$BUILD_DIR/settlement/settlement
LOYALTY_BIN=$BUILD_DIR/partner_sdk/loyalty

# Debian packages needed to build, test and run the project.
PACKAGES=(
    build-essential cmake pkg-config
    libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
    libmysqlcppconn-dev mariadb-server mariadb-client
    libgtest-dev libgmock-dev libbenchmark-dev
    libssl-dev libsqlite3-dev
    openssl  # deploy/tls/make-certs.sh (and tests/e2e/tls_test)
    nlohmann-json3-dev tzdata chromium
    libcurl4-openssl-dev  # webhook deliveries (HTTPS) and member mail (SMTP)
    python3-aiosmtpd  # the local mail sink of `dev.sh run` and the notifier tests
    jq  # reads loyalty-load's JSON results (deploy/bench.sh)
    time  # /usr/bin/time -v: wall time and peak memory (deploy/bench-settlement.sh)
    clang libclang-rt-14-dev  # the libFuzzer targets (tests/fuzz/run.sh)
)

step() { echo "==> $*"; }
warn() { echo "dev.sh: $*" >&2; }
die() { warn "error: $*"; exit 1; }

usage() {
    cat >&2 <<EOF
usage: deploy/dev.sh COMMAND [ARGS]

commands:
  build          install missing Debian packages, configure and build (./build)
  test [ARGS]    build, then run the CTest suite; ARGS are passed to ctest
                 (e.g. deploy/dev.sh test -R ledger)
  run            build, start a private MariaDB and the hub on
                 127.0.0.1:\${LOYALTY_PORT:-50051}, load the demo coalition and
                 stay in the foreground (Ctrl-C stops everything)
  stop           stop the hub and MariaDB started by 'run'
  mail           print the member mail the demo's local mail sink received
                 (.run/mail), decoded, oldest first
  bench          build, then run the benchmarks (deploy/bench.sh: durable
                 MariaDB, hub, load generator; group commit on and off),
                 write docs/benchmarks.md and print it (BENCH_* env: see there)
EOF
    exit "${1:-2}"
}

# Install (via apt) only the packages that are not installed yet.
ensure_packages() {
    step "checking packages"
    local missing=() pkg
    for pkg in "${PACKAGES[@]}"; do
        if ! dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
            missing+=("$pkg")
        fi
    done
    ((${#missing[@]} == 0)) && return 0

    step "installing packages: ${missing[*]}"
    local sudo=()
    if [[ "$(id -u)" != 0 ]]; then
        command -v sudo >/dev/null 2>&1 ||
            die "missing packages (${missing[*]}) and not root; install them or install sudo"
        sudo=(sudo)
    fi
    "${sudo[@]}" apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
}

# Configure (always; cheap and picks up option changes) and build.
# build [TARGET...]: configure, then build the given targets (default: everything).
build() {
    step "configuring ($BUILD_DIR)"
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOYALTY_BUILD_TESTS=ON
    step "building${*:+ $*}"
    local targets=()
    (($# > 0)) && targets=(--target "$@")
    cmake --build "$BUILD_DIR" -j"$(nproc)" "${targets[@]}"
}

# True if file $1 holds the pid of a live process whose command line
# contains $2 (guards against stale pid files and pid reuse).
pidfile_alive() {
    local file=$1 pattern=$2 pid
    [[ -f "$file" ]] || return 1
    pid=$(tr -dc '0-9' <"$file")
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null &&
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern"
}

# Send SIGTERM to pid $1, wait up to $2 seconds, then SIGKILL.
terminate() {
    local pid=$1 timeout=${2:-10} deadline
    kill -TERM "$pid" 2>/dev/null || return 0
    deadline=$((SECONDS + timeout))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        warn "pid $pid did not exit after ${timeout}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
}

cmd_build() {
    ensure_packages
    build
}

cmd_test() {
    ensure_packages
    build
    step "running tests"
    # The suite starts/stops its own MariaDB through CTest fixtures.
    cd "$BUILD_DIR"
    ctest --output-on-failure -j2 "$@"
    cd "$ROOT"
    step "fuzzing (${FUZZ_SECONDS:-30}s per target)"
    tests/fuzz/run.sh "${FUZZ_SECONDS:-30}"
}

# ---------------------------------------------------------------- run ----

HUB_PID=

# EXIT trap of `run`: stop the hub (if we started it) and MariaDB.
run_cleanup() {
    local status=$?
    trap '' INT TERM # a second Ctrl-C must not interrupt the cleanup
    if [[ -n "$HUB_PID" ]] && kill -0 "$HUB_PID" 2>/dev/null; then
        step "stopping hub (pid $HUB_PID)"
        terminate "$HUB_PID" 15
        wait "$HUB_PID" 2>/dev/null || true
    fi
    stop_mail
    rm -f "$RUN_DIR/hub.pid" "$RUN_DIR/run.pid" "$RUN_DIR/hub.port"
    step "stopping MariaDB"
    deploy/mariadb.sh stop "$MARIADB_DIR" || true
    exit "$status"
}

# Print the tail of the hub log and exit non-zero (cleanup via EXIT trap).
hub_failed() {
    warn "$1"
    if [[ -f "$RUN_DIR/hub.log" ]]; then
        warn "last lines of $RUN_DIR/hub.log:"
        tail -n 40 "$RUN_DIR/hub.log" >&2
    fi
    exit "${2:-1}"
}

# Settlement prices of the demo's partners (ids 1-5 in a fresh database: the bank,
# the grocer, the fuel station, the gym, the sportswear shop), micros per point.
demo_settlement_terms() {
    local sock=$1 id issue redeem
    "$SETTLEMENT_BIN" --mysql_socket="$sock" config --model=operator --period_unit=month \
        --time_zone=UTC >/dev/null
    while read -r id issue redeem; do
        "$SETTLEMENT_BIN" --mysql_socket="$sock" terms --partner="$id" \
            --issue_price_micros="$issue" --redeem_value_micros="$redeem" \
            --fee_per_point_micros=500 >/dev/null
    done <<'TERMS'
1 7000 0
2 8000 9500
3 8000 9000
4 9000 10000
5 8500 9500
TERMS
}

cmd_run() {
    if pidfile_alive "$RUN_DIR/run.pid" dev.sh || pidfile_alive "$RUN_DIR/hub.pid" loyalty_hub; then
        die "already running (see $RUN_DIR/*.pid); use deploy/dev.sh stop first"
    fi

    ensure_packages
    # What `run` uses, and the example till the partner guide runs against it.
    # (One line: tests/docs/docs_test.sh reads it.)
    build loyalty_hub loyalty_demo loyalty_demo_history loyalty_demo_members loyalty_notifier loyalty_webhooks settlement_cli loyalty_cli pos_simulator
    [[ -x "$HUB_BIN" ]] || die "$HUB_BIN was not built"
    [[ -x "$DEMO_BIN" ]] || die "$DEMO_BIN was not built"
    [[ -x "$HISTORY_BIN" ]] || die "$HISTORY_BIN was not built"
    [[ -x "$MEMBERS_BIN" ]] || die "$MEMBERS_BIN was not built"
    [[ -x "$NOTIFIER_BIN" ]] || die "$NOTIFIER_BIN was not built"
    [[ -x "$WEBHOOKS_BIN" ]] || die "$WEBHOOKS_BIN was not built"

    mkdir -p "$RUN_DIR"
    echo $$ >"$RUN_DIR/run.pid"
    # From here on, any exit (error, Ctrl-C, hub crash) stops hub + MariaDB.
    trap run_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    # Demo data lives in the database: a fresh database needs it again.
    if [[ ! -d "$MARIADB_DIR/data" ]]; then
        rm -f "$RUN_DIR/demo.done" "$RUN_DIR/demo.txt"
    fi

    step "starting MariaDB ($MARIADB_DIR)"
    local sock
    sock=$(deploy/mariadb.sh start "$MARIADB_DIR" | tail -n 1)
    [[ -S "$sock" ]] || die "MariaDB did not report a usable socket (got '$sock')"
    mariadb --no-defaults --socket="$sock" -uroot -e 'CREATE DATABASE IF NOT EXISTS loyalty CHARACTER SET utf8mb4'

    # Admin key: generated once, readable only by the owner.
    local key_file=$ROOT/$RUN_DIR/admin.key
    if [[ ! -s "$key_file" ]]; then
        step "generating admin key ($RUN_DIR/admin.key)"
        (
            umask 077
            echo "lk_admin_$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')" >"$key_file"
        )
    fi
    chmod 600 "$key_file"
    # The key that turns card PANs into keyed hashes (BankService), generated once.
    local pan_key_file=$ROOT/$RUN_DIR/pan.key
    if [[ ! -s "$pan_key_file" ]]; then
        (
            umask 077
            od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$pan_key_file"
        )
    fi

    step "starting hub"
    local port_file=$ROOT/$RUN_DIR/hub.port
    rm -f "$port_file"
    # bash starts background jobs with SIGINT ignored, so (unless the hub
    # installs its own handler) Ctrl-C only reaches this shell, whose trap
    # then stops the hub with SIGTERM.
    "$HUB_BIN" \
        --listen="127.0.0.1:${LOYALTY_PORT:-50051}" \
        --insecure_plaintext_loopback \
        --mysql_socket="$sock" \
        --mysql_database=loyalty \
        --admin_key_file="$key_file" \
        --pan_hmac_key_file="$pan_key_file" \
        --port_file="$port_file" \
        --event_jobs_interval_seconds=15 \
        </dev/null >"$RUN_DIR/hub.log" 2>&1 &
    HUB_PID=$!
    echo "$HUB_PID" >"$RUN_DIR/hub.pid"

    # Wait (bounded) for the hub to write its port file once it listens.
    local port='' deadline=$((SECONDS + 30))
    while :; do
        if [[ -s "$port_file" ]]; then
            port=$(tr -d ' \t\r\n' <"$port_file")
            port=${port##*:} # tolerate "host:port" as well as "port"
            [[ "$port" =~ ^[0-9]+$ ]] && break
        fi
        kill -0 "$HUB_PID" 2>/dev/null || hub_failed "hub exited during startup"
        ((SECONDS < deadline)) || hub_failed "hub did not write $RUN_DIR/hub.port within 30s"
        sleep 0.2
    done
    local addr=127.0.0.1:$port

    cat >"$RUN_DIR/hub.env" <<EOF
HUB_ADDR=$addr
ADMIN_KEY_FILE=$key_file
MYSQL_SOCKET=$sock
EOF

    if [[ -f "$RUN_DIR/demo.done" && -f "$RUN_DIR/demo.txt" ]]; then
        step "demo coalition already loaded ($RUN_DIR/demo.txt)"
    else
        step "loading demo coalition"
        "$DEMO_BIN" --hub="$addr" --admin_key_file="$RUN_DIR/admin.key" --out="$RUN_DIR/demo.txt" \
            --bank_key_out="$RUN_DIR/bank.key" --clearing_out="$RUN_DIR/demo-clearing.csv" ||
            hub_failed "loyalty_demo failed (exit $?)"
        demo_settlement_terms "$sock" || hub_failed "settlement terms for the demo failed"
        step "ingesting the bank's demo clearing file ($RUN_DIR/demo-clearing.csv)"
        "$LOYALTY_BIN" --hub="$addr" --key_file="$RUN_DIR/bank.key" bank-ingest \
            --no_progress "$RUN_DIR/demo-clearing.csv" | tee "$RUN_DIR/demo-ingest.txt" ||
            hub_failed "bank-ingest of the demo clearing file failed"
        touch "$RUN_DIR/demo.done"
    fi
    # Months of member history for the analytics reports, posted through the ledger
    # on a clock of its own; it skips itself when the database has it already.
    step "loading demo history ($RUN_DIR/demo-history.txt)"
    "$HISTORY_BIN" --mysql_socket="$sock" --mysql_database=loyalty \
        --out="$RUN_DIR/demo-history.txt" >/dev/null ||
        hub_failed "loyalty_demo_history failed (exit $?)"
    step "demo members with e-mail addresses ($RUN_DIR/demo-members.txt)"
    "$MEMBERS_BIN" --mysql_socket="$sock" --mysql_database=loyalty \
        --out="$RUN_DIR/demo-members.txt" >/dev/null ||
        hub_failed "loyalty_demo_members failed (exit $?)"

    # Member mail goes to a local SMTP server that keeps every message as a file
    # (Debian's python3-aiosmtpd, Maildir), so nothing leaves the machine.
    local smtp_port=${LOYALTY_SMTP_PORT:-2525}
    step "starting the mail sink (127.0.0.1:$smtp_port -> $RUN_DIR/mail/new/)"
    mkdir -p "$RUN_DIR/mail/tmp" "$RUN_DIR/mail/new" "$RUN_DIR/mail/cur"
    /usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox \
        "$RUN_DIR/mail" </dev/null >"$RUN_DIR/mailsink.log" 2>&1 &
    echo $! >"$RUN_DIR/mailsink.pid"
    step "starting the notifier ($RUN_DIR/notifier.log)"
    "$NOTIFIER_BIN" --mysql_socket="$sock" --mysql_database=loyalty \
        --smtp_url="smtp://127.0.0.1:$smtp_port" --mail_from=club@demo.example \
        </dev/null >"$RUN_DIR/notifier.log" 2>&1 &
    echo $! >"$RUN_DIR/notifier.pid"
    step "starting the webhook deliverer ($RUN_DIR/webhooks.log)"
    "$WEBHOOKS_BIN" --mysql_socket="$sock" --mysql_database=loyalty \
        </dev/null >"$RUN_DIR/webhooks.log" 2>&1 &
    echo $! >"$RUN_DIR/webhooks.pid"

    cat <<EOF

==================================================================
 Loyalty hub is running
   address         $addr
   admin key file  $key_file
   admin key       $(cat "$key_file")
   hub log         $ROOT/$RUN_DIR/hub.log
   env file        $ROOT/$RUN_DIR/hub.env   (HUB_ADDR, ADMIN_KEY_FILE)
   MariaDB socket  $sock   (database: loyalty)
==================================================================

---- demo coalition ($RUN_DIR/demo.txt) ----
EOF
    cat "$RUN_DIR/demo.txt" 2>/dev/null || echo "(no $RUN_DIR/demo.txt)"
    if [[ -f "$RUN_DIR/demo-history.txt" ]]; then
        echo
        cat "$RUN_DIR/demo-history.txt"
    fi
    echo
    cat "$RUN_DIR/demo-members.txt" 2>/dev/null || true
    cat <<EOF

---- how to call it ----
  Server reflection is enabled, so any reflection-aware gRPC client can list
  and call the services at $addr; the .proto files are in protos/loyalty/v1/.
  Database: mariadb --no-defaults --socket=$sock -uroot loyalty

---- the loyalty CLI (docs/partner-integration.md) ----
  $LOYALTY_BIN --hub=$addr --key_file=$RUN_DIR/admin.key list-partners
  LOYALTY_API_KEY=<a partner key from above> $LOYALTY_BIN --hub=$addr balance --card <card>
  $LOYALTY_BIN --help   lists every command

---- settlement (docs/finance.md) ----
  $SETTLEMENT_BIN --mysql_socket=$sock close --from $(date -u +%Y-%m-01) --to now --out $RUN_DIR/reports
  writes CSV, JSON and an HTML report of the month to date into $RUN_DIR/reports/.

---- analytics (docs/analytics.md) ----
  $LOYALTY_BIN --hub=$addr --key_file=$RUN_DIR/admin.key analytics segments
  $LOYALTY_BIN --hub=$addr --key_file=$RUN_DIR/admin.key analytics promotion --promotion_id=N  (N: the history's promotion above)
  $LOYALTY_BIN --hub=$addr --key_file=$RUN_DIR/admin.key analytics joining --partner_id=2
  $LOYALTY_BIN --hub=$addr --key_file=$RUN_DIR/admin.key analytics flows --csv
  $LOYALTY_BIN --hub=$addr --key_file=$RUN_DIR/admin.key analytics html --partner_id=2 --out=$RUN_DIR/analytics.html
  then open $RUN_DIR/analytics.html in a browser; a partner key sees its own tills and
  the coalition only over >= 10 members.

---- members, events, claims (docs/members.md, docs/events.md) ----
  Mail to members lands as files in $RUN_DIR/mail/new/ (the notifier: $RUN_DIR/notifier.log);
  within a minute each demo member above has a "points expire" mail there.
  deploy/dev.sh mail   prints every mail received, decoded (sign-in codes included)
  $LOYALTY_BIN --hub=$addr member-request-code --card=<Ana's card>
  $LOYALTY_BIN --hub=$addr member-sign-in --card=<Ana's card> --code=<from the mail> --out=$RUN_DIR/ana.token
  $LOYALTY_BIN --hub=$addr member-overview --token_file=$RUN_DIR/ana.token
  $LOYALTY_BIN --hub=$addr member-claim --token_file=$RUN_DIR/ana.token --partner_id=2 --purchased_on=$(date -u +%Y-%m-%d) --amount_minor=4200 --currency=EUR --receipt_ref=R-1001
  LOYALTY_API_KEY=<partner 2's key> $LOYALTY_BIN --hub=$addr claims --status=open
  LOYALTY_API_KEY=<partner 2's key> $LOYALTY_BIN --hub=$addr accept-claim <claim id>
  $LOYALTY_BIN --hub=$addr --key_file=$RUN_DIR/admin.key events --since_cursor=0 --max_events=20
  LOYALTY_API_KEY=<partner 2's key> $LOYALTY_BIN --hub=$addr webhook-add --url=https://<your endpoint>
      (the deliverer's log: $RUN_DIR/webhooks.log)

Press Ctrl-C (or run 'deploy/dev.sh stop') to stop the hub and MariaDB.
EOF

    # Foreground: a signal interrupts `wait` and runs the trap (exit ->
    # run_cleanup). If `wait` returns by itself, the hub died on its own.
    local status=0
    wait "$HUB_PID" || status=$?
    HUB_PID=
    hub_failed "hub exited unexpectedly (status $status)" "$((status == 0 ? 1 : status))"
}

# ---------------------------------------------------------------- stop ---

# The notifier, the webhook deliverer and the local mail sink of `run`, if they are up.
stop_mail() {
    if pidfile_alive "$RUN_DIR/webhooks.pid" loyalty_webhooks; then
        step "stopping webhook deliverer"
        terminate "$(tr -dc '0-9' <"$RUN_DIR/webhooks.pid")" 10
    fi
    if pidfile_alive "$RUN_DIR/notifier.pid" loyalty_notifier; then
        step "stopping notifier"
        terminate "$(tr -dc '0-9' <"$RUN_DIR/notifier.pid")" 10
    fi
    if pidfile_alive "$RUN_DIR/mailsink.pid" aiosmtpd; then
        step "stopping mail sink"
        terminate "$(tr -dc '0-9' <"$RUN_DIR/mailsink.pid")" 10
    fi
    rm -f "$RUN_DIR/notifier.pid" "$RUN_DIR/mailsink.pid" "$RUN_DIR/webhooks.pid"
}

# The member mail `run`'s sink kept (a Maildir), decoded with Python's email package.
cmd_mail() {
    [[ -d "$RUN_DIR/mail/new" ]] || die "no mail yet: start the demo with 'deploy/dev.sh run'"
    PYTHONIOENCODING=utf-8 /usr/bin/python3 - "$RUN_DIR/mail" <<'PY'
import email.policy, mailbox, sys
box = mailbox.Maildir(sys.argv[1], factory=None, create=False)
msgs = sorted((m.get_date() if hasattr(m, "get_date") else 0, k) for k, m in box.items())
if not msgs:
    print("(no mail yet)")
for _, key in msgs:
    m = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
    print(f"--- {m['Date']}  to {m['To']}\n    {m['Subject']}")
    for line in m.get_content().rstrip().splitlines():
        print("    " + line)
PY
}

cmd_stop() {
    # Preferably ask a foreground `dev.sh run` to shut down; its trap stops
    # the hub and MariaDB in order.
    if pidfile_alive "$RUN_DIR/run.pid" dev.sh; then
        local run_pid
        run_pid=$(tr -dc '0-9' <"$RUN_DIR/run.pid")
        step "stopping 'dev.sh run' (pid $run_pid)"
        terminate "$run_pid" 60
    fi
    # Whatever is left (e.g. the run shell was killed with SIGKILL).
    if pidfile_alive "$RUN_DIR/hub.pid" loyalty_hub; then
        local hub_pid
        hub_pid=$(tr -dc '0-9' <"$RUN_DIR/hub.pid")
        step "stopping hub (pid $hub_pid)"
        terminate "$hub_pid" 15
    fi
    stop_mail
    rm -f "$RUN_DIR/hub.pid" "$RUN_DIR/run.pid" "$RUN_DIR/hub.port"
    step "stopping MariaDB"
    deploy/mariadb.sh stop "$MARIADB_DIR"
}

# ---------------------------------------------------------------- bench --

cmd_bench() {
    ensure_packages
    build loyalty_hub loyalty_demo loyalty_load settlement_cli loyalty_cli # what bench uses
    BUILD_DIR=$BUILD_DIR exec deploy/bench.sh
}

# ---------------------------------------------------------------- main ---

[[ $# -ge 1 ]] || usage
command=$1
shift
case "$command" in
    build) [[ $# -eq 0 ]] || usage; cmd_build ;;
    test) cmd_test "$@" ;;
    run) [[ $# -eq 0 ]] || usage; cmd_run ;;
    stop) [[ $# -eq 0 ]] || usage; cmd_stop ;;
    mail) [[ $# -eq 0 ]] || usage; cmd_mail ;;
    bench) [[ $# -eq 0 ]] || usage; cmd_bench ;;
    -h | --help | help) usage 0 ;;
    *) warn "unknown command: $command"; usage ;;
esac
