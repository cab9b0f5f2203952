#!/usr/bin/env bash
# HTTP: a service page under load. Reproduces the whole comparison in one run:
#
#   ws-default    `wasmtime serve` (default pooling) + a bare wasi:http hello
#   ws-resident   the same with the pooling allocator's keep-resident options
#   off-page      Officine, GET / of the weight tracker (its page) with a session
#   off-404       Officine, GET /nope of the weight tracker (its 404 page: no
#                 platform call from the component)
#
# each at 1, 16 and 64 connections, 10 s, 3 repeats (interleaved: repeat r of
# every target and connection count runs before repeat r+1), medians.
#
# Usage: bench/http/run.sh            (from anywhere; needs wrk, curl, python3
#                                      and wasmtime 48.0.8 on PATH or in ~/.cargo/bin)
# Environment: DURATION (default 10s), REPEATS (3), CONNS ("1 16 64"),
#              SKIP_BUILD=1 to reuse built binaries, PROFILE=1 to also record a
#              perf profile of Officine at 16 connections (needs perf),
#              DATABASE=postgres to run Officine on a throwaway PostgreSQL
#              cluster started here (needs PostgreSQL's server binaries)
#              instead of its SQLite file; with it, NODES=2 adds a second
#              Officine process on the same database and data directory and
#              the targets off-page-2n and off-404-2n, the load split evenly
#              across both (one wrk per node, run at once).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DURATION="${DURATION:-10s}"
REPEATS="${REPEATS:-3}"
CONNS="${CONNS:-1 16 64}"
OFF_PORT=8080          # `officine dev`'s default; the dev issuer's URL depends on it
OFF2_PORT=8081         # the second Officine node, with NODES=2
WS_PORT=8091           # wasmtime serve, default pooling
WSR_PORT=8092          # wasmtime serve, keep-resident options
PG_PORT=8093           # PostgreSQL, with DATABASE=postgres
SERVICE=fr.officine.weight-tracker
SITE="weight-tracker.svc.localhost:$OFF_PORT"
WORK="$(mktemp -d /tmp/officine-bench-http.XXXXXX)"
RESULTS="$WORK/results.txt"
PIDS=()

export PATH="$PATH:$HOME/.cargo/bin"

stop_all() {
    if [ -n "${PG_BIN:-}" ] && [ -f "$WORK/pg/postmaster.pid" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast -w stop >/dev/null 2>&1 || true
    fi
    for pid in "${PIDS[@]:-}"; do
        [ -n "$pid" ] || continue
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    PIDS=()
}
trap stop_all EXIT

# PostgreSQL refuses to run as root: as root, its commands run as `postgres`.
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

wait_port() { # port seconds
    local i
    for i in $(seq $(( $2 * 10 ))); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on 127.0.0.1:$1 after $2 s" >&2
    return 1
}

NODES="${NODES:-1}"
case "$NODES" in
    1) ;;
    2) [ "${DATABASE:-sqlite}" = postgres ] || { echo "NODES=2 needs DATABASE=postgres" >&2; exit 1; } ;;
    *) echo "NODES must be 1 or 2, not $NODES" >&2; exit 1 ;;
esac

for tool in wrk curl python3 wasmtime; do
    command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done
wasmtime --version | grep -q '^wasmtime 48\.0\.8' || {
    echo "need wasmtime 48.0.8 (cargo install wasmtime-cli --version 48.0.8 --locked)" >&2
    exit 1
}

# ---- build -------------------------------------------------------------------
if [ -z "${SKIP_BUILD:-}" ]; then
    (cd "$ROOT" && cargo build --release -p officine-host)
    (cd "$HERE/hello" && cargo build --release --target wasm32-wasip2)
fi
OFFICINE="$ROOT/target/release/officine"
HELLO="$HERE/hello/target/wasm32-wasip2/release/bench_http_hello.wasm"

