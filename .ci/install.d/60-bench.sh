# benches/run.sh and tests/bench_smoke.rs: nginx is the server, libcurl
# (OpenSSL flavour, with headers) the client libuiza is measured against,
# wrk the floor, openssl makes the private CA.
had_nginx=0
command -v nginx >/dev/null 2>&1 && had_nginx=1
apt_install nginx libcurl4-openssl-dev wrk openssl
# Debian's package starts a system nginx on port 80 where it may; the
# benchmark runs its own, so stop that one (it is not ours to keep).
if [ "$had_nginx" = 0 ] && [ -s /run/nginx.pid ]; then
    nginx -s quit 2>/dev/null || true
fi
