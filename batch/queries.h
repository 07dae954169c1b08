/*-------------------------------------------------------------------------
 * queries.h
 *     Named read-only queries (summaries, explain, status); see queries.c.
 *
 * batch/queries.h
 *-------------------------------------------------------------------------
 */
#ifndef SENTENCER_QUERIES_H
#define SENTENCER_QUERIES_H

/* The SQL of the query called name, or NULL. */
const char *query_sql(const char *name);

#endif
