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
    {"status", "SELECT r.id AS run, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS') AS started,"
               " to_char(ended_at, 'YYYY-MM-DD HH24:MI:SS') AS ended, state, host, pid, workers,"
               " evaluated, errors,"
               " r.rule_set || coalesce(' (' || s.label || ')', '') AS rule_set,"
               " coalesce(message, '') AS message"
               " FROM sentencer.run r LEFT JOIN sentencer.rule_set s ON s.id = r.rule_set"
               " ORDER BY r.id DESC LIMIT $1::integer"},
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
    {"run_state", "SELECT state FROM sentencer.run WHERE id = $1::bigint"},
    {"pending",
     "SELECT count(*) FROM sentencer.charge"
     " WHERE evaluated_rev IS DISTINCT FROM facts_rev OR evaluated_rule_set IS DISTINCT FROM $1"},
    /* ---- the run's outputs (output.c), all in one read-only snapshot ---- */
    {"output_begin", "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"},
    /* A handful of large aggregates: no JIT compilation (it costs more than
     * it saves here), and sorts held in memory. Local to the transaction. */
    {"output_settings",
     "SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)"},
    {"output_end", "COMMIT"},
    {"run_info",
     "SELECT id AS run_id, rule_set,"
     " to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS started_at,"
     " to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS ended_at,"
     " evaluated, errors,"
     /* what the files describe, for the next run's "nothing to do" */
     " coalesce(sentencer.outputs_generation(rule_set), 0) AS covers"
     " FROM sentencer.run WHERE id = $1::bigint"},
    /* errors.csv, streamed through a cursor so that memory stays flat. */
    {"errors_open",
     "DECLARE sentencer_errors NO SCROLL CURSOR FOR"
     " SELECT c.case_no, c.defendant_no, c.offense, e.message AS error"
     " FROM sentencer.run_error e JOIN sentencer.charge c ON c.id = e.charge_id"
     " WHERE e.run_id = $1::bigint"
     " ORDER BY c.case_no COLLATE \"C\", c.defendant_no COLLATE \"C\", c.offense COLLATE \"C\""},
    {"errors_fetch", "FETCH FORWARD 2000 FROM sentencer_errors"},
    {"errors_close", "CLOSE sentencer_errors"},
    /*
     * summary_offense.csv and summary_court.csv in one pass over the current
     * recommendations (part = 'offense' or 'court'). A charge's court,
     * conviction year and actual judgment are those of its first act
     * (lowest act_no): the acts of a charge come from one judgment. Offenses
     * and kinds travel as their position in the lists below (o, k, ak): the
     * million-row sort and the counting are cheaper on small integers.
     * Columns after errors are not written to the files: n_* are the counts
     * behind the shares and quantiles (for small-cell suppression); actual_*,
     * n_terms* and mean_diff compare the recommendation with the actual
     * judgment where one is recorded (for report.html). $1: the offense
     * codes in case.h's order (OFFENSE_LIST, article order), which is the
     * rows' order; years ascending, then 'unknown', then 'all'; courts in
     * byte order.
     */
    {"summaries",
     "WITH a AS ("
     " SELECT DISTINCT ON (charge_id) charge_id, offense, court_code, conviction_date,"
     "  actual_kind, actual_months"
     " FROM sentencer.act ORDER BY charge_id, act_no),"
     "r AS ("
     " SELECT array_position($1::text[], a.offense) AS o,"
     "  a.court_code COLLATE \"C\" AS court_code,"
     "  extract(year FROM a.conviction_date)::integer AS conviction_year,"
     "  rec.status = 'ok' AS ok, rec.threshold_met, rec.recommended_suspended,"
     "  rec.ban_eligible, rec.injunction_eligible,"
     "  array_position(ARRAY['fixed_term', 'detention', 'surveillance', 'fine_only', 'exempt'],"
     "   rec.recommended_kind) AS k,"
     "  rec.recommended_months, rec.recommended_fine_fen,"
     "  CASE WHEN rec.status = 'ok' THEN array_position(ARRAY['fixed_term', 'detention',"
     "   'surveillance', 'fine_only', 'exempt'], a.actual_kind) END AS ak,"
     "  a.actual_months - rec.recommended_months AS diff,"
     "  a.actual_months < rec.range_low_months AS below,"
     "  a.actual_months > rec.range_high_months AS above"
     " FROM sentencer.recommendation rec JOIN a ON a.charge_id = rec.charge_id"
     " WHERE rec.is_current),"
     "g AS ("
     " SELECT GROUPING(court_code) AS no_court, GROUPING(o) AS all_offenses,"
     "  GROUPING(conviction_year) AS all_years, court_code, o, conviction_year,"
     "  count(*) AS defendants,"
     "  count(*) FILTER (WHERE ok) AS n_ok,"
     "  count(*) FILTER (WHERE threshold_met) AS n_threshold_met,"
     "  count(*) FILTER (WHERE k = 1) AS kind_fixed_term,"
     "  count(*) FILTER (WHERE k = 2) AS kind_detention,"
     "  count(*) FILTER (WHERE k = 3) AS kind_surveillance,"
     "  count(*) FILTER (WHERE k = 4) AS kind_fine_only,"
     "  count(*) FILTER (WHERE k = 5) AS kind_exempt,"
     "  count(*) FILTER (WHERE recommended_suspended) AS n_suspended,"
     "  count(*) FILTER (WHERE ban_eligible) AS n_ban_eligible,"
     "  count(*) FILTER (WHERE injunction_eligible) AS n_injunction_eligible,"
     "  count(*) FILTER (WHERE NOT ok) AS errors,"
     "  count(recommended_months) AS n_months, count(recommended_fine_fen) AS n_fine,"
     "  percentile_cont(ARRAY[0.1, 0.25, 0.5, 0.75, 0.9])"
     "   WITHIN GROUP (ORDER BY recommended_months) AS m,"
     "  percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY recommended_fine_fen) AS f,"
     "  count(ak) AS n_actual,"
     "  count(*) FILTER (WHERE ak = k) AS n_actual_same_kind,"
     "  count(*) FILTER (WHERE ak = 1) AS actual_fixed_term,"
     "  count(*) FILTER (WHERE ak = 2) AS actual_detention,"
     "  count(*) FILTER (WHERE ak = 3) AS actual_surveillance,"
     "  count(*) FILTER (WHERE ak = 4) AS actual_fine_only,"
     "  count(*) FILTER (WHERE ak = 5) AS actual_exempt,"
     "  count(*) FILTER (WHERE ak IS NOT NULL AND k = 1) AS actual_rec_fixed_term,"
     "  count(*) FILTER (WHERE ak IS NOT NULL AND k = 2) AS actual_rec_detention,"
     "  count(*) FILTER (WHERE ak IS NOT NULL AND k = 3) AS actual_rec_surveillance,"
     "  count(*) FILTER (WHERE ak IS NOT NULL AND k = 4) AS actual_rec_fine_only,"
     "  count(*) FILTER (WHERE ak IS NOT NULL AND k = 5) AS actual_rec_exempt,"
     "  count(*) FILTER (WHERE ak IS NOT NULL AND diff IS NOT NULL) AS n_terms,"
     "  count(*) FILTER (WHERE ak IS NOT NULL AND below) AS n_terms_below,"
     "  count(*) FILTER (WHERE ak IS NOT NULL AND above) AS n_terms_above,"
     "  avg(diff) FILTER (WHERE ak IS NOT NULL) AS mean_diff"
     " FROM r"
     " GROUP BY GROUPING SETS ((o, conviction_year), (o), (), (court_code, o)))"
     "SELECT CASE no_court WHEN 0 THEN 'court' ELSE 'offense' END AS part, court_code,"
     " CASE all_offenses WHEN 1 THEN 'all' ELSE ($1::text[])[o] END AS offense,"
     " CASE WHEN no_court = 0 THEN NULL WHEN all_years = 1 THEN 'all'"
     "  WHEN conviction_year IS NULL THEN 'unknown' ELSE conviction_year::text END"
     "  AS conviction_year,"
     " defendants,"
     " round(n_threshold_met::numeric / nullif(n_ok, 0), 4) AS share_threshold_met,"
     " kind_fixed_term, kind_detention, kind_surveillance, kind_fine_only, kind_exempt,"
     " round(n_suspended::numeric / nullif(n_ok, 0), 4) AS share_suspended,"
     " round(m[1]::numeric, 1) AS months_p10, round(m[2]::numeric, 1) AS months_p25,"
     " round(m[3]::numeric, 1) AS months_p50, round(m[4]::numeric, 1) AS months_p75,"
     " round(m[5]::numeric, 1) AS months_p90,"
     " round(f[1]::numeric / 100, 2) AS fine_yuan_p25,"
     " round(f[2]::numeric / 100, 2) AS fine_yuan_p50,"
     " round(f[3]::numeric / 100, 2) AS fine_yuan_p75,"
     " round(n_ban_eligible::numeric / nullif(n_ok, 0), 4) AS share_ban_eligible,"
     " round(n_injunction_eligible::numeric / nullif(n_ok, 0), 4) AS share_injunction_eligible,"
     " errors,"
     " n_ok, n_threshold_met, n_suspended, n_ban_eligible, n_injunction_eligible, n_months,"
     " n_fine, n_actual, n_actual_same_kind, actual_fixed_term, actual_detention,"
     " actual_surveillance, actual_fine_only, actual_exempt, actual_rec_fixed_term,"
     " actual_rec_detention, actual_rec_surveillance, actual_rec_fine_only, actual_rec_exempt,"
     " n_terms, n_terms_below, n_terms_above, round(mean_diff, 1) AS mean_diff"
     " FROM g"
     " ORDER BY no_court DESC, court_code, all_offenses, o, all_years, conviction_year NULLS LAST"},
    /*
     * basis_frequency.csv: per offense, how many of the defendants evaluated
     * (status ok) met the threshold on each test (citation id). Counted per
     * distinct threshold_basis list first, then per citation: the lists are
     * few, the recommendations many. $1: the offense codes in case.h's
     * order, as for summaries.
     */
    {"basis_frequency",
     "WITH per AS ("
     " SELECT c.offense COLLATE \"C\" AS offense, r.threshold_basis, r.status, count(*) AS n"
     " FROM sentencer.recommendation r JOIN sentencer.charge c ON c.id = r.charge_id"
     " WHERE r.is_current GROUP BY 1, 2, 3),"
     "tot AS (SELECT offense, sum(n) FILTER (WHERE status = 'ok') AS ok FROM per GROUP BY offense)"
     "SELECT p.offense, b.citation COLLATE \"C\" AS citation, t.ok AS defendants,"
     " sum(p.n) AS defendants_met, round(sum(p.n) / nullif(t.ok, 0), 4) AS share_met"
     " FROM per p JOIN tot t ON t.offense = p.offense"
     " CROSS JOIN LATERAL unnest(string_to_array(p.threshold_basis, ';')) AS b(citation)"
     " WHERE p.status = 'ok' AND b.citation <> ''"
     " GROUP BY p.offense, b.citation, t.ok"
     " ORDER BY coalesce(array_position($1::text[], p.offense), 2147483647), p.offense, 2"},
    /* report.html: recommended terms by length and kind. */
    {"report_terms",
     "SELECT recommended_kind AS kind, recommended_months AS months, count(*) AS defendants"
     " FROM sentencer.recommendation"
     " WHERE is_current AND recommended_months IS NOT NULL"
     " GROUP BY 1, 2 ORDER BY recommended_months, recommended_kind COLLATE \"C\""},
    {NULL, NULL},
};

const char *query_sql(const char *name)
{
    for (const struct named_query *q = queries; q->name; q++)
        if (strcmp(q->name, name) == 0)
            return q->sql;
    return NULL;
}
