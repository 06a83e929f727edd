#!/usr/bin/env bash
# Cross-builds libuiza for 64-bit Windows (x86_64-pc-windows-gnu, with
# mingw-w64) on Linux and lays it out like a Windows SDK drop:
#
#   <out>/bin/uiza.dll          the DLL (exports exactly the uiza_* functions)
#   <out>/lib/libuiza.dll.a     its import library (mingw, clang)
#   <out>/lib/uiza.def          its exports, for `lib.exe /def:uiza.def` (MSVC)
#   <out>/lib/libuiza.a         the static library (mingw)
#   <out>/lib/native-static-libs.txt  what linking libuiza.a also needs
#   <out>/include/uiza.h, uiza.hpp
#
# plus <out>.zip when `zip` is installed (--no-zip skips it).
#
# usage: scripts/windows-sdk.sh [--debug] [--out DIR] [--target-dir DIR] [--no-zip]
#
#   --debug           the dev profile (faster to build; the tests use it)
#   --out DIR         the folder to fill (emptied first); default
#                     <target-dir>/windows-sdk/uiza-<version>-x86_64-pc-windows-gnu
#   --target-dir DIR  cargo's target directory (default: cargo's own)
#
# Needs: rustup target add x86_64-pc-windows-gnu; Debian's
# gcc-mingw-w64-x86-64 (x86_64-w64-mingw32-gcc links, and builds ring's C
# and assembly). See docs/windows.md.
set -euo pipefail

TARGET=x86_64-pc-windows-gnu
root="$(cd "$(dirname "$0")/.." && pwd)"
cargo="${CARGO:-cargo}"

profile=release
out=""
target_dir=""
zip=1
while [ $# -gt 0 ]; do
    case "$1" in
        --debug) profile=debug ;;
        --out) out="$2"; shift ;;
        --target-dir) target_dir="$2"; shift ;;
        --no-zip) zip=0 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "windows-sdk.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

for tool in x86_64-w64-mingw32-gcc x86_64-w64-mingw32-objdump; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "windows-sdk.sh: $tool not found: apt-get install gcc-mingw-w64-x86-64" >&2
        exit 1
    fi
done

if [ -z "$target_dir" ]; then
    target_dir="$("$cargo" metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
fi
mkdir -p "$target_dir"
target_dir="$(cd "$target_dir" && pwd)"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)"
[ -n "$out" ] || out="$target_dir/windows-sdk/uiza-$version-$TARGET"

profile_flag=()
[ "$profile" = release ] && profile_flag=(--release)
built="$target_dir/$TARGET/$profile"
log="$target_dir/$TARGET-$profile-rustc.log"

# One rustc run makes all three library kinds (Cargo.toml's crate-type);
# rustc prints what linking the static library needs (cargo replays the
# note when nothing had to be rebuilt).
"$cargo" rustc --lib --package uiza --manifest-path "$root/Cargo.toml" \
    --target "$TARGET" --target-dir "$target_dir" "${profile_flag[@]}" \
    -- --print native-static-libs 2>&1 | tee "$log"

for f in uiza.dll libuiza.dll.a libuiza.a; do
    [ -s "$built/$f" ] || { echo "windows-sdk.sh: $built/$f was not built" >&2; exit 1; }
done

rm -rf "$out"
mkdir -p "$out/bin" "$out/lib" "$out/include"
cp "$built/uiza.dll" "$out/bin/"
cp "$built/libuiza.dll.a" "$built/libuiza.a" "$out/lib/"
# The .def lists the DLL's export table as built (objdump reads it), so
# that an import library made from it (lib.exe /def:uiza.def, dlltool)
# matches the DLL exactly.
{
    echo "LIBRARY uiza.dll"
    echo "EXPORTS"
    x86_64-w64-mingw32-objdump -p "$built/uiza.dll" |
        awk '/^\[Ordinal\/Name Pointer\] Table/ { on = 1; next }
             on && /^\t\[ *[0-9]+\] / { print "    " $NF; next }
             { on = 0 }'
} >"$out/lib/uiza.def"
grep -q '^    uiza_' "$out/lib/uiza.def" || {
    echo "windows-sdk.sh: no exports found in $built/uiza.dll" >&2
    exit 1
}
sed -n 's/.*native-static-libs: //p' "$log" | tail -n 1 >"$out/lib/native-static-libs.txt"
[ -s "$out/lib/native-static-libs.txt" ] || {
    echo "windows-sdk.sh: rustc printed no native-static-libs line" >&2
    exit 1
}
cp "$root/include/uiza.h" "$root/include/uiza.hpp" "$out/include/"

if [ "$zip" = 1 ] && command -v zip >/dev/null 2>&1; then
    rm -f "$out.zip"
    (cd "$(dirname "$out")" && zip -qr "$out.zip" "$(basename "$out")")
    echo "windows-sdk.sh: $out.zip"
fi
echo "windows-sdk.sh: $out"
