#!/usr/bin/env bash
# Manage a private, throw-away MariaDB server that lives entirely in one folder.
#
#   deploy/mariadb.sh start DIR   initialise DIR/data if needed, start the server,
#                                 print the socket path as the last stdout line
#   deploy/mariadb.sh stop DIR    shut the server down (no error if not running)
#
# Layout of DIR:
#   DIR/data          data directory (created by mariadb-install-db)
#   DIR/mysqld.sock   unix socket (the server does not listen on TCP)
#   DIR/mysqld.pid    pid file
#   DIR/mysqld.err    server error log
#   DIR/install.log   output of mariadb-install-db
#
# No system service and no config files are involved (--no-defaults everywhere).
# The MariaDB user root@localhost has an empty password (and unix_socket auth as
# an alternative), so `mariadb --no-defaults --socket=DIR/mysqld.sock -uroot`
# works for any OS user that can reach the socket.
#
# All diagnostics go to stderr; stdout carries only the socket path (start).
set -euo pipefail

# Bounds for waiting on the server (seconds).
START_TIMEOUT=${MARIADB_START_TIMEOUT:-30}
STOP_TIMEOUT=${MARIADB_STOP_TIMEOUT:-30}

log() { echo "mariadb.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    echo "usage: $0 {start|stop} DIR" >&2
    exit 2
}

# Client tools must never read ~/.my.cnf or /etc/mysql: always --no-defaults.
admin() { mariadb-admin --no-defaults --socket="$SOCK" -uroot "$@"; }
client() { mariadb --no-defaults --socket="$SOCK" -uroot "$@"; }

# True if a server answers on $SOCK. `ping` succeeds even when access would be
# denied, so this is a pure liveness check.
server_alive() {
    [[ -S "$SOCK" ]] && admin --connect-timeout=2 ping >/dev/null 2>&1
}

# Pid from the pid file if it names a running mariadbd process, else nothing.
server_pid() {
    local pid
    [[ -f "$PIDFILE" ]] || return 0
    pid=$(tr -dc '0-9' <"$PIDFILE" 2>/dev/null || true)
    [[ -n "$pid" ]] || return 0
    if kill -0 "$pid" 2>/dev/null &&
        [[ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == mariadbd* ]]; then
        echo "$pid"
    fi
}

# Print the tail of the server error log to stderr.
show_err_log() {
    if [[ -f "$ERRLOG" ]]; then
        log "last lines of $ERRLOG:"
        tail -n 25 "$ERRLOG" >&2
    fi
}

# Wait (bounded) until the server answers on $SOCK. Returns 0 once it does,
# 1 if process $1 exits first; dies with the error log on timeout.
wait_for_server() {
    local pid=$1 deadline=$((SECONDS + START_TIMEOUT))
    until server_alive; do
        kill -0 "$pid" 2>/dev/null || return 1
        if ((SECONDS >= deadline)); then
            show_err_log
            die "mariadbd did not answer on $SOCK within ${START_TIMEOUT}s (pid $pid still running)"
        fi
        sleep 0.2
    done
}

# Serialise start/stop on the same DIR (e.g. parallel test fixtures).
take_lock() {
    exec 9>"$DIR/.lock"
    flock -w $((START_TIMEOUT + STOP_TIMEOUT + 30)) 9 || die "timed out waiting for lock $DIR/.lock"
}