# ---- start the servers -------------------------------------------------------
# Default pooling (wasmtime serve turns the pooling allocator on by itself).
wasmtime serve -S cli=y --addr "127.0.0.1:$WS_PORT" "$HELLO" \
    >"$WORK/ws-default.log" 2>&1 &
PIDS+=($!)
# The keep-resident options (STACK.md, "Anchors' figures").
wasmtime serve -S cli=y --addr "127.0.0.1:$WSR_PORT" \
    -O pooling-allocator=y,pooling-memory-keep-resident=4194304,pooling-table-keep-resident=65536,pooling-async-stack-keep-resident=2097152 \
    "$HELLO" >"$WORK/ws-resident.log" 2>&1 &
PIDS+=($!)
# PostgreSQL, if asked for: a cluster of its own, on loopback, stopped on exit.
DB_ARGS=()
if [ "${DATABASE:-sqlite}" = postgres ]; then
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
    [ -x "$PG_BIN/initdb" ] || { echo "DATABASE=postgres needs PostgreSQL (apt-get install postgresql)" >&2; exit 1; }
    mkdir -p "$WORK/pg"
    [ "$(id -u)" = 0 ] && chown postgres: "$WORK" "$WORK/pg"
    as_pg "$PG_BIN/initdb" -D "$WORK/pg" --auth=trust --username=officine --no-locale -E UTF8 >/dev/null
    as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -w -l "$WORK/pg/server.log" \
        -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1" start >/dev/null
    "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U officine -d postgres -c "CREATE DATABASE officine"
    DB_ARGS=(--database "postgres://officine@127.0.0.1:$PG_PORT/officine")
fi
# Officine, development mode, on a fresh data directory.
DATA="$WORK/data"
(cd "$ROOT" && exec "$OFFICINE" dev --listen "127.0.0.1:$OFF_PORT" --data "$DATA" "${DB_ARGS[@]}") \
    >"$WORK/officine.log" 2>&1 &
OFF_PID=$!
PIDS+=($OFF_PID)
wait_port "$WS_PORT" 60
wait_port "$WSR_PORT" 60
wait_port "$OFF_PORT" 600   # the first start builds the example services
# The second node: same database, same data directory (its keys, its
# compiled components), started once the first has prepared both.
if [ "$NODES" = 2 ]; then
    (cd "$ROOT" && exec "$OFFICINE" dev --listen "127.0.0.1:$OFF2_PORT" --data "$DATA" "${DB_ARGS[@]}") \
        >"$WORK/officine-2.log" 2>&1 &
    PIDS+=($!)
    wait_port "$OFF2_PORT" 120
fi

# ---- open a session through the real handshake -------------------------------
open_session() {
    local token location code cookie
    token="$(cd "$ROOT" && "$OFFICINE" dev token --patient demo --data "$DATA" \
        --listen "127.0.0.1:$OFF_PORT")"
    # The store: a bearer token on the platform's host → 303 to the service's site.
    location="$(curl -sS -o /dev/null -w '%{http_code} %header{location}' \
        -H "Authorization: Bearer $token" \
        "http://127.0.0.1:$OFF_PORT/s/$SERVICE?path=/")"
    [ "${location%% *}" = 303 ] || { echo "store answered $location" >&2; return 1; }
    location="${location#* }"
    case "$location" in
        "http://$SITE/.officine/session?code="*) ;;
        *) echo "unexpected redirect: $location" >&2; return 1 ;;
    esac
    # The service's site: the code for a cookie (no token travels there).
    cookie="$(curl -sS -o /dev/null -D - -H "Host: $SITE" \
        "http://127.0.0.1:$OFF_PORT${location#http://$SITE}" \
        | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(officine-service-session=[^;]*\).*/\1/p')"
    [ -n "$cookie" ] || { echo "no session cookie" >&2; return 1; }
    echo "$cookie"
}

