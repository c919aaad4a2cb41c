// The time readers the projections call (migration 0003, made inlinable by 0023): the current
// definitions answer exactly what the 0003 ones did, for every shape of string the API may send.
#include <catch2/catch.hpp>

#include <string>

#include "harness.hpp"

using oura::test::TestDatabase;

namespace {

// 0003's definitions under other names, as the reference.
constexpr const char* reference = R"sql(
    CREATE FUNCTION pg_temp.ref_offset(iso text) RETURNS smallint LANGUAGE sql IMMUTABLE STRICT AS $$
        SELECT CASE
                   WHEN iso ~ '\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*[Zz]$' THEN 0
                   WHEN m IS NULL THEN NULL
                   ELSE ((CASE m[1] WHEN '-' THEN -1 ELSE 1 END) * (m[2]::int * 60 + coalesce(m[3], '0')::int))
               END::smallint
          FROM (SELECT regexp_match(iso, '\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*([+-])(\d{2}):?(\d{2})?$') AS m) AS parsed
    $$;
    CREATE FUNCTION pg_temp.ref_localized(iso text) RETURNS timestamptz LANGUAGE sql STABLE STRICT AS $$
        SELECT CASE WHEN pg_temp.ref_offset(iso) IS NOT NULL THEN iso::timestamptz END
    $$;
    CREATE FUNCTION pg_temp.ref_utc(iso text) RETURNS timestamptz LANGUAGE sql STABLE STRICT AS $$
        SELECT CASE WHEN pg_temp.ref_offset(iso) IS NOT NULL THEN iso::timestamptz
                    ELSE iso::timestamp AT TIME ZONE 'UTC' END
    $$;
)sql";

constexpr const char* samples = R"sql(
    (VALUES (NULL::text), ('2024-03-01T23:30:00+02:00'), ('2024-03-01T23:30:00-05:30'), ('2024-03-01T23:30:00+0530'),
            ('2024-03-01T23:30:00+05'), ('2024-03-01T23:30:00Z'), ('2024-03-01T23:30:00z'), ('2024-03-01T23:30:00.123+01:00'),
            ('2024-03-01T23:30:00.123456Z'), ('2024-03-01T23:30:00'), ('2024-03-01T23:30'), ('2024-03-01T23:30+14:00'),
            ('2024-03-01T23:30:00 +01:00'), ('2024-03-01T23:30:00-00:00'), ('2024-12-31T00:00:00-12:00')) AS s (iso)
)sql";

}  // namespace

TEST_CASE("the inlined time readers answer what their first definitions did", "[pg][projections]") {
    TestDatabase db;
    auto c = db.connect();
    pqxx::work tx(c);
    tx.exec("SET TimeZone = 'Asia/Kolkata'");  // no reader may depend on the session's zone
    tx.exec(reference);
    auto differing = tx.exec(std::string("SELECT iso FROM ") + samples +
                             " WHERE oura.utc_offset_minutes(iso) IS DISTINCT FROM pg_temp.ref_offset(iso)"
                             "    OR oura.parse_localized(iso) IS DISTINCT FROM pg_temp.ref_localized(iso)"
                             "    OR oura.parse_utc(iso) IS DISTINCT FROM pg_temp.ref_utc(iso)");
    for (const auto& row : differing) FAIL_CHECK("differs for " << (row[0].is_null() ? "NULL" : row[0].c_str()));
    CHECK(differing.empty());
    CHECK(tx.exec1(std::string("SELECT count(*) FILTER (WHERE oura.utc_offset_minutes(iso) = 330) FROM ") + samples)[0]
              .as<int>() == 1);
    // Inlined: the function call is gone from the plan.
    auto plan = tx.exec("EXPLAIN (VERBOSE) SELECT oura.parse_utc(iso) FROM (VALUES ('2024-03-01T23:30:00Z')) AS s (iso)");
    std::string text;
    for (const auto& row : plan) text += row[0].c_str();
    CHECK(text.find("parse_utc") == std::string::npos);
    CHECK(text.find("utc_offset_minutes") == std::string::npos);
}
