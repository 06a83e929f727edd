#!/usr/bin/env bash
# libuiza vs libcurl on loopback against nginx; prints a markdown table.
#
#   benches/run.sh            full run (release build of libuiza, then every
#                             case 5 times: 1.5-2 min on 2 busy cores)
#   benches/run.sh --quick    40 calls per case, 2 runs (tests/bench_smoke.rs)
#   benches/run.sh --serve    only start nginx and build the programs, print
#                             where they are, and wait (for perf/callgrind)
#
# Environment:
#   UIZA_LIB_DIR  directory holding libuiza.so to benchmark; default: build
#                 it with `cargo build --release --lib` and use target/release.
#   BENCH_RUNS    how many times each case runs (default 5, --quick 2).
#
# nginx serves the documentation's 200 entity for the PUT over HTTP and over
# HTTPS with a private CA generated here (libuiza trusts it through
# uiza_client_set_ca_file, libcurl through CURLOPT_CAINFO), with TLS pinned
# to 1.3 / AES-128-GCM / X25519. Everything lives in a temp dir that is
# removed on exit, nginx included. docs/benchmark.md describes the method.
set -euo pipefail

# shellcheck source=benches/common.sh
. "$(dirname "$0")/common.sh"
quick=0 serve=0
[ "${1:-}" = "--quick" ] && quick=1
[ "${1:-}" = "--serve" ] && serve=1

missing=()
for tool in nginx openssl cc wrk python3 strip; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
curl_cflags="$(pkg-config --cflags libcurl 2>/dev/null || true)"
if ! echo '#include <curl/curl.h>' | cc $curl_cflags -E -x c - >/dev/null 2>&1; then
    missing+=("libcurl4-openssl-dev (curl/curl.h)")
fi
if ! echo '#include <openssl/ssl.h>' | cc -E -x c - >/dev/null 2>&1; then
    missing+=("libssl-dev (openssl/ssl.h)")
fi
[ "${#missing[@]}" -eq 0 ] || bench_missing run.sh "${missing[@]}"

bench_lib_dir

# `localhost` rows go through the name resolver. Where it also names ::1,
# nginx listens there too, so that neither client meets a refused address.
localhost_v6=0
getent ahosts localhost 2>/dev/null | grep -q '^::1 ' && localhost_v6=1

# --- a private CA and a server certificate for 127.0.0.1 and localhost -----
(
    cd "$tmp"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout ca.key -out ca.pem -days 2 -subj "/CN=uiza bench CA" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >ext.cnf
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
        -days 2 -extfile ext.cnf -out server.pem 2>/dev/null
)
ca="$tmp/ca.pem"

# --- build the C programs ---------------------------------------------------
curl_libs="$(pkg-config --libs libcurl 2>/dev/null || echo -lcurl)"
read -ra uiza_link <<<"$(uiza_link_flags "$UIZA_LIB_DIR")"
# The three builds run side by side; `wait` on each one stops on an error.
# bench links libssl only for the TLS probe (SSL_get_version & co. on the
# SSL* libcurl hands out); the cold children link one library each.
# shellcheck disable=SC2086
cc "${cflags[@]}" $curl_cflags -DBENCH_UIZA -DBENCH_CURL -o "$tmp/bench" \
    "$benches/bench.c" "$benches/measure.c" "$benches/clients.c" "${uiza_link[@]}" $curl_libs -lssl -lcrypto -lpthread &
cc_bench=$!
cc "${cflags[@]}" -DBENCH_UIZA -o "$tmp/cold_uiza" \
    "$benches/cold.c" "$benches/clients.c" "${uiza_link[@]}" -lpthread &
cc_cold_uiza=$!
# shellcheck disable=SC2086
cc "${cflags[@]}" $curl_cflags -DBENCH_CURL -o "$tmp/cold_curl" \
    "$benches/cold.c" "$benches/clients.c" $curl_libs &
cc_cold_curl=$!
wait "$cc_bench"
wait "$cc_cold_uiza"
wait "$cc_cold_curl"

# --- nginx on three free ports -----------------------------------------------
read -r http_port https_port close_port < <(python3 -c '
import socket, sys
v6 = sys.argv[1] == "1"
ports, held = [], []
while len(ports) < 3:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); held.append(s)
    port = s.getsockname()[1]
    if v6:
        t = socket.socket(socket.AF_INET6)
        try:
            t.bind(("::1", port))
        except OSError:
            continue
        held.append(t)
    ports.append(port)