cmd_start() {
    mkdir -p "$DIR"
    take_lock

    if server_alive; then
        log "server already running on $SOCK"
        echo "$SOCK"
        return 0
    fi

    for tool in mariadbd mariadb-install-db mariadb-admin mariadb; do
        command -v "$tool" >/dev/null 2>&1 ||
            die "$tool not found (install the mariadb-server and mariadb-client packages)"
    done

    # mariadbd refuses to run as root unless told to; as any other user the
    # option is not needed (and would only produce a warning).
    local user_opt=()
    if [[ "$(id -u)" == 0 ]]; then
        user_opt=(--user=root)
    fi

    # A pid file naming a live mariadbd without a responding socket means a
    # server is still starting (or is being killed): never start a second one
    # on the same data directory, wait for that one first.
    local pid
    pid=$(server_pid)
    if [[ -n "$pid" ]]; then
        log "mariadbd (pid $pid) is running but not answering yet; waiting"
        wait_for_server "$pid" || log "mariadbd (pid $pid) went away; starting a new one"
    fi

    if ! server_alive; then
        # Leftovers of a crashed server would confuse the checks below.
        rm -f "$PIDFILE" "$SOCK"

        if [[ ! -d "$DATADIR" ]]; then
            log "initialising data directory $DATADIR (log: $DIR/install.log)"
            if ! mariadb-install-db --no-defaults "${user_opt[@]}" \
                --datadir="$DATADIR" \
                --auth-root-authentication-method=normal \
                --skip-test-db >"$DIR/install.log" 2>&1 9>&-; then
                # Do not leave a half-initialised data dir that the next
                # start would mistake for a good one.
                rm -rf "$DATADIR"
                tail -n 25 "$DIR/install.log" >&2 || true
                die "mariadb-install-db failed (see $DIR/install.log)"
            fi
        fi

        log "starting mariadbd (socket $SOCK)"
        # setsid + closed stdio: the server must not keep the caller's
        # terminal or pipes open (ctest and $(...) would otherwise wait for it
        # forever) and must not receive the caller's Ctrl-C. fd 9 is our lock
        # file and must not be inherited either. (In a non-interactive shell
        # the background job is not a process group leader, so setsid does
        # not fork and $! is the pid of mariadbd itself.)
        setsid mariadbd --no-defaults "${user_opt[@]}" \
            --datadir="$DATADIR" \
            --socket="$SOCK" \
            --pid-file="$PIDFILE" \
            --skip-networking \
            --log-error="$ERRLOG" \
            --innodb-buffer-pool-size=256M \
            --innodb-flush-log-at-trx-commit=2 \
            --max-connections=500 \
            --character-set-server=utf8mb4 \
            --collation-server=utf8mb4_unicode_ci \
            </dev/null >/dev/null 2>&1 9>&- &
        pid=$!
        if ! wait_for_server "$pid"; then
            show_err_log
            die "mariadbd exited during startup"
        fi
    fi

    # Make root@localhost usable without a password by any OS user (needed
    # when the tests or the hub run as a different account than the one that
    # created the data dir), while keeping unix_socket auth as an alternative.
    # Idempotent, so it is simply re-applied on every start.
    if ! client -e "ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket" 2>"$DIR/auth.err"; then
        cat "$DIR/auth.err" >&2
        die "could not configure root@localhost (is $DATADIR from another setup?)"
    fi
    rm -f "$DIR/auth.err"

    log "server ready"
    echo "$SOCK"
}

cmd_stop() {
    # Nothing to do if the folder does not even exist.
    [[ -d "$DIR" ]] || return 0
    take_lock

    local pid
    pid=$(server_pid)

    if server_alive; then
        log "shutting down server on $SOCK"
        # shutdown normally waits until the server is gone; bound it anyway.
        timeout "$STOP_TIMEOUT" mariadb-admin --no-defaults --socket="$SOCK" -uroot \
            --connect-timeout=5 shutdown >/dev/null 2>&1 ||
            log "mariadb-admin shutdown failed or timed out"
    fi

    if [[ -n "$pid" ]]; then
        local deadline=$((SECONDS + STOP_TIMEOUT))
        while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
            sleep 0.2
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "mariadbd (pid $pid) still alive after ${STOP_TIMEOUT}s; sending SIGTERM"
            kill -TERM "$pid" 2>/dev/null || true
            deadline=$((SECONDS + 10))
            while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
                sleep 0.2
            done
        fi
        if kill -0 "$pid" 2>/dev/null; then
            log "mariadbd (pid $pid) still alive; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
        fi
    fi

    rm -f "$PIDFILE" "$SOCK" "$SOCK.lock"
}

[[ $# -eq 2 ]] || usage
ACTION=$1
DIR=$2
[[ -n "$DIR" ]] || usage

# Absolute path without requiring DIR to exist yet (for stop it may not).
case "$DIR" in
    /*) ;;
    *) DIR="$PWD/$DIR" ;;
esac
# Normalise "a/./b", "a//b" and trailing slashes (purely textual).
DIR=$(realpath -m -s -- "$DIR")

DATADIR="$DIR/data"
SOCK="$DIR/mysqld.sock"
PIDFILE="$DIR/mysqld.pid"
ERRLOG="$DIR/mysqld.err"

# sun_path holds 108 bytes including the terminating NUL (count bytes, not
# characters, hence LC_ALL=C).
SOCK_LEN=$(LC_ALL=C; echo "${#SOCK}")
if ((SOCK_LEN >= 108)); then
    die "socket path too long ($SOCK_LEN bytes, max 107): $SOCK -- use a shorter DIR"
fi

case "$ACTION" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    *) usage ;;
esac
