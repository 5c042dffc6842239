/* A stand-in bcryptprimitives.dll for Wine releases that have none (Wine
 * before 9.0). Rust's std (1.78 and later) imports ProcessPrng from it on
 * Windows; without it every Rust .exe fails to start. ProcessPrng fills the
 * buffer with random bytes, here through RtlGenRandom (advapi32). Built by
 * .ci/wine.sh with MinGW into the Wine prefix's system32. */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!RtlGenRandom(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