print(*ports)' "$localhost_v6")
listen() { # port [ssl]
    local l="listen 127.0.0.1:$1${2:+ $2};"
    [ "$localhost_v6" = 1 ] && l="$l listen [::1]:$1${2:+ $2};"
    echo "$l"
}
entity="$(tr -d '\n' <"$benches/entity.json" | sed 's/  */ /g')"
case "$entity" in *"'"* | *\\* | *'$'*) echo "entity.json needs nginx escaping" >&2; exit 3 ;; esac
mkdir -p "$tmp/body"
sed -e "s|@DIR@|$tmp|g" -e "s|@LISTEN_HTTP@|$(listen "$http_port")|g" \
    -e "s|@LISTEN_HTTPS@|$(listen "$https_port" ssl)|g" -e "s|@LISTEN_CLOSE@|$(listen "$close_port" ssl)|g" \
    -e "s|@ENTITY_JSON@|$entity|g" "$benches/nginx.conf.template" >"$tmp/nginx.conf"
nginx -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/error.log" &
nginx_pid=$!
bench_stop_on_exit "$nginx_pid"
for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$https_port") 2>/dev/null; then break; fi
    kill -0 "$nginx_pid" 2>/dev/null || { cat "$tmp/error.log" >&2; exit 3; }
    sleep 0.05
done
http="http://127.0.0.1:$http_port"
https="https://127.0.0.1:$https_port"
closing="https://127.0.0.1:$close_port"
http_name="http://localhost:$http_port"
https_name="https://localhost:$https_port"

if [ "$serve" = 1 ]; then
    echo "http=$http https=$https ca=$ca bin=$tmp (bench, cold_uiza, cold_curl); Ctrl-C stops"
    wait "$nginx_pid"
    exit 0
fi

# --- the cases ---------------------------------------------------------------
# This sandbox (and some CI images) export SSL_CERT_FILE and SSL_CERT_DIR;
# rustls-native-certs then reads the bundle *and* every file of the
# directory. Measure what a stock machine does (libcurl does not read them).
unset SSL_CERT_FILE SSL_CERT_DIR
if [ "$quick" = 1 ]; then
    runs="${BENCH_RUNS:-2}"
    calls=40 batch=10 tcalls=10 tbatch=5 cold=2 wrk_secs=1 recalls=10 rebatch=5
else
    runs="${BENCH_RUNS:-5}"
    calls=5000 batch=250 tcalls=5000 tbatch=100 cold=60 wrk_secs=5 recalls=400 rebatch=20
fi
b="$tmp/bench"
echo "$("$b" versions) ($UIZA_LIB_DIR); $(nginx -v 2>&1 | cut -d' ' -f3); $(nproc) CPUs; ECDSA P-256 server cert"

# --- what TLS each client negotiates ------------------------------------------
# nginx logs one line per new TLS connection (nginx.conf.template). Each
# probe opens exactly one, so the line it adds is that client's.
tls_log="$tmp/tls.log"
tls_lines() { wc -l <"$tls_log"; }
seen_by_nginx() { # probe args...; prints the probe's output to $tmp/probe.out
    local before after
    before="$(tls_lines)"
    "$b" probe "$@" >"$tmp/probe.out"
    for _ in $(seq 200); do
        after="$(tls_lines)"
        [ "$after" -gt "$before" ] && break
        sleep 0.01
    done
    if [ "$after" -ne $((before + 1)) ]; then
        echo "benches/run.sh: probe $1 opened $((after - before)) TLS connections, not 1" >&2
        exit 3
    fi
    tail -n 1 "$tls_log" | cut -d' ' -f2-
}
uiza_tls="$(seen_by_nginx uiza "$https" "$ca")"
curl_tls_server="$(seen_by_nginx curl "$https" "$ca")"
curl_tls_client="$(cat "$tmp/probe.out")"
echo "TLS, nginx pinned to: TLSv1.3, TLS_AES_128_GCM_SHA256, X25519 (both clients keep their default offers)"
echo "TLS, libcurl as OpenSSL reports it (SSL_get_version, SSL_get_current_cipher, SSL_get_negotiated_group): $curl_tls_client"
echo "TLS, libcurl as nginx logged it (\$ssl_protocol \$ssl_cipher \$ssl_curve): $curl_tls_server"
echo "TLS, libuiza as nginx logged it (\$ssl_protocol \$ssl_cipher \$ssl_curve): $uiza_tls"
echo "TLS parameters identical for both clients: $([ "$uiza_tls" = "$curl_tls_server" ] && [ "$curl_tls_server" = "$curl_tls_client" ] && echo yes || echo NO)"
echo "localhost resolves to: $(getent ahosts localhost | awk '$2 == "STREAM" {print $1}' | paste -sd' ')"
echo
echo "| case (A vs B) | A median | A p99 | A calls/s | B median | B p99 | B calls/s | ratio A/B: median (min–max) of $runs runs | target | met |"
echo "|---|---|---|---|---|---|---|---|---|---|"
"$b" seq curl "$http" - "$runs" "$calls" "$batch" le:1.0 "warm keep-alive HTTP: uiza client vs curl easy"
"$b" seq curl "$https" "$ca" "$runs" "$calls" "$batch" le:1.0 "warm keep-alive HTTPS: uiza client vs curl easy"
"$b" seq curl "$http_name" - "$runs" "$calls" "$batch" le:1.0 \
    "warm keep-alive HTTP, host name localhost: uiza client vs curl easy"
