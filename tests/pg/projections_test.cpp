// The projections generated from the column table, against a real PostgreSQL: every statement runs
// on the migrated schema, casts match the columns, Oura's digits are kept, and a daily document
// that changes its day leaves nothing behind.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "oura/store/documents.hpp"
#include "oura/store/projections.hpp"
#include "oura/store/users.hpp"

using namespace oura;
using oura::test::TestDatabase;

namespace {

const store::DocumentShape day_shape{"day", "timestamp", ""};

std::string readiness(const std::string& id, const std::string& day, int score) {
    return R"({"id":")" + id + R"(","day":")" + day + R"(","score":)" + std::to_string(score) +
           R"(,"temperature_deviation":-0.123456789012345,"temperature_trend_deviation":null,"timestamp":")" + day +
           R"(T00:00:00+02:00","contributors":{"activity_balance":80,"hrv_balance":70}})";
}

std::string daily_sleep(const std::string& id, const std::string& day, int score) {
    return R"({"id":")" + id + R"(","day":")" + day + R"(","score":)" + std::to_string(score) + R"(,"timestamp":")" + day +
           R"(T00:00:00+02:00","contributors":{"deep_sleep":60}})";
}

long long new_user(pqxx::connection& c) {
    pqxx::work tx(c);
    auto u = store::upsert_user(tx, "oura-user-1", "a@example.test");
    tx.commit();
    return u.user_id;
}

// One transaction per write, like one poller page: each gets its own now(), so a later write is
// the newer document.
void write(pqxx::connection& c, long long uid, const std::string& resource, const std::vector<std::string>& docs,
           const store::DocumentShape& shape = day_shape) {
    pqxx::work tx(c);
    auto counts = store::upsert_documents(tx, uid, resource, shape, docs);
    tx.commit();
    for (const auto& issue : counts.issues) UNSCOPED_INFO(issue.document_id + ": " + issue.problem);
    REQUIRE(counts.projection_failures == 0);
}

// The SQL type a cast produces, as format_type() spells it.
std::string type_of(store::Cast cast) {
    switch (cast) {
        case store::Cast::text: return "text";
        case store::Cast::smallint: return "smallint";
        case store::Cast::integer: return "integer";
        case store::Cast::float8: return "double precision";
        case store::Cast::boolean: return "boolean";
        case store::Cast::date: return "date";
        case store::Cast::instant: return "timestamp with time zone";
        case store::Cast::utc_instant: return "timestamp with time zone";
        case store::Cast::utc_offset: return "smallint";
        case store::Cast::wall_time: return "timestamp without time zone";
        case store::Cast::samples: return "double precision[]";
        case store::Cast::text_list: return "text[]";
        case store::Cast::json_list: return "jsonb";
    }
    return "?";
}

}  // namespace

TEST_CASE("a daily document whose day changes leaves no row behind on its old day", "[pg][projections]") {
    TestDatabase db;
    auto c = db.connect();
    auto uid = new_user(c);
    write(c, uid, "daily_readiness", {readiness("r1", "2024-03-01", 80)});
    REQUIRE(db.scalar("SELECT readiness_score FROM oura.daily_summaries WHERE day = '2024-03-01'") == "80");

    write(c, uid, "daily_readiness", {readiness("r1", "2024-03-02", 81)});
    CHECK(db.scalar("SELECT count(*) FROM oura.daily_summaries WHERE day = '2024-03-01'") == "0");
    CHECK(db.scalar("SELECT daily_readiness_id || ' ' || readiness_score FROM oura.daily_summaries WHERE day = '2024-03-02'") ==
          "r1 81");
    CHECK(db.scalar("SELECT count(*) FROM oura.daily_summaries") == "1");
}

