/*-------------------------------------------------------------------------
 * queries.c
 *     The fixed read-only queries behind the summaries, explain and status,
 *     by name (run through db_query in db.c). Constant SQL with $n
 *     parameters only.
 *
 * batch/queries.c
 *-------------------------------------------------------------------------
 */
#include "queries.h"

#include <stddef.h>
#include <string.h>

struct named_query {
    const char *name;
    const char *sql;
};

static const struct named_query queries[] = {
    {"status", "SELECT id AS run, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS') AS started,"
               " to_char(ended_at, 'YYYY-MM-DD HH24:MI:SS') AS ended, state, host, pid, workers,"
               " evaluated, errors, rule_set, coalesce(message, '') AS message"
               " FROM sentencer.run ORDER BY id DESC LIMIT $1::integer"},
    {"explain",
     "SELECT c.case_no, c.defendant_no, c.offense, r.status, coalesce(r.error, '') AS error,"
     " r.rule_set, r.run_id, r.threshold_met, coalesce(r.threshold_basis, '') AS basis,"
     " coalesce(r.recommended_kind, '') AS kind, r.recommended_months,"
     " coalesce(r.trace::text, '[]') AS trace"
     " FROM sentencer.recommendation r JOIN sentencer.charge c ON c.id = r.charge_id"
     " WHERE r.is_current AND c.case_no = $1 AND ($2::text IS NULL OR c.defendant_no = $2)"
     " ORDER BY c.defendant_no COLLATE \"C\", c.offense"},
    {"explain_trace",
     "SELECT coalesce(e->>'step', '') AS step, coalesce(e->>'cite', '') AS cite,"
     " coalesce(e->>'result', '') AS result, coalesce(e->>'pct', '') AS pct,"
     " coalesce(e->'facts', '{}'::jsonb)::text AS facts, coalesce(e->>'note', '') AS note"
     " FROM jsonb_array_elements($1::jsonb) e"},
    {"run_totals", "SELECT evaluated, errors FROM sentencer.run WHERE id = $1::bigint"},
    {"pending",
     "SELECT count(*) FROM sentencer.charge"
     " WHERE evaluated_rev IS DISTINCT FROM facts_rev OR evaluated_rule_set IS DISTINCT FROM $1"},
    {"run_errors", "SELECT c.case_no, c.defendant_no, c.offense, e.message AS error"
                   " FROM sentencer.run_error e JOIN sentencer.charge c ON c.id = e.charge_id"
                   " WHERE e.run_id = $1::bigint"
                   " ORDER BY c.case_no COLLATE \"C\", c.defendant_no COLLATE \"C\", c.offense"},
    {"summary_offense",
     "WITH r AS ("
     " SELECT c.offense,"
     "  (SELECT extract(year FROM max(a.conviction_date))::integer FROM sentencer.act a"
     "   WHERE a.charge_id = c.id) AS conviction_year, rec.*"
     " FROM sentencer.recommendation rec JOIN sentencer.charge c ON c.id = rec.charge_id"
     " WHERE rec.is_current)"
     "SELECT coalesce(offense, 'all') AS offense,"
     " CASE WHEN GROUPING(conviction_year) = 1 THEN 'all'"
     "  ELSE coalesce(conviction_year::text, '') END AS conviction_year,"
     " count(*) AS defendants,"
     " round(avg(threshold_met::integer) FILTER (WHERE status = 'ok'), 4) AS share_threshold_met,"
     " count(*) FILTER (WHERE recommended_kind = 'fixed_term') AS kind_fixed_term,"
     " count(*) FILTER (WHERE recommended_kind = 'detention') AS kind_detention,"
     " count(*) FILTER (WHERE recommended_kind = 'surveillance') AS kind_surveillance,"
     " count(*) FILTER (WHERE recommended_kind = 'fine_only') AS kind_fine_only,"
     " count(*) FILTER (WHERE recommended_kind = 'exempt') AS kind_exempt,"
     " round(avg(recommended_suspended::integer) FILTER (WHERE status = 'ok'), 4)"
     "  AS share_suspended,"
     " round(percentile_cont(0.10) WITHIN GROUP (ORDER BY recommended_months)::numeric, 1) AS months_p10,"
     " round(percentile_cont(0.25) WITHIN GROUP (ORDER BY recommended_months)::numeric, 1) AS months_p25,"
     " round(percentile_cont(0.50) WITHIN GROUP (ORDER BY recommended_months)::numeric, 1) AS months_p50,"
     " round(percentile_cont(0.75) WITHIN GROUP (ORDER BY recommended_months)::numeric, 1) AS months_p75,"
     " round(percentile_cont(0.90) WITHIN GROUP (ORDER BY recommended_months)::numeric, 1) AS months_p90,"
     " round(percentile_cont(0.25) WITHIN GROUP (ORDER BY recommended_fine_fen)::numeric / 100, 2)"
     "  AS fine_yuan_p25,"
     " round(percentile_cont(0.50) WITHIN GROUP (ORDER BY recommended_fine_fen)::numeric / 100, 2)"
     "  AS fine_yuan_p50,"
     " round(percentile_cont(0.75) WITHIN GROUP (ORDER BY recommended_fine_fen)::numeric / 100, 2)"
     "  AS fine_yuan_p75,"
     " round(avg(ban_eligible::integer) FILTER (WHERE status = 'ok'), 4) AS share_ban_eligible,"
     " round(avg(injunction_eligible::integer) FILTER (WHERE status = 'ok'), 4)"
     "  AS share_injunction_eligible,"
     " count(*) FILTER (WHERE status = 'error') AS errors"
     " FROM r GROUP BY ROLLUP (offense, conviction_year)"
     " ORDER BY GROUPING(offense), offense, GROUPING(conviction_year), conviction_year"},
    {NULL, NULL},
};

const char *query_sql(const char *name)
{
    for (const struct named_query *q = queries; q->name; q++)
        if (strcmp(q->name, name) == 0)
            return q->sql;
    return NULL;
}
