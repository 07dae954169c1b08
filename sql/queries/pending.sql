-- pending.sql
-- How many charges the rule set has still to evaluate (new or changed facts,
-- or evaluated with another rule set), for the progress line. $1: the rule set.
SELECT count(*) FROM sentencer.charge
WHERE evaluated_rev IS DISTINCT FROM facts_rev OR evaluated_rule_set IS DISTINCT FROM $1