check() { # label url host cookie expected-status expected-text
    local status body
    body="$WORK/check-$1.html"
    status="$(curl -sS -o "$body" -w '%{http_code}' -H "Host: $3" ${4:+-H "Cookie: $4"} "$2")"
    [ "$status" = "$5" ] || { echo "$1: status $status, expected $5" >&2; exit 1; }
    grep -q "$6" "$body" || { echo "$1: the body lacks \"$6\"" >&2; head -c 400 "$body" >&2; exit 1; }
    echo "checked $1: $status, $(wc -c <"$body") bytes"
}

COOKIE="$(open_session)"
check ws-default  "http://127.0.0.1:$WS_PORT/"  "127.0.0.1:$WS_PORT"  "" 200 "Hello from a bare wasi:http"
check ws-resident "http://127.0.0.1:$WSR_PORT/" "127.0.0.1:$WSR_PORT" "" 200 "Hello from a bare wasi:http"
check off-page    "http://127.0.0.1:$OFF_PORT/"     "$SITE" "$COOKIE" 200 "id=\"now-title\""
check off-404     "http://127.0.0.1:$OFF_PORT/nope" "$SITE" "$COOKIE" 404 "Cette page n"
if [ "$NODES" = 2 ]; then
    # The session opened on the first node is in the shared database.
    check off-page-node2 "http://127.0.0.1:$OFF2_PORT/" "$SITE" "$COOKIE" 200 "id=\"now-title\""
fi

# ---- load --------------------------------------------------------------------
run_wrk() { # target conns repeat url host cookie
    local threads=2
    [ "$2" -lt 2 ] && threads=1
    local line
    line="$(wrk -t"$threads" -c"$2" -d"$DURATION" -s "$HERE/report.lua" \
        -H "Host: $5" ${6:+-H "Cookie: $6"} "$4" | grep '^RESULT')"
    echo "$1 $2 $3 $line" | tee -a "$RESULTS"
}

# Both nodes at once, half the connections each (one wrk thread per node):
# requests add up; p50 and p99 are the worse node's.
run_wrk_2n() { # target conns repeat path cookie
    local half=$(( $2 / 2 )) a b first
    a="$(mktemp "$WORK/2n.XXXXXX")"
    b="$(mktemp "$WORK/2n.XXXXXX")"
    wrk -t1 -c"$half" -d"$DURATION" -s "$HERE/report.lua" -H "Host: $SITE" -H "Cookie: $5" \
        "http://127.0.0.1:$OFF_PORT$4" | grep '^RESULT' >"$a" &
    first=$!
    wrk -t1 -c"$half" -d"$DURATION" -s "$HERE/report.lua" -H "Host: $SITE" -H "Cookie: $5" \
        "http://127.0.0.1:$OFF2_PORT$4" | grep '^RESULT' >"$b"
    wait "$first"
    echo "$1 $2 $3 $(python3 "$HERE/combine.py" "$a" "$b")" | tee -a "$RESULTS"
}

target_url() {
    case "$1" in
        ws-default)  echo "http://127.0.0.1:$WS_PORT/ 127.0.0.1:$WS_PORT" ;;
        ws-resident) echo "http://127.0.0.1:$WSR_PORT/ 127.0.0.1:$WSR_PORT" ;;
        off-page)    echo "http://127.0.0.1:$OFF_PORT/ $SITE" ;;
        off-404)     echo "http://127.0.0.1:$OFF_PORT/nope $SITE" ;;
    esac
}

TARGETS="ws-default ws-resident off-page off-404"
[ "$NODES" = 2 ] && TARGETS="$TARGETS off-page-2n off-404-2n"
# Warm-up, not recorded.
for t in ws-default ws-resident off-page off-404; do
    set -- $(target_url "$t")
    wrk -t2 -c16 -d2s -H "Host: $2" -H "Cookie: $COOKIE" "$1" >/dev/null
