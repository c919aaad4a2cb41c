-- The projections call these per document and column. As written in 0003 the planner could not
-- inline them (utc_offset_minutes read from a subquery; the others were STRICT around a CASE, which
-- is not strict), so every call started an executor of its own and planned its body once per
-- statement: 9 % of the database's CPU in a 3-year poller pass (perf over bench/poller_bench.sh).
-- As single expressions without STRICT they are inlined into the projection statements. Results
-- are unchanged, NULL in and NULL out included (tests/pg/time_readers_test.cpp compares them with
-- the 0003 definitions on every shape of string).

CREATE OR REPLACE FUNCTION oura.utc_offset_minutes(iso text) RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
               WHEN iso ~ '\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*[Zz]$' THEN 0::smallint
               WHEN iso ~ '\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*([+-])(\d{2}):?(\d{2})?$' THEN
                   ((CASE (regexp_match(iso, '\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*([+-])(\d{2}):?(\d{2})?$'))[1]
                         WHEN '-' THEN -1 ELSE 1 END)
                    * ((regexp_match(iso, '\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*([+-])(\d{2}):?(\d{2})?$'))[2]::int * 60
                       + coalesce((regexp_match(iso, '\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*([+-])(\d{2}):?(\d{2})?$'))[3],
                                  '0')::int))::smallint
           END
$$;

CREATE OR REPLACE FUNCTION oura.parse_localized(iso text) RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN oura.utc_offset_minutes(iso) IS NOT NULL THEN iso::timestamptz END
$$;

CREATE OR REPLACE FUNCTION oura.parse_utc(iso text) RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN oura.utc_offset_minutes(iso) IS NOT NULL THEN iso::timestamptz
                ELSE iso::timestamp AT TIME ZONE 'UTC' END
$$;
