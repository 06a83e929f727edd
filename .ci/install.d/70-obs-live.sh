# The live tests (tests/obs_service.rs, tests/obs_live.rs, tests/live_ffmpeg.rs,
# tests/live_demo.rs) and examples/live/run.sh: OBS's libobs with its headers
# and its own plugins (x264, AAC, RTMP output), Xvfb for a headless X
# display, nginx with the RTMP module as the ingest, ffmpeg as a publisher.
# Sourced by .ci/run (bash, set -euo pipefail, apt_install and log defined).

had_nginx=0
command -v nginx >/dev/null 2>&1 && had_nginx=1
# --no-install-recommends keeps obs-studio from pulling in a desktop. Only
# missing packages are passed on, with the option first: apt_install hands
# every name it cannot find with dpkg to apt-get as it is, so the option
# reaches apt-get.
apt_install_no_recommends() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        apt_install --no-install-recommends "${missing[@]}"
    fi
}
apt_install_no_recommends obs-studio libobs-dev xvfb xauth libnginx-mod-rtmp ffmpeg
# Debian's nginx package starts a system nginx on port 80 where it may;
# the tests run their own, so stop that one (it is not ours to keep).
if [ "$had_nginx" = 0 ] && [ -s /run/nginx.pid ]; then
    nginx -s quit 2>/dev/null || true
fi
log "live tools: $(pkg-config --modversion libobs 2>/dev/null || echo 'libobs ?'), $(ffmpeg -version | head -n 1), $(nginx -v 2>&1)"
