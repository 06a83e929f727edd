# Tools for the reliability tests (tests/sanitizers.rs): valgrind, and the
# AddressSanitizer/UndefinedBehaviorSanitizer runtimes that gcc links with
# -fsanitize=address,undefined (on Debian they come with libgcc-N-dev).
apt_install valgrind
if ! printf 'int main(void) { return 0; }\n' |
    cc -x c -fsanitize=address,undefined -o /tmp/uiza-sanitizer-probe - >/dev/null 2>&1; then
    apt_install "libgcc-$(cc -dumpversion | cut -d. -f1)-dev"
fi
rm -f /tmp/uiza-sanitizer-probe
