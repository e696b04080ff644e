# Helpers for the t_serve*.sh tests (bash; sourced after lib.sh).

# free_port: a TCP port on 127.0.0.1 nobody listens on now.
free_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 30000))
        if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
            echo $p
            return
        fi
    done
    fail "no free port"
}

# split_tickets CSV N DIR: the tickets of CSV in N files under DIR (header each).
split_tickets() {
    local rows per
    rows=$(($(wc -l < "$1") - 1))
    per=$(((rows + $2 - 1) / $2))
    mkdir -p "$3"
    tail -n +2 "$1" | split -l $per -d -a 4 - "$3/part_"
    for f in "$3"/part_*; do
        { head -1 "$1"; cat "$f"; } > "$f.csv"
        rm "$f"
    done
}

# start_serve NAME PORT ARGS...: serve in the background, its pid in
# $TMP/NAME.pid and its log in $TMP/NAME.log; waits for /healthz (if PORT).
start_serve() {
    local name=$1 port=$2
    shift 2
    local listen=off
    [ "$port" != off ] && listen=127.0.0.1:$port
    $ABGLEICH serve --listen $listen "$@" >>"$TMP/$name.log" 2>&1 &
    echo $! > "$TMP/$name.pid"
    [ "$port" = off ] && return 0
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
        kill -0 "$(cat "$TMP/$name.pid")" 2>/dev/null || { cat "$TMP/$name.log" >&2; fail "$name died"; }
        sleep 0.1
    done
    cat "$TMP/$name.log" >&2
    fail "$name: /healthz never said ok"
}

# stop_serve NAME: SIGTERM, and it must exit 0 within 30 s.
stop_serve() {
    local pid rc=0
    pid=$(cat "$TMP/$1.pid")
    kill -TERM "$pid"
    for _ in $(seq 300); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    wait "$pid" || rc=$?
    assert_eq 0 "$rc" "$1 exits 0 after SIGTERM"
}

# wait_jobs N [SECONDS] [PSQL ARGS]: until N jobs are finished and moved.
wait_jobs() {
    local want=$1 secs=${2:-60} got
    shift 2 || true
    for _ in $(seq $((secs * 10))); do
        got=$(psql -XAtq "$@" -c "SELECT count(*) FROM abgleich.jobs WHERE moved_at IS NOT NULL" 2>/dev/null || echo -1)
        [ "$got" = "$want" ] && return 0
        sleep 0.1
    done
    for n in "$TMP"/*.log; do echo "== $n"; tail -20 "$n"; done >&2
    fail "only $got of $want jobs finished in $secs s"
}

# metric PORT NAME_WITH_LABELS: the value, or empty.
metric() {
    curl -sf "http://127.0.0.1:$1/metrics" | awk -v k="$2" '$1 == k {print $2}'
}
