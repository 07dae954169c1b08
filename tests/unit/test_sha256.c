/*-------------------------------------------------------------------------
 * test_sha256.c
 *     Unit tests of the rule-set hash wrapper over libcrypto: the FIPS
 *     180-4 example vectors, fed whole and in pieces, and the empty input.
 *
 * tests/unit/test_sha256.c
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sha256.h"

#include <string.h>

static void hex_of(const char *const *parts, int n, char out[65])
{
    struct sha256 s;

    assert_true(sha256_init(&s));
    for (int i = 0; i < n; i++)
        sha256_update(&s, parts[i], strlen(parts[i]));
    sha256_hex(&s, out);
}

static void sha256_gives_the_fips_vectors(void **state)
{
    const char *abc[] = {"abc"};
    const char *pieces[] = {"abcdbcdecdefdefgefghfghighij", "hijkijkljklmklmnlmnomnopnopq"};
    const char *empty[] = {""};
    char hex[65];

    (void)state;
    hex_of(abc, 1, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hex_of(pieces, 2, hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    hex_of(empty, 1, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha256_gives_the_fips_vectors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
