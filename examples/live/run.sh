#!/usr/bin/env bash
# Rotate a stream key while broadcasting, on this machine:
#
#   examples/live/run.sh [--watch SECONDS] [--policy grandfather|kick]
#
# 1. builds libuiza, the sandbox and a small C tool that rotates the key
#    (tests/c/live_rotate.c, uiza_client_rotate_stream_key);
# 2. starts the sandbox (a local Uiza API) as the ingest authority, and a
#    private nginx-rtmp whose on_publish/on_update callbacks ask it;
# 3. publishes a test pattern with ffmpeg, using the entity's ingest URL
#    and key;
# 4. rotates the key with the C tool while the stream runs, then shows,
#    line by line, that the session keeps running (its bytes keep rising),
#    that the old key is refused and that the new key is accepted.
#
# Needs cargo, a C compiler, nginx with libnginx-mod-rtmp, and ffmpeg.
# Everything listens on 127.0.0.1; everything started here is stopped on
# exit. With --policy kick the ingest drops the old session after the
# rotation instead (a platform's choice; Uiza keeps it).
set -euo pipefail
cd "$(dirname "$0")/../.."

WATCH=8
POLICY=grandfather
while [ $# -gt 0 ]; do
    case "$1" in
        --watch) WATCH=$2; shift 2 ;;
        --policy) POLICY=$2; shift 2 ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
case "$WATCH" in ''|*[!0-9]*) echo "run.sh: --watch takes whole seconds" >&2; exit 2 ;; esac

RTMP_MODULE=/usr/lib/nginx/modules/ngx_rtmp_module.so
ENTITY=22013d8a-d5fa-48f0-9a63-1f471ca9e81d           # the sandbox's seed entity
API_KEY=uap-sandbox-0123456789abcdef0123456789abcdef-00000000
CC=${CC:-cc}
need() { command -v "$1" >/dev/null 2>&1 || { echo "run.sh: $1 not found (Debian package $2)" >&2; exit 2; }; }
need cargo cargo
need "$CC" gcc
need nginx nginx
need ffmpeg ffmpeg
[ -e "$RTMP_MODULE" ] || { echo "run.sh: $RTMP_MODULE not found (Debian package libnginx-mod-rtmp)" >&2; exit 2; }

TARGET=${CARGO_TARGET_DIR:-target}
WORK="$TARGET/live-demo/$$"
rm -rf "$WORK"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

