// Every curated column of every resource, walked from the same column table the projections are
// generated from: after a poller pass, each column holds what the simulator's truth says for its
// document. The expected value is computed here from the truth JSON without the projection's
// helper functions, so a wrong path, a lossy cast or a lost offset shows up as a mismatch.
#include <catch2/catch.hpp>

#include <map>

#include "harness.hpp"
#include "oura/store/projections.hpp"
#include "sim.hpp"

using oura::store::Cast;
using oura::store::Family;
using oura::test::Simulator;
using oura::test::TestDatabase;

namespace {

// '{a,b}' for path "a.b": the truth side reads the JSON with #> / #>>.
std::string pg_path(std::string_view path) {
    std::string out = "'{";
    for (char ch : path) out += ch == '.' ? ',' : ch;
    return out + "}'";
}

// What the column must hold, from the truth document t.doc, written independently of the
// oura.* helper functions the projections use.
std::string expected(const oura::store::Column& c) {
    const std::string v = "(t.doc #>> " + pg_path(c.path) + ")";
    const std::string j = "(t.doc #> " + pg_path(c.path) + ")";
    const std::string has_offset = v + " ~ '([+-]\\d\\d:?\\d\\d|[Zz])$'";
    switch (c.cast) {
        case Cast::text: return v;
        case Cast::smallint:
        case Cast::integer: return v + "::numeric";
        case Cast::float8: return v + "::double precision";
        case Cast::boolean: return v + "::boolean";
        case Cast::date: return v + "::date";
        case Cast::instant: return "CASE WHEN " + has_offset + " THEN " + v + "::timestamptz END";
        case Cast::utc_instant:
            return "CASE WHEN " + has_offset + " THEN " + v + "::timestamptz ELSE " + v + "::timestamp AT TIME ZONE 'UTC' END";
        case Cast::utc_offset:
            return "CASE WHEN " + v + " ~ '[Zz]$' THEN 0 WHEN " + v + " ~ '[+-]\\d\\d:\\d\\d$' THEN"
                   " (CASE WHEN substr(" + v + ", length(" + v + ") - 5, 1) = '-' THEN -1 ELSE 1 END)"
                   " * (substr(" + v + ", length(" + v + ") - 4, 2)::int * 60 + right(" + v + ", 2)::int) END";
        case Cast::wall_time:
            // (?:…): substring() returns the first capturing group when the pattern has one
            return "substring(" + v + " from '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d(?::\\d\\d(?:\\.\\d+)?)?')::timestamp";
        case Cast::samples:
            return "CASE WHEN jsonb_typeof(" + j + "->'items') = 'array' THEN ARRAY(SELECT x::double precision FROM"
                   " jsonb_array_elements_text(" + j + "->'items') WITH ORDINALITY AS e (x, i) ORDER BY i) END";
        case Cast::text_list:
            return "CASE WHEN jsonb_typeof(" + j + ") = 'array' THEN ARRAY(SELECT x FROM jsonb_array_elements_text(" + j +
                   ") WITH ORDINALITY AS e (x, i) ORDER BY i) ELSE '{}'::text[] END";
        case Cast::json_list: return "coalesce(" + j + ", '[]'::jsonb)";
    }
    return "NULL";
}

std::string actual(const oura::store::Column& c) {
    const std::string col = "r." + std::string(c.name);
    return c.cast == Cast::smallint || c.cast == Cast::integer ? col + "::numeric" : col;
}

// The curated row of truth document t.doc.
std::string row_of(const oura::store::Mapping& m) {
    const std::string table = "oura." + std::string(m.table);
    switch (m.family) {
        case Family::daily:
            return table + " r ON r.user_id = t.user_id AND r.day = (t.doc->>'day')::date";
        case Family::document:
            return table + " r ON r.user_id = t.user_id AND r.document_id = t.doc->>'id'";
        case Family::user:
            return table + " r ON r.user_id = t.user_id";
    }
    return {};
}

}  // namespace

