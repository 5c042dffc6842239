/* A stand-in for a live OpenClaw gateway under Wine: a real Windows process
 * for sessfix to find alive. Copied to node.exe and started as
 *     node.exe C:\...\openclaw\openclaw.mjs gateway run --port 18789
 * so its command line is shaped like a gateway's. Its other inputs come from
 * the environment (which Wine passes through):
 *   HOLDER_PIDFILE  written with GetCurrentProcessId() once ready (required)
 *   HOLDER_STOPFILE the process exits when this file appears (required)
 *   HOLDER_OPEN     a file to hold open while running (optional)
 *   HOLDER_SHARE    how it is shared: "normal" (read, write and delete),
 *                   "nodelete" (read and write, no FILE_SHARE_DELETE) or
 *                   "exclusive" (no sharing); default "normal"
 * Exits 2 on a missing variable, 3 when the file cannot be opened. */
#include <windows.h>
#include <stdio.h>
#include <string.h>

static const char *need(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        fprintf(stderr, "holder: %s is not set\n", name);
        exit(2);
    }
    return v;
}

int main(void)
{
    const char *pidfile = need("HOLDER_PIDFILE");
    const char *stopfile = need("HOLDER_STOPFILE");
    const char *open = getenv("HOLDER_OPEN");
    const char *share = getenv("HOLDER_SHARE");
    HANDLE h = INVALID_HANDLE_VALUE;
    if (open && *open) {
        DWORD mode = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
        if (share && strcmp(share, "nodelete") == 0)
            mode = FILE_SHARE_READ | FILE_SHARE_WRITE;
        else if (share && strcmp(share, "exclusive") == 0)
            mode = 0;
        h = CreateFileA(open, GENERIC_READ | GENERIC_WRITE, mode, NULL, OPEN_EXISTING,
                        FILE_ATTRIBUTE_NORMAL, NULL);
        if (h == INVALID_HANDLE_VALUE) {
            fprintf(stderr, "holder: cannot open %s (error %lu)\n", open, GetLastError());
            return 3;
        }
    }
    /* The pid file is written whole under another name, then renamed: a
     * reader never sees it half written. */
    char tmp[MAX_PATH + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", pidfile);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "holder: cannot write %s\n", tmp);
        return 3;
    }
    fprintf(f, "%lu\n", GetCurrentProcessId());
    fclose(f);
    if (!MoveFileExA(tmp, pidfile, MOVEFILE_REPLACE_EXISTING)) {
        fprintf(stderr, "holder: cannot rename %s\n", tmp);
        return 3;
    }
    while (GetFileAttributesA(stopfile) == INVALID_FILE_ATTRIBUTES)
        Sleep(50);
    if (h != INVALID_HANDLE_VALUE)
        CloseHandle(h);
    return 0;
}
