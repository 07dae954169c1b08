/*-------------------------------------------------------------------------
 * sha256.h
 *     SHA-256, used to name a rule set by its content: libcrypto's (the
 *     OpenSSL that libpq links already), behind the three calls the rule
 *     loader needs.
 *
 * batch/core/sha256.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_SHA256_H
#define SENTENCER_SHA256_H

#include <stdbool.h>
#include <stddef.h>

struct sha256 {
    void *ctx; /* EVP_MD_CTX, owned until sha256_hex */
};

/* Start a digest; false when libcrypto could not (out of memory). */
bool sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Finish, free the context, and write the digest as 64 lowercase hex
 * digits plus NUL (all zeros if libcrypto failed, which then matches no
 * rule set). */
void sha256_hex(struct sha256 *s, char out[65]);

#endif
