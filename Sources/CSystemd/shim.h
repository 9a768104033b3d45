// Why this shim exists: sd_notify, sd_listen_fds and sd_journal_send come from libsystemd;
// sd_journal_send is variadic, which Swift cannot call, so later code adds a fixed-arity
// edgelive_ wrapper here.
#ifndef EDGELIVE_CSYSTEMD_SHIM_H
#define EDGELIVE_CSYSTEMD_SHIM_H
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#endif