TEST_CASE("after a poller pass every curated column of every resource holds the simulator's value", "[e2e][projections]") {
    Simulator sim({"--users", "2", "--days", "60", "--seed", "13"});
    TestDatabase db;
    auto env = oura::test::platform_env(sim, db.writer_url());
    for (const auto& id : sim.users()) oura::test::register_user(sim, id, env);
    auto run = oura::test::run_binary("poller", {"--days", "61"}, env);
    INFO(run.err.substr(run.err.size() > 4000 ? run.err.size() - 4000 : 0));
    REQUIRE(run.exit_code == 0);

    {
        auto conn = db.connect();
        pqxx::work tx(conn);
        tx.exec("CREATE TABLE truth (user_id bigint, resource text, doc jsonb)");
        for (const auto& id : sim.users()) {
            for (const auto& m : oura::store::mappings()) {
                std::string array = "[";
                for (const auto& d : sim.truth(id, std::string(m.resource))) array += (array.size() > 1 ? "," : "") + d;
                array += "]";
                tx.exec_params("INSERT INTO truth SELECT u.user_id, $2, d FROM oura.users u, jsonb_array_elements($3::jsonb) d"
                               " WHERE u.oura_user_id = $1",
                               id, std::string(m.resource), array);
            }
        }
        tx.commit();
    }
    // One document per day of a daily resource: otherwise the newest would win and the truth row
    // to compare against would be ambiguous.
    std::string daily = "''";
    for (const auto& m : oura::store::mappings())
        if (m.family == Family::daily) daily += ",'" + std::string(m.resource) + "'";
    REQUIRE(db.scalar("SELECT count(*) FROM (SELECT FROM truth WHERE resource IN (" + daily +
                      ") GROUP BY user_id, resource, doc->>'day' HAVING count(*) > 1) x") == "0");

    std::vector<std::string> never_sent;
    for (const auto& m : oura::store::mappings()) {
        const std::string resource(m.resource);
        const auto documents = std::stoll(db.scalar("SELECT count(*) FROM truth WHERE resource = '" + resource + "'"));
        INFO(resource);
        REQUIRE(documents > 0);  // the simulator serves every projected resource
        // The row itself, and the column that names its document.
        CHECK(db.scalar("SELECT count(*) FROM truth t LEFT JOIN " + row_of(m) + " WHERE t.resource = '" + resource +
                        "' AND r." + std::string(m.id_column) + " IS DISTINCT FROM t.doc->>'id'") == "0");
        for (const auto& c : m.columns) {
            INFO(m.table << "." << c.name << " <- " << c.path);
            const auto wrong = db.scalar("SELECT count(*) FROM truth t LEFT JOIN " + row_of(m) + " WHERE t.resource = '" +
                                         resource + "' AND " + actual(c) + " IS DISTINCT FROM " + expected(c));
            if (wrong != "0")
                INFO("for example: " << db.scalar("SELECT 'doc ' || (t.doc->>'id') || ': column ' || coalesce(" + actual(c) +
                                                  "::text, 'NULL') || ', truth ' || coalesce((" + expected(c) +
                                                  ")::text, 'NULL') FROM truth t LEFT JOIN " + row_of(m) +
                                                  " WHERE t.resource = '" + resource + "' AND " + actual(c) +
                                                  " IS DISTINCT FROM " + expected(c) + " LIMIT 1"));
            CHECK(wrong == "0");
            if (db.scalar("SELECT count(*) FROM truth t WHERE t.resource = '" + resource + "' AND jsonb_typeof(t.doc #> " +
                          pg_path(c.path) + ") IS DISTINCT FROM 'null' AND t.doc #> " + pg_path(c.path) + " IS NOT NULL") == "0")
                never_sent.push_back(resource + "." + std::string(c.path));
        }
    }
    // A column the simulator never fills would pass without proving anything.
    INFO("fields the simulator never sent a value for");
    CHECK(never_sent == std::vector<std::string>{});
}

TEST_CASE("reprojecting what a poller pass wrote rewrites no curated row", "[e2e][projections]") {
    Simulator sim({"--users", "1", "--days", "20", "--seed", "17"});
    TestDatabase db;
    auto env = oura::test::platform_env(sim, db.writer_url());
    oura::test::register_user(sim, sim.users()[0], env);
    REQUIRE(oura::test::run_binary("poller", {"--days", "21"}, env).exit_code == 0);
    const std::string versions =
        "SELECT md5(string_agg(v, ',' ORDER BY v)) FROM ("
        " SELECT 'd' || xmin || ctid FROM oura.daily_summaries UNION ALL SELECT 'e' || xmin || ctid FROM oura.sleep_episodes"
        " UNION ALL SELECT 's' || xmin || ctid FROM oura.sleep_samples UNION ALL SELECT 'w' || xmin || ctid FROM oura.workouts"
        " UNION ALL SELECT 'x' || xmin || ctid FROM oura.sessions UNION ALL SELECT 'g' || xmin || ctid FROM oura.enhanced_tags"
        " UNION ALL SELECT 't' || xmin || ctid FROM oura.tags UNION ALL SELECT 'r' || xmin || ctid FROM oura.rest_mode_periods"
        " UNION ALL SELECT 'c' || xmin || ctid FROM oura.ring_configurations"
        " UNION ALL SELECT 'p' || xmin || ctid FROM oura.personal_info) AS x (v)";
    const auto before = db.scalar(versions);
    REQUIRE(std::stoll(db.scalar("SELECT count(*) FROM oura.sleep_samples")) > 0);
    auto r = oura::test::run_binary("oura-admin", {"reproject"}, env);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(db.scalar(versions) == before);
}
