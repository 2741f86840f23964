#!/usr/bin/env bash
# settlement_cli_test.sh SETTLEMENT_BINARY: the finance CLI's help (overall and per
# command) and its flag checks, against a fresh database on the test MariaDB
# (LOYALTY_TEST_MYSQL_SOCKET, from the ctest `mariadb` fixture).
set -euo pipefail
bin=$1
sock=${LOYALTY_TEST_MYSQL_SOCKET:?run through ctest (the mariadb fixture)}
db=settlement_cli_$$
work=$(mktemp -d)
cleanup() {
    mariadb --no-defaults --socket="$sock" -uroot -e "DROP DATABASE IF EXISTS $db" || true
    rm -rf "$work"
}
trap cleanup EXIT
mariadb --no-defaults --socket="$sock" -uroot -e "CREATE DATABASE $db"
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
# run EXPECTED_EXIT ARGS...: runs the CLI on the test database; output in $work/out, $work/err.
run() {
    local want=$1 rc=0
    shift
    "$bin" "$@" --mysql_socket="$sock" --mysql_database="$db" >"$work/out" 2>"$work/err" || rc=$?
    if [[ "$rc" != "$want" ]]; then
        fail "settlement $*: exit $rc, want $want; stdout: $(cat "$work/out"); stderr: $(cat "$work/err")"
    fi
}
expect_out() { grep -q -- "$1" "$work/out" || fail "stdout lacks '$1': $(cat "$work/out")"; }
expect_err() { grep -q -- "$1" "$work/err" || fail "stderr lacks '$1': $(cat "$work/err")"; }

run 0 --help
expect_out "usage: settlement COMMAND"
for c in config terms close finalize show reconcile; do expect_out "  $c"; done
run 0 help
expect_out "commands:"
run 0 terms --help
expect_out "usage: settlement terms"
expect_out "--issue_price_micros"
expect_out "--mysql_socket"
run 0 help close
expect_out "usage: settlement close"
expect_out "--period"
run 2 nonsense --help
expect_err "unknown command 'nonsense'"

run 0 terms --partner=0 --issue_price_micros=8000 --redeem_value_micros=9500
expect_out "^0,8000,9500,0$"
run 2 terms --partner=0 --issue_price_micros=-5
expect_err "issue_price_micros"
run 2 terms --partner=-1
expect_err "partner"
run 2 terms --redeem_value_micros=100
expect_err "give --partner"
run 0 terms
expect_out "^0,8000,9500,0$"  # the refused calls kept the prices

if ((failures > 0)); then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo ok
