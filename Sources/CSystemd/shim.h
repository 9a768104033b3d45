// Why this shim exists: libsystemd's sd_journal_sendv is a macro that stamps this header's own
// CODE_FILE/CODE_LINE/CODE_FUNC into every entry, and Swift cannot call function-like macros; the
// edgelive_ wrappers below call the real functions so the Swift side supplies the caller's location.
// SD_LISTEN_FDS_START is re-exported as a function so it stays a plain Int32 in Swift.
#ifndef EDGELIVE_CSYSTEMD_SHIM_H
#define EDGELIVE_CSYSTEMD_SHIM_H
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <stdlib.h>
#include <sys/uio.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

/// Sends one journal entry made of `count` "FIELD=value" iovecs; returns 0 or a negative errno.
static inline int edgelive_journal_sendv(const struct iovec *fields, int count) {
    return sd_journal_sendv(fields, count);
}

/// The first inherited socket-activation descriptor (3).
static inline int edgelive_listen_fds_start(void) {
    return SD_LISTEN_FDS_START;
}

/// Frees the NULL-terminated name list sd_listen_fds_with_names returns.
static inline void edgelive_free_strv(char **names) {
    if (names == NULL) return;
    for (char **name = names; *name != NULL; name++) free(*name);
    free(names);
}
#endif
