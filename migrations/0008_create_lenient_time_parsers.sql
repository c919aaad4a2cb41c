-- Lenient readers of Oura's day and time fields, for the key columns of oura_documents
-- (day, start_at, end_at) and the time series' timestamps.
--
-- A cast like '2024-13-01'::date or ''::timestamptz raises an error, and one error rolls back the
-- whole statement: one malformed document used to cost its whole page. These functions return
-- NULL instead of raising, for anything that is not an ISO 8601 date (or instant with an explicit
-- offset). A time without an offset is NULL too: reading it through the session's time zone would
-- be a guess. No exception block (each would open a subtransaction per call): the text is checked
-- by pattern and calendar before the cast, so the cast cannot fail.

-- 'YYYY-MM-DD', or the date part of 'YYYY-MM-DDThh:mm…' as written (Oura's local day: never
-- converted between zones).
CREATE FUNCTION oura.lenient_day(value text) RETURNS date
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    m text[] := regexp_match(value, '^(\d{4})-(\d{2})-(\d{2})(?:T|$)');
BEGIN
    IF m IS NULL OR m[1]::int < 1 OR m[2]::int NOT BETWEEN 1 AND 12 THEN
        RETURN NULL;
    END IF;
    IF m[3]::int NOT BETWEEN 1 AND
       extract(day FROM make_date(m[1]::int, m[2]::int, 1) + interval '1 month - 1 day')::int THEN
        RETURN NULL;
    END IF;
    RETURN make_date(m[1]::int, m[2]::int, m[3]::int);
END
$$;
COMMENT ON FUNCTION oura.lenient_day(text) IS
    'The ISO date at the start of value (YYYY-MM-DD, alone or before T), or NULL when there is none; never raises.';

-- 'YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm|±hhmm)'. Offsets up to ±14:59 (the world's widest is
-- +14:00), leap seconds and hour 24 are refused rather than rolled over.
CREATE FUNCTION oura.lenient_instant(value text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF value !~ '^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-](0\d|1[0-4]):?[0-5]\d)$'
       OR oura.lenient_day(value) IS NULL THEN
        RETURN NULL;
    END IF;
    -- The explicit offset makes the result independent of the session's TimeZone.
    RETURN value::timestamptz;
END
$$;
COMMENT ON FUNCTION oura.lenient_instant(text) IS
    'value as an instant when it is ISO 8601 with an explicit offset (Z or ±hh:mm), otherwise NULL; never raises.';