"$b" seq curl "$https_name" "$ca" "$runs" "$calls" "$batch" le:1.0 \
    "warm keep-alive HTTPS, host name localhost: uiza client vs curl easy"
"$b" seq curl "$closing" "$ca" "$runs" "$recalls" "$rebatch" - \
    "new connection per call HTTPS (server closes each): uiza client vs curl easy (info)"
"$b" cold "$https" "$ca" "$runs" "$cold" "$tmp" all le:0.7 "cold process HTTPS, main→key: uiza vs curl"
"$b" cold "$https_name" "$ca" "$runs" "$cold" "$tmp" main le:0.7 \
    "cold process HTTPS, host name localhost, main→key: uiza vs curl"
"$b" threads "$https" "$ca" "$runs" 8 "$tcalls" "$tbatch" ge:1.0 \
    "8 threads HTTPS: one shared UizaClient vs 8 curl easy + share (ratio = throughput A/B)"
"$b" threads "$http" - "$runs" 8 "$tcalls" "$tbatch" ge:1.0 \
    "8 threads HTTP: one shared UizaClient vs 8 curl easy + share (ratio = throughput A/B)"
UIZA_BASE_URL="$http" "$b" seq oneshot "$http" - "$runs" "$calls" "$batch" le:1.1 \
    "one-shot uiza_reset_stream_key vs uiza client call, HTTP"
# The one-shot client cannot take a CA file; rustls-native-certs reads
# SSL_CERT_FILE instead of the system store, so both sides trust the private CA.
SSL_CERT_FILE="$ca" UIZA_BASE_URL="$https" "$b" seq oneshot "$https" - "$runs" "$calls" "$batch" le:1.1 \
    "one-shot vs client call, HTTPS (SSL_CERT_FILE = private CA)"
"$b" seq async "$http" - "$runs" "$calls" "$batch" le:1.10 \
    "async rotation vs blocking rotation, warm HTTP: rotate_stream_key_async + wait for the callback vs rotate_stream_key"
"$b" seq async "$https" "$ca" "$runs" "$calls" "$batch" le:1.10 \
    "async rotation vs blocking rotation, warm HTTPS: rotate_stream_key_async + wait for the callback vs rotate_stream_key"
"$b" seq rotate "$http" - "$runs" "$calls" "$batch" le:1.05 \
    "rotate (current_key given) vs reset, warm HTTP: rotate_stream_key vs reset_stream_key"
"$b" seq rotate "$https" "$ca" "$runs" "$calls" "$batch" le:1.05 \
    "rotate (current_key given) vs reset, warm HTTPS: rotate_stream_key vs reset_stream_key"

# --- the floor: wrk with one connection ---------------------------------------
# One run each: the floor is context, not a comparison. --quick runs the
# two at once to save a second (its figures are not looked at).
wrk_run() { wrk -c1 -t1 -d"${wrk_secs}s" --latency -s "$benches/wrk_put.lua" "$1" >"$2"; }
wrk_row() {
    local p50 p99 rps
    p50="$(awk '$1 == "50%" {print $2}' "$1")"
    p99="$(awk '$1 == "99%" {print $2}' "$1")"
    rps="$(awk '$1 == "Requests/sec:" {printf "%.0f", $2}' "$1")"
    echo "| floor: wrk -c1 -t1, $2 | $p50 | $p99 | $rps | - | - | - | - | - | - |"
}
if [ "$quick" = 1 ]; then
    wrk_run "$http" "$tmp/wrk_http" &
    wrk_http=$!
    wrk_run "$https" "$tmp/wrk_https"
    wait "$wrk_http"
else
    wrk_run "$http" "$tmp/wrk_http"
    wrk_run "$https" "$tmp/wrk_https"
fi
wrk_row "$tmp/wrk_http" HTTP
wrk_row "$tmp/wrk_https" HTTPS

# --- size ---------------------------------------------------------------------
cp "$UIZA_LIB_DIR/libuiza.so" "$tmp/libuiza.stripped.so"
strip "$tmp/libuiza.stripped.so"
echo
echo "met: every run meets the target; met in the median: the median of the runs does, not every run;"
echo "decided on the unrounded ratios (a 0.70 shown may be 0.704)."
echo "stripped libuiza.so: $(stat -c %s "$tmp/libuiza.stripped.so") bytes (unstripped $(stat -c %s "$UIZA_LIB_DIR/libuiza.so"))"
# Every TLS connection of the run, both clients and wrk: the pinning held
# for all of them, not only for the probes.
echo "TLS, every connection nginx accepted in this run: $(cut -d' ' -f2- "$tls_log" | sort | uniq -c |
    awk '{n = $1; $1 = ""; printf "%s%d ×%s", (NR > 1 ? "; " : ""), n, $0}')"
echo "bench table done"
