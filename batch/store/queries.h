/*-------------------------------------------------------------------------
 * queries.h
 *     The read-only queries behind the summaries, the report, explain and
 *     status: one file each in sql/queries/, compiled in by
 *     scripts/embed-sql, named by enum query_id (Q_ and the file name in
 *     capitals; generated into build/gen/query_ids.h). Constant SQL with
 *     $n parameters only; db_query runs them (db.h).
 *
 * batch/store/queries.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_QUERIES_H
#define SENTENCER_QUERIES_H

#include "query_ids.h"

/* The file name (without .sql) and the text of each query. */
extern const char *const query_names[Q__COUNT];
extern const char *const query_texts[Q__COUNT];

#endif
