// The shared write path (libs/store) against a real PostgreSQL: what every ingestion path relies on.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "oura/store/database.hpp"
#include "oura/store/documents.hpp"
#include "oura/store/tokens.hpp"
#include "oura/store/users.hpp"

using namespace oura;
using oura::test::TestDatabase;

namespace {

std::string readiness(const std::string& id, const std::string& day, int score) {
    return R"({"id":")" + id + R"(","day":")" + day + R"(","score":)" + std::to_string(score) +
           R"(,"temperature_deviation":0.1,"temperature_trend_deviation":null,"timestamp":")" + day +
           R"(T00:00:00+02:00","contributors":{"activity_balance":80,"body_temperature":90,"hrv_balance":70,)"
           R"("previous_day_activity":60,"previous_night":85,"recovery_index":75,"resting_heart_rate":88,)"
           R"("sleep_balance":77,"sleep_regularity":null}})";
}

const store::DocumentShape day_shape{"day", "timestamp", ""};

long long new_user(pqxx::connection& c) {
    pqxx::work tx(c);
    auto u = store::upsert_user(tx, "oura-user-1", "a@example.test");
    tx.commit();
    return u.user_id;
}

}  // namespace

TEST_CASE("an unchanged page rewrites nothing and a changed document updates raw and curated rows", "[pg][store]") {
    TestDatabase db;
    auto c = db.connect();
    auto uid = new_user(c);
    std::vector<std::string> page{readiness("r1", "2024-03-01", 80), readiness("r2", "2024-03-02", 81)};
    {
        pqxx::work tx(c);
        auto counts = store::upsert_documents(tx, uid, "daily_readiness", day_shape, page);
        tx.commit();
        CHECK(counts.inserted == 2);
    }
    auto stamp = db.scalar("SELECT max(updated_at)::text FROM oura.oura_documents");
    {
        pqxx::work tx(c);
        std::vector<std::string> ids;
        auto counts = store::upsert_documents(tx, uid, "daily_readiness", day_shape, page, &ids);
        tx.commit();
        CHECK(counts.unchanged == 2);
        CHECK(counts.inserted + counts.updated == 0);
        CHECK(ids.size() == 2);
    }
    CHECK(db.scalar("SELECT max(updated_at)::text FROM oura.oura_documents") == stamp);
    CHECK(db.scalar("SELECT readiness_score FROM oura.daily_summaries WHERE day = '2024-03-02'") == "81");
    {
        pqxx::work tx(c);
        auto counts = store::upsert_documents(tx, uid, "daily_readiness", day_shape, {readiness("r2", "2024-03-02", 55)});
        tx.commit();
        CHECK(counts.updated == 1);
    }
    CHECK(db.scalar("SELECT readiness_score FROM oura.daily_summaries WHERE day = '2024-03-02'") == "55");
    CHECK(db.scalar("SELECT payload->>'score' FROM oura.oura_documents WHERE document_id = 'r2'") == "55");
}

TEST_CASE("a document the API stopped returning inside a complete window is tombstoned and the others are left alone",
          "[pg][store]") {
    TestDatabase db;
    auto c = db.connect();
    auto uid = new_user(c);
    {
        pqxx::work tx(c);
        store::upsert_documents(tx, uid, "daily_readiness", day_shape,
                                {readiness("a", "2024-03-01", 70), readiness("b", "2024-03-05", 71), readiness("c", "2024-03-09", 72)});
        tx.commit();
    }
    pqxx::work tx(c);
    auto counts = store::delete_missing(tx, uid, "daily_readiness", "2024-03-04", "2024-03-10", {"c"});
    tx.commit();
    CHECK(counts.deleted == 1);
    CHECK(db.scalar("SELECT string_agg(document_id, ',' ORDER BY document_id) FROM oura.oura_documents WHERE deleted_at IS NULL") == "a,c");
    CHECK(db.scalar("SELECT count(*) FROM oura.daily_summaries WHERE day = '2024-03-05'") == "0");
    CHECK(db.scalar("SELECT readiness_score FROM oura.daily_summaries WHERE day = '2024-03-01'") == "70");
}