done
if [ "$NODES" = 2 ]; then
    wrk -t2 -c16 -d2s -H "Host: $SITE" -H "Cookie: $COOKIE" "http://127.0.0.1:$OFF2_PORT/" >/dev/null
fi
for r in $(seq "$REPEATS"); do
    COOKIE="$(open_session)"   # sessions last 15 min: a fresh one per repeat
    for c in $CONNS; do
        for t in $TARGETS; do
            case "$t" in
                off-page-2n) [ "$c" -ge 2 ] && run_wrk_2n "$t" "$c" "$r" / "$COOKIE"; continue ;;
                off-404-2n)  [ "$c" -ge 2 ] && run_wrk_2n "$t" "$c" "$r" /nope "$COOKIE"; continue ;;
            esac
            set -- $(target_url "$t")
            if [ "${t#off}" != "$t" ]; then
                run_wrk "$t" "$c" "$r" "$1" "$2" "$COOKIE"
            else
                run_wrk "$t" "$c" "$r" "$1" "$2" ""
            fi
        done
    done
done

# ---- optional profile ----------------------------------------------------------
if [ -n "${PROFILE:-}" ]; then
    COOKIE="$(open_session)"
    perf record -F 999 -e cpu-clock --call-graph dwarf,16384 -p "$OFF_PID" \
        -o "$WORK/perf.data" -- sleep 8 >"$WORK/perf.log" 2>&1 &
    PERF_PID=$!
    sleep 0.5
    wrk -t2 -c16 -d8s -H "Host: $SITE" -H "Cookie: $COOKIE" "http://127.0.0.1:$OFF_PORT/" >/dev/null
    wait "$PERF_PID" || true
    echo "profile: $WORK/perf.data (perf report -i $WORK/perf.data --children --no-demangle)"
fi

stop_all
trap - EXIT

# ---- table -------------------------------------------------------------------
python3 - "$RESULTS" <<'EOF'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    target, conns, _rep, _tag, *fields = line.split()
    f = dict(x.split("=") for x in fields)
    rows.setdefault((target, int(conns)), []).append(f)
med = lambda xs: statistics.median(xs)
table = {}
print(f"{'target':<12} {'conns':>5} {'req/s':>9} {'p50':>10} {'p99':>10}  non-2xx/3xx (all of off-404's, expected), socket errors")
for (target, conns), runs in rows.items():
    rps = med([int(r["requests"]) / float(r["seconds"]) for r in runs])
    p50 = med([int(r["p50_us"]) for r in runs])
    p99 = med([int(r["p99_us"]) for r in runs])
    errs = sum(int(r["non2xx3xx"]) for r in runs), sum(int(r["socket_errors"]) for r in runs)
    table[(target, conns)] = (rps, p50, p99)
    fmt = lambda us: f"{us/1000:.2f} ms" if us >= 1000 else f"{us:.0f} µs"
    print(f"{target:<12} {conns:>5} {rps:>9.0f} {fmt(p50):>10} {fmt(p99):>10}  {errs[0]}, {errs[1]}")
def ratio(a, b, i):
    if a in table and b in table:
        return table[a][i] / table[b][i]
print()
for t in ("off-page", "off-404", "off-page-2n", "off-404-2n"):
    r = ratio((t, 64), ("ws-default", 64), 0)
    if r: print(f"{t}/ws-default req/s at 64 connections: {r:.2f}x (goal ≥ 1.5x)")
    r = ratio((t, 64), ("ws-resident", 64), 0)
    if r: print(f"{t}/ws-resident req/s at 64 connections: {r:.2f}x")
for t in ("off-page", "off-404", "ws-resident"):
    if (t, 16) in table and ("ws-default", 16) in table:
        print(f"p99 at 16 connections: {t} {table[(t,16)][2]/1000:.2f} ms vs ws-default "
              f"{table[('ws-default',16)][2]/1000:.2f} ms (goal: below)")
EOF
echo "raw results: $RESULTS"
