-- today.sql
-- The courts' day (China Standard Time) in days since 1970-01-01: what a
-- run begun now records as its date (db.c SQL_RUN_DATE), and the trial
-- date `sentencer diff` gives a charge with no conviction date.
SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date - DATE '1970-01-01' AS day