pids=()
cleanup() {
    local status=$? pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    # Logs are kept when something went wrong.
    [ "$status" != 0 ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*"; }
fail() { say "FAILED: $*"; say "logs: $WORK"; exit 1; }

# ---- build
say "== building libuiza, the sandbox and the rotate tool"
cargo build --quiet --lib
cargo build --quiet -p uiza-sandbox --bin uiza-sandbox
LIBDIR=$(cd "$TARGET/debug" && pwd)
"$CC" -std=c11 -Wall -Wextra -Werror -Iinclude tests/c/live_rotate.c -o "$WORK/live_rotate" \
    -L"$LIBDIR" -luiza -Wl,--disable-new-dtags,-rpath,"$LIBDIR"

SECONDS=0 # the live part starts here

# ---- plain HTTP over bash's /dev/tcp: body of GET http://127.0.0.1:PORT/PATH
http_get() {
    local body
    exec 3<>"/dev/tcp/127.0.0.1/$1"
    printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
    body=$(cat <&3)
    exec 3<&-
    printf '%s' "${body#*$'\r\n\r\n'}"
}
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
random_port() { echo $((20000 + RANDOM % 40000)); }

# ---- sandbox and nginx-rtmp
start_ingest() {
    RTMP_PORT=$(random_port)
    STAT_PORT=$(random_port)
    if listening "$RTMP_PORT" || listening "$STAT_PORT" || [ "$RTMP_PORT" = "$STAT_PORT" ]; then
        return 1
    fi
    "$TARGET/debug/uiza-sandbox" --listen 127.0.0.1:0 \
        --ingest-url "rtmp://127.0.0.1:$RTMP_PORT/live" --ingest-policy "$POLICY" \
        >"$WORK/sandbox.out" 2>"$WORK/sandbox.log" &
    SANDBOX_PID=$!
    pids+=("$SANDBOX_PID")
    local i
    for i in $(seq 100); do
        [ -s "$WORK/sandbox.out" ] && break
        sleep 0.05
    done
    SANDBOX_URL=$(head -n 1 "$WORK/sandbox.out")
    SANDBOX_PORT=${SANDBOX_URL##*:}
    cat >"$WORK/nginx.conf" <<CONF
load_module $RTMP_MODULE;
worker_processes 1;
daemon off;
master_process off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log info;
events { worker_connections 64; }
rtmp {
    server {
        listen 127.0.0.1:$RTMP_PORT;
        application live {
            live on;
            on_publish http://127.0.0.1:$SANDBOX_PORT/__ingest/on_publish;
            on_update http://127.0.0.1:$SANDBOX_PORT/__ingest/on_update;
            notify_update_timeout 1s;
            on_publish_done http://127.0.0.1:$SANDBOX_PORT/__ingest/on_publish_done;
        }
    }
}
http {
    access_log off;
    client_body_temp_path $WORK/body;
    proxy_temp_path $WORK/proxy;
    fastcgi_temp_path $WORK/fastcgi;
    uwsgi_temp_path $WORK/uwsgi;
    scgi_temp_path $WORK/scgi;
    server {
        listen 127.0.0.1:$STAT_PORT;
        location /stat { rtmp_stat all; }
    }
}
CONF
    nginx -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/nginx-error.log" 2>/dev/null &
    NGINX_PID=$!
    pids+=("$NGINX_PID")
    for i in $(seq 100); do
        if listening "$RTMP_PORT" && listening "$STAT_PORT"; then
            return 0
        fi
        kill -0 "$NGINX_PID" 2>/dev/null || break
        sleep 0.05
    done
    kill "$NGINX_PID" "$SANDBOX_PID" 2>/dev/null || true
    wait "$NGINX_PID" "$SANDBOX_PID" 2>/dev/null || true
    return 1
}
started=0
for attempt in 1 2 3 4 5; do
    if start_ingest; then started=1; break; fi
done
[ "$started" = 1 ] || fail "nginx-rtmp did not start"

entity() { http_get "$SANDBOX_PORT" "/__admin/entities/$ENTITY"; }
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }
# bytes_in of the live stream named $1 (empty when it is not publishing)
bytes_in() {
    http_get "$STAT_PORT" /stat | tr -d '\n' | grep -o "<name>$1</name>.*" |
        grep -o '<bytes_in>[0-9]*' | head -n 1 | tr -dc 0-9 || true
}
# whether the sandbox answered an on_publish of key $1 with allowed=$2
publish_seen() {
    http_get "$SANDBOX_PORT" /__admin/ingest_log |
        grep -q "\"call\":\"publish\",\"name\":\"$1\",[^}]*\"allowed\":$2"
}
publish() { # key seconds log; always bounded: -t and an outer timeout
    timeout $(($2 + 20)) ffmpeg -nostdin -hide_banner -loglevel warning -re \
        -f lavfi -i testsrc=size=320x240:rate=15 -f lavfi -i sine=frequency=1000:sample_rate=44100 \
        -t "$2" -c:v libx264 -preset ultrafast -tune zerolatency -g 30 -pix_fmt yuv420p \
        -c:a aac -b:a 64k -f flv "$URL/$1" 2>"$3"
}
wait_flowing() { # key
    local i b
    for i in $(seq 100); do
        b=$(bytes_in "$1")
        [ -n "$b" ] && [ "$b" -gt 0 ] && return 0
        sleep 0.1
    done
    return 1
}

KEY=$(entity | sed -n 's/.*"ingest":{[^}]*"key":"\([^"]*\)".*/\1/p')
URL=$(entity | sed -n 's/.*"ingest":{[^}]*"url":"\([^"]*\)".*/\1/p')
say "== sandbox $SANDBOX_URL is the ingest authority ($POLICY policy); the entity's ingest URL is $URL"

# ---- broadcast
say "== publishing a test pattern with the entity's key $KEY"
publish "$KEY" $((WATCH + 25)) "$WORK/ffmpeg-session.log" &
SESSION_PID=$!
pids+=("$SESSION_PID")
wait_flowing "$KEY" || fail "the stream did not start (see $WORK/ffmpeg-session.log)"
say "broadcasting: bytes_in $(bytes_in "$KEY"), entity status $(entity | field status)"

# ---- rotate while live
say "== rotating the key with the C tool while the stream runs"
ROTATED=$(UIZA_API_KEY=$API_KEY UIZA_BASE_URL=$SANDBOX_URL "$WORK/live_rotate" "$ENTITY" "$KEY") ||
    fail "the rotation failed"
NEW_KEY=$(printf '%s\n' "$ROTATED" | sed -n 's/^ingest key: *//p')
say "rotated: $KEY -> $NEW_KEY"

# ---- the session keeps running
last=$(bytes_in "$KEY")
for i in $(seq "$WATCH"); do
    sleep 1
    now=$(bytes_in "$KEY")
    if [ -z "$now" ]; then
        say "session dropped after the rotation (the $POLICY policy)"
        break
    fi
    [ "$now" -gt "$last" ] || fail "bytes_in stopped rising: $last then $now"
    say "session still running: bytes_in $now (+$((now - last)) in 1 s), entity status $(entity | field status)"
    last=$now
done

# ---- the old key is refused
old_rc=0
publish "$KEY" 5 "$WORK/ffmpeg-old-key.log" || old_rc=$?
if [ "$old_rc" != 0 ] && publish_seen "$KEY" false; then
    say "old key refused: a new publish with $KEY was rejected by on_publish (ffmpeg exit $old_rc)"
else
    fail "a new publish with the old key was not refused (ffmpeg exit $old_rc)"
fi

# ---- the new key is accepted
publish "$NEW_KEY" 3 "$WORK/ffmpeg-new-key.log" &
NEW_PID=$!
pids+=("$NEW_PID")
wait_flowing "$NEW_KEY" || fail "the new key's publish did not flow (see $WORK/ffmpeg-new-key.log)"
publish_seen "$NEW_KEY" true || fail "on_publish did not accept the new key"
say "new key accepted: publishing with $NEW_KEY, bytes_in $(bytes_in "$NEW_KEY")"
wait "$NEW_PID" || fail "the new key's publisher failed (see $WORK/ffmpeg-new-key.log)"

if kill -0 "$SESSION_PID" 2>/dev/null; then
    say "the first session is still running: bytes_in $(bytes_in "$KEY")"
fi
say "== done in ${SECONDS} s; stopping the sandbox, nginx and ffmpeg"
