-- job_role_privileges.sql: what a role holds in schema sentencer, one row
-- per object and kind of privilege, for `sentencer grant-job-role` to print
-- what it granted: privileges (with the columns of a column grant), kind of
-- object (schema, table, function) and its name. $1: the role's name.
WITH r AS (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1),
n AS (SELECT oid, nspname, nspacl FROM pg_catalog.pg_namespace WHERE nspname = 'sentencer')
SELECT a.privilege_type AS privileges, 'schema' AS kind, n.nspname::text AS name
FROM n CROSS JOIN LATERAL aclexplode(n.nspacl) a JOIN r ON a.grantee = r.oid
UNION ALL
SELECT string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type), 'table', c.oid::regclass::text
FROM pg_catalog.pg_class c JOIN n ON c.relnamespace = n.oid
CROSS JOIN LATERAL aclexplode(c.relacl) a JOIN r ON a.grantee = r.oid
GROUP BY c.oid
UNION ALL
SELECT a.privilege_type || ' (' || string_agg(quote_ident(att.attname), ', ' ORDER BY att.attnum)
       || ')', 'table', c.oid::regclass::text
FROM pg_catalog.pg_class c JOIN n ON c.relnamespace = n.oid
JOIN pg_catalog.pg_attribute att ON att.attrelid = c.oid AND NOT att.attisdropped
CROSS JOIN LATERAL aclexplode(att.attacl) a JOIN r ON a.grantee = r.oid
GROUP BY c.oid, a.privilege_type
UNION ALL
SELECT a.privilege_type, 'function', p.oid::regprocedure::text
FROM pg_catalog.pg_proc p JOIN n ON p.pronamespace = n.oid
CROSS JOIN LATERAL aclexplode(p.proacl) a JOIN r ON a.grantee = r.oid
ORDER BY 2, 3, 1