TEST_CASE("the old day of a moved daily document keeps its other sources and the next document of that day takes over",
          "[pg][projections]") {
    TestDatabase db;
    auto c = db.connect();
    auto uid = new_user(c);
    write(c, uid, "daily_sleep", {daily_sleep("s1", "2024-03-01", 75)});
    write(c, uid, "daily_readiness", {readiness("a", "2024-03-01", 70)});
    write(c, uid, "daily_readiness", {readiness("b", "2024-03-05", 60)});
    write(c, uid, "daily_readiness", {readiness("c", "2024-03-05", 65)});  // newer: wins 03-05
    REQUIRE(db.scalar("SELECT readiness_score FROM oura.daily_summaries WHERE day = '2024-03-05'") == "65");

    // Both move in one page: one statement clears two old days and fills two new ones.
    write(c, uid, "daily_readiness", {readiness("a", "2024-03-02", 71), readiness("c", "2024-03-06", 66)});

    // 03-01: the sleep columns stay, every readiness column is cleared.
    CHECK(db.scalar("SELECT sleep_score FROM oura.daily_summaries WHERE day = '2024-03-01'") == "75");
    CHECK(db.scalar("SELECT num_nonnulls(daily_readiness_id, readiness_score, readiness_timestamp,"
                    " readiness_temperature_deviation_celsius, readiness_hrv_balance_score)"
                    " FROM oura.daily_summaries WHERE day = '2024-03-01'") == "0");
    // 03-05: b, still live on that day, takes over from c.
    CHECK(db.scalar("SELECT daily_readiness_id || ' ' || readiness_score FROM oura.daily_summaries WHERE day = '2024-03-05'") ==
          "b 60");
    CHECK(db.scalar("SELECT daily_readiness_id || ' ' || readiness_score FROM oura.daily_summaries WHERE day = '2024-03-02'") ==
          "a 71");
    CHECK(db.scalar("SELECT daily_readiness_id || ' ' || readiness_score FROM oura.daily_summaries WHERE day = '2024-03-06'") ==
          "c 66");

    // A reproject finds nothing left to fix.
    auto before = db.scalar("SELECT string_agg(xmin::text, ',' ORDER BY day) FROM oura.daily_summaries");
    {
        store::Pool pool(db.url(), 1);
        store::ReprojectOptions options;
        options.user_id = uid;
        CHECK(store::reproject(pool, options).failed == 0);
    }
    CHECK(db.scalar("SELECT string_agg(xmin::text, ',' ORDER BY day) FROM oura.daily_summaries") == before);
}

TEST_CASE("fractional numbers keep every digit Oura sent", "[pg][projections]") {
    TestDatabase db;
    auto c = db.connect();
    auto uid = new_user(c);
    write(c, uid, "workout",
          {R"({"id":"w1","day":"2024-03-01","activity":"walking","intensity":"easy","source":"manual","label":null,)"
           R"("calories":123.456789012345,"distance":46.89835310974273,)"
           R"("start_datetime":"2024-03-01T10:00:00+01:00","end_datetime":"2024-03-01T10:30:00+01:00"})"},
          {"day", "start_datetime", "end_datetime"});
    CHECK(db.scalar("SELECT distance_meters::text FROM oura.workouts") == "46.89835310974273");
    CHECK(db.scalar("SELECT calories_kcal::text FROM oura.workouts") == "123.456789012345");
    write(c, uid, "daily_readiness", {readiness("r1", "2024-03-01", 80)});
    CHECK(db.scalar("SELECT readiness_temperature_deviation_celsius::text FROM oura.daily_summaries") == "-0.123456789012345");
    CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'oura'"
                    " AND udt_name IN ('float4', '_float4')") == "0");
}

TEST_CASE("every generated statement runs on the migrated schema and each cast is its column's type", "[pg][projections]") {
    TestDatabase db;
    auto c = db.connect();
    auto uid = new_user(c);
    pqxx::work tx(c);
    for (const auto& p : store::projections()) {
        INFO(p.resource);
        c.prepare(std::string(p.upsert_name), std::string(p.upsert_sql));
        c.prepare(std::string(p.remove_name), std::string(p.remove_sql));
        c.prepare(std::string(p.upsert_all_name), std::string(p.upsert_all_sql));
        c.prepare(std::string(p.remove_all_name), std::string(p.remove_all_sql));
        CHECK_NOTHROW(tx.exec_prepared(std::string(p.upsert_name), uid, "{\"x\"}"));
        CHECK_NOTHROW(tx.exec_prepared(std::string(p.remove_name), uid, "{\"x\"}"));
        CHECK_NOTHROW(tx.exec_prepared(std::string(p.upsert_all_name), uid));
        CHECK_NOTHROW(tx.exec_prepared(std::string(p.remove_all_name), uid));
        const auto& m = *p.mapping;
        for (const auto& col : m.columns) {
            INFO(m.table << "." << col.name);
            auto r = tx.exec_params(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                " WHERE attrelid = ('oura.' || $1)::regclass AND attname = $2 AND NOT attisdropped",
                std::string(m.table), std::string(col.name));
            REQUIRE(r.size() == 1);
            CHECK(r[0][0].as<std::string>() == type_of(col.cast));
        }
    }
}
