/*
 * bcryptprimitives.dll for wine 8, used by tests/windows.rs only.
 *
 * Rust's standard library (1.78 and later) takes its random bytes (the
 * HashMap seeds) from ProcessPrng in bcryptprimitives.dll, which Windows 10
 * and later have and wine 8 does not: without this shim, uiza.dll does not
 * load under wine 8. The tests put this DLL next to the test programs,
 * where the loader looks first. It is never shipped: real Windows has the
 * real one.
 *
 * ProcessPrng fills the buffer from the system RNG and always returns
 * TRUE, as documented; BCryptGenRandom is the same RNG (wine implements
 * it), taken in ULONG-sized pieces.
 */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
            return FALSE;
        }
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
