/*-------------------------------------------------------------------------
 * sha256.c
 *     SHA-256 through libcrypto's EVP interface (see sha256.h).
 *
 * batch/core/sha256.c
 *-------------------------------------------------------------------------
 */
#include "sha256.h"

#include <openssl/evp.h>

#include <string.h>

bool sha256_init(struct sha256 *s)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    s->ctx = NULL;
    if (!ctx)
        return false;
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return false;
    }
    s->ctx = ctx;
    return true;
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
    if (s->ctx && len > 0 && EVP_DigestUpdate(s->ctx, data, len) != 1) {
        EVP_MD_CTX_free(s->ctx);
        s->ctx = NULL; /* the digest is then all zeros */
    }
}

void sha256_hex(struct sha256 *s, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    memset(out, '0', 64);
    out[64] = '\0';
    if (s->ctx && EVP_DigestFinal_ex(s->ctx, md, &n) == 1 && n == 32)
        for (unsigned i = 0; i < 32; i++) {
            out[2 * i] = hex[md[i] >> 4];
            out[2 * i + 1] = hex[md[i] & 15];
        }
    EVP_MD_CTX_free(s->ctx);
    s->ctx = NULL;
}
