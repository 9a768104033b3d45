// Why this shim exists: Debian's libhttp-parser-dev ships no pkg-config file, so the module
// map names the library and this header pulls in http_parser.h for Swift. The accessors
// below read the parser's bit-fields and stand in for its function-like macros; all are
// prefixed edgelive_.
#ifndef EDGELIVE_CHTTPPARSER_SHIM_H
#define EDGELIVE_CHTTPPARSER_SHIM_H
#include <http_parser.h>

/// HTTP_PARSER_ERRNO(p) as a function.
static inline int edgelive_http_errno(const http_parser *p) { return (int)p->http_errno; }

/// The request method name ("GET", ...) of the message being parsed.
static inline const char *edgelive_http_method_name(const http_parser *p) {
    return http_method_str((enum http_method)p->method);
}

/// Nonzero when the request is a HEAD request.
static inline int edgelive_http_is_head(const http_parser *p) { return p->method == HTTP_HEAD; }

/// The response status of the message being parsed (response mode).
static inline int edgelive_http_status(const http_parser *p) { return (int)p->status_code; }

/// Nonzero when the parser stopped because of an Upgrade header or a CONNECT request.
static inline int edgelive_http_upgrade(const http_parser *p) { return (int)p->upgrade; }

/// The name of an http_parser error number ("HPE_INVALID_METHOD", ...).
static inline const char *edgelive_http_errno_name(int e) { return http_errno_name((enum http_errno)e); }

/// The description of an http_parser error number.
static inline const char *edgelive_http_errno_description(int e) { return http_errno_description((enum http_errno)e); }

#endif
