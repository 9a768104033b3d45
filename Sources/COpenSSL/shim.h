// Why this shim exists: OpenSSL sets protocol versions and options through function-like macros
// (SSL_CTX_set_min_proto_version, SSL_CTX_set_options' SSL_OP_* bit macros) that Swift cannot call or
// import, and frees what it allocates with OPENSSL_free, a macro too. The edgelive_ helpers below are
// the only C the TLS target needs.
#ifndef EDGELIVE_COPENSSL_SHIM_H
#define EDGELIVE_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <time.h>

/// Limits the protocol versions a context negotiates (0 = the library's lowest/highest); 1 on success.
static inline int edgelive_ssl_ctx_set_protocol_range(SSL_CTX *ctx, int min_version, int max_version) {
    if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1) return 0;
    return SSL_CTX_set_max_proto_version(ctx, max_version) == 1;
}

/// No TLS compression (CRIME), no renegotiation (client-initiated renegotiation is a denial-of-service lever and
/// nothing here needs it), the server's cipher order, and no session tickets' resumption across renegotiation.
static inline void edgelive_ssl_ctx_harden(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE
                             | SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
}

/// The version constants, as plain ints Swift sees the same on every OpenSSL.
static inline int edgelive_tls1_version(void) { return TLS1_VERSION; }
static inline int edgelive_tls1_1_version(void) { return TLS1_1_VERSION; }
static inline int edgelive_tls1_2_version(void) { return TLS1_2_VERSION; }
static inline int edgelive_tls1_3_version(void) { return TLS1_3_VERSION; }

/// Compares an ASN.1 time with `when` (seconds since the epoch): -1 before, 1 after, 0 on error.
static inline int edgelive_asn1_time_compare(const ASN1_TIME *t, long long when) {
    time_t moment = (time_t)when;
    int r = X509_cmp_time(t, &moment);
    return r;
}
#endif
