/*-------------------------------------------------------------------------
 * build_info.h
 *     What the build fixed: the program's version and where its rule set
 *     and golden tests are found when no --rules or --tests is given.
 *
 *     The development build (make) points at the source tree it was built
 *     from; the installed one (make install) at $(PREFIX)/share/sentencer,
 *     which holds lua-rules/ and tests/rules/ in the same layout, so that a
 *     command works from any directory.
 *
 * batch/core/build_info.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_BUILD_INFO_H
#define SENTENCER_BUILD_INFO_H

/* The program's version (the VERSION file). */
const char *build_version(void);
/* The default rule set folder and golden tests folder: absolute paths. */
const char *build_rules_dir(void);
const char *build_tests_dir(void);

#endif
