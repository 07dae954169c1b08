/*-------------------------------------------------------------------------
 * build_info.c
 *     The version and data folder compiled in by the Makefile (see
 *     build_info.h); this file alone is compiled twice, once per folder.
 *
 * batch/core/build_info.c
 *-------------------------------------------------------------------------
 */
#include "build_info.h"

#ifndef SENTENCER_VERSION
#error "SENTENCER_VERSION must be defined by the Makefile"
#endif
#ifndef SENTENCER_DATADIR
#error "SENTENCER_DATADIR must be defined by the Makefile"
#endif

const char *build_version(void)
{
    return SENTENCER_VERSION;
}

const char *build_rules_dir(void)
{
    return SENTENCER_DATADIR "/lua-rules";
}

const char *build_tests_dir(void)
{
    return SENTENCER_DATADIR "/tests/rules";
}