TEST_CASE("heart-rate samples arrive through COPY, and repeats and overlaps merge by user, time and source", "[pg][store]") {
    TestDatabase db;
    auto c = db.connect();
    auto uid = new_user(c);
    std::vector<std::string> rows{
        R"({"timestamp":"2024-03-01T00:00:00+00:00","bpm":60,"source":"awake"})",
        R"({"timestamp":"2024-03-01T00:00:00+00:00","bpm":61,"source":"workout"})",
        R"({"timestamp":"2024-03-01T00:05:00+00:00","bpm":58,"source":"awake"})"};
    {
        pqxx::work tx(c);
        auto counts = store::upsert_heart_rate(tx, uid, rows);
        tx.commit();
        CHECK(counts.inserted == 3);
    }
    pqxx::work tx(c);
    rows[2] = R"({"timestamp":"2024-03-01T00:05:00+00:00","bpm":59,"source":"awake"})";
    auto counts = store::upsert_heart_rate(tx, uid, rows);
    tx.commit();
    CHECK(counts.inserted == 0);
    CHECK(counts.updated == 1);
    CHECK(counts.unchanged == 2);
    CHECK(*store::latest_sample(c, uid, "heartrate") == "2024-03-01T00:05:00+00:00");
}

TEST_CASE("tokens are sealed at rest and open only with the same key", "[pg][store]") {
    TestDatabase db;
    auto c = db.connect();
    auto uid = new_user(c);
    store::TokenCipher cipher(std::string(32, 'k'), 1);
    store::StoredTokens t;
    t.access_token = "ACCESS-plaintext-123";
    t.refresh_token = "REFRESH-plaintext-456";
    t.expires_at = std::chrono::system_clock::now() + std::chrono::hours(1);
    t.scopes = {"daily", "heartrate"};
    {
        pqxx::work tx(c);
        store::save_tokens(tx, cipher, uid, t);
        tx.commit();
    }
    CHECK(db.scalar("SELECT position('plaintext' in encode(access_token, 'escape')) + "
                    "position('plaintext' in encode(refresh_token, 'escape')) FROM oura_secret.oauth_tokens") == "0");
    auto back = store::load_tokens(c, cipher, uid);
    REQUIRE(back);
    CHECK(back->access_token == t.access_token);
    CHECK(back->refresh_token == t.refresh_token);
    CHECK(back->scopes == t.scopes);
    store::TokenCipher other(std::string(32, 'o'), 1);
    CHECK_THROWS_AS(store::load_tokens(c, other, uid), store::token_error);
    store::TokenCipher next_version(std::string(32, 'k'), 2);
    CHECK_THROWS_WITH(store::load_tokens(c, next_version, uid), Catch::Contains("key version 1"));
}

TEST_CASE("the pool reconnects when the server drops its connection", "[pg][store]") {
    TestDatabase db;
    store::Pool pool(db.url(), 1);
    auto backend_pid = pool.with_connection([](pqxx::connection& c) {
        pqxx::nontransaction tx(c);
        return tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
    });
    // What a server restart or an idle-connection reaper does to a pooled connection.
    CHECK(db.scalar("SELECT pg_terminate_backend(" + std::to_string(backend_pid) + ")") == "t");
    auto after = pool.with_connection([](pqxx::connection& c) {
        pqxx::nontransaction tx(c);
        return tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
    });
    CHECK(after != backend_pid);
}

TEST_CASE("a document whose fields do not cast is kept raw and costs only its own curated row", "[pg][store]") {
    TestDatabase db;
    auto c = db.connect();
    auto uid = new_user(c);
    auto bad = readiness("bad", "2024-03-02", 80);
    bad.replace(bad.find("\"score\":80"), 10, "\"score\":80.5");  // Oura documents an integer
    pqxx::work tx(c);
    auto counts = store::upsert_documents(tx, uid, "daily_readiness", day_shape, {readiness("good", "2024-03-01", 70), bad});
    tx.commit();
    CHECK(counts.inserted == 2);
    INFO(counts.projection_error);
    CHECK(counts.projection_failures == 1);
    CHECK(counts.projection_error.find("bad") != std::string::npos);
    CHECK(db.scalar("SELECT count(*) FROM oura.oura_documents WHERE deleted_at IS NULL") == "2");
    CHECK(db.scalar("SELECT readiness_score FROM oura.daily_summaries WHERE day = '2024-03-01'") == "70");
    CHECK(db.scalar("SELECT count(*) FROM oura.daily_summaries WHERE day = '2024-03-02'") == "0");
}
