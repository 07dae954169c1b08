/*-------------------------------------------------------------------------
 * migrations.h
 *     The schema migrations compiled into the program (generated from
 *     the files of sql/ by scripts/embed-sql), in version order.
 *
 * batch/store/migrations.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_MIGRATIONS_H
#define SENTENCER_MIGRATIONS_H

struct migration {
    int version;
    const char *name;
    const char *sql;
};

extern const struct migration migrations[];
extern const int n_migrations;

#endif
