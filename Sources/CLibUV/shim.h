// Why this shim exists: Swift cannot see libuv's handle sizes as constants nor call its
// function-like macros, and the handle structs are unions Swift imports awkwardly. The
// helpers below are the only C the EventLoop target needs; all are prefixed edgelive_.
#ifndef EDGELIVE_CLIBUV_SHIM_H
#define EDGELIVE_CLIBUV_SHIM_H
#include <uv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>

// sockaddr_in/sockaddr_in6 casts are C-level punning that Swift cannot express without
// rebinding memory; doing them here keeps the Swift side free of aliasing tricks.

/// Fills `out` from a numeric IPv4 or IPv6 literal; returns 0 or a libuv error (UV_EINVAL).
static inline int edgelive_sockaddr_from_ip(const char *host, int port, struct sockaddr_storage *out) {
    memset(out, 0, sizeof(*out));
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)out) == 0) return 0;
    memset(out, 0, sizeof(*out));
    return uv_ip6_addr(host, port, (struct sockaddr_in6 *)out);
}

/// Writes the numeric host (IPv4-mapped IPv6 shown as plain IPv4) and port of `addr`.
static inline int edgelive_sockaddr_describe(const struct sockaddr_storage *addr, char *buf, size_t len, int *port) {
    if (addr->ss_family == AF_INET) {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)addr;
        *port = ntohs(a4->sin_port);
        return uv_ip4_name(a4, buf, len);
    }
    if (addr->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)addr;
        *port = ntohs(a6->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) {
            struct sockaddr_in a4;
            memset(&a4, 0, sizeof(a4));
            a4.sin_family = AF_INET;
            memcpy(&a4.sin_addr, &a6->sin6_addr.s6_addr[12], 4);
            return uv_ip4_name(&a4, buf, len);
        }
        return uv_ip6_name(a6, buf, len);
    }
    return UV_EAFNOSUPPORT;
}

/// Describes the peer of a connected TCP handle.
static inline int edgelive_tcp_peer(const uv_tcp_t *tcp, char *buf, size_t len, int *port) {
    struct sockaddr_storage ss;
    int namelen = (int)sizeof(ss);
    int r = uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &namelen);
    if (r != 0) return r;
    return edgelive_sockaddr_describe(&ss, buf, len, port);
}

/// Describes the local address of a bound TCP handle.
static inline int edgelive_tcp_local(const uv_tcp_t *tcp, char *buf, size_t len, int *port) {
    struct sockaddr_storage ss;
    int namelen = (int)sizeof(ss);
    int r = uv_tcp_getsockname(tcp, (struct sockaddr *)&ss, &namelen);
    if (r != 0) return r;
    return edgelive_sockaddr_describe(&ss, buf, len, port);
}

/// Binds a TCP handle to a numeric address without Swift touching sockaddr casts.
static inline int edgelive_tcp_bind(uv_tcp_t *tcp, const struct sockaddr_storage *addr) {
    return uv_tcp_bind(tcp, (const struct sockaddr *)addr, 0);
}

/// Starts connecting a TCP handle to a resolved address.
static inline int edgelive_tcp_connect(uv_connect_t *req, uv_tcp_t *tcp, const struct sockaddr_storage *addr, uv_connect_cb cb) {
    return uv_tcp_connect(req, tcp, (const struct sockaddr *)addr, cb);
}

/// Copies the first usable address of a getaddrinfo result (IPv4 preferred, since servers
/// commonly bind 0.0.0.0 and "localhost" may list ::1 first), with `port` patched in.
static inline int edgelive_addrinfo_first(const struct addrinfo *list, int port, struct sockaddr_storage *out) {
    for (int pass = 0; pass < 2; pass++) {
        int family = pass == 0 ? AF_INET : AF_INET6;
        for (const struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next) {
            if (ai->ai_family != family || ai->ai_addrlen > sizeof(*out)) continue;
            memset(out, 0, sizeof(*out));
            memcpy(out, ai->ai_addr, ai->ai_addrlen);
            if (family == AF_INET) ((struct sockaddr_in *)out)->sin_port = htons((uint16_t)port);
            else ((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)port);
            return 0;
        }
    }
    return UV_EAI_NONAME;
}

/// The AF_UNSPEC/SOCK_STREAM hints for resolving a TCP host name.
static inline struct addrinfo edgelive_tcp_hints(void) {
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    return hints;
}

/// Names the calling thread (shown by top -H and gdb); glibc hides the prototype without _GNU_SOURCE.
static inline void edgelive_set_thread_name(const char *name) {
#ifdef __linux__
    extern int pthread_setname_np(pthread_t thread, const char *name);
    pthread_setname_np(pthread_self(), name);
#else
    (void)name;
#endif
}

#endif
