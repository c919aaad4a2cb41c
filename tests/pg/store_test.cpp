// The shared write path (libs/store) against a real PostgreSQL: what every ingestion path relies on.
// The write path runs as the services do in production: a login role that is only a member of
// oura_writer (TestDatabase::writer_url), so a missing grant fails here, not in a cluster.
#include <catch2/catch.hpp>

#include <optional>

#include "harness.hpp"
#include "oura/store/database.hpp"
#include "oura/store/documents.hpp"
#include "oura/store/sync_records.hpp"
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
    pqxx::connection c(db.writer_url());
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

TEST_CASE("a document the API stopped returning inside a complete window is tombstoned, and others are left alone",
          "[pg][store]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
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
    pqxx::connection c(db.writer_url());
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
    pqxx::work read(c);
    CHECK(*store::latest_sample(read, uid, "heartrate") == "2024-03-01T00:05:00+00:00");
}

TEST_CASE("tokens are sealed at rest and open only with the same key", "[pg][store]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
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
    pqxx::nontransaction read(c);
    auto back = store::load_tokens(read, cipher, uid);
    REQUIRE(back);
    CHECK(back->access_token == t.access_token);
    CHECK(back->refresh_token == t.refresh_token);
    CHECK(back->scopes == t.scopes);
    store::TokenCipher other(std::string(32, 'o'), 1);
    CHECK_THROWS_AS(store::load_tokens(read, other, uid), store::token_error);
    store::TokenCipher next_version(std::string(32, 'k'), 2);
    CHECK_THROWS_WITH(store::load_tokens(read, next_version, uid), Catch::Contains("key version 1"));
}

TEST_CASE("the pool reconnects when the server drops its connection", "[pg][store]") {
    TestDatabase db;
    store::Pool pool(db.writer_url(), 1);
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
    pqxx::connection c(db.writer_url());
    auto uid = new_user(c);
    auto bad = readiness("bad", "2024-03-02", 80);
    bad.replace(bad.find("\"score\":80"), 10, "\"score\":80.5");  // Oura documents an integer
    pqxx::work tx(c);
    auto counts = store::upsert_documents(tx, uid, "daily_readiness", day_shape, {readiness("good", "2024-03-01", 70), bad});
    tx.commit();
    CHECK(counts.inserted == 2);
    CHECK(counts.projection_failures == 1);
    REQUIRE(counts.issues.size() == 1);
    CHECK(counts.issues[0].document_id == "bad");
    CHECK(counts.issues[0].problem.find("projection failed") == 0);
    CHECK(db.scalar("SELECT count(*) FROM oura.oura_documents WHERE deleted_at IS NULL") == "2");
    CHECK(db.scalar("SELECT readiness_score FROM oura.daily_summaries WHERE day = '2024-03-01'") == "70");
    CHECK(db.scalar("SELECT count(*) FROM oura.daily_summaries WHERE day = '2024-03-02'") == "0");
}

namespace {

std::string with_field(std::string doc, const std::string& from, const std::string& to) {
    auto at = doc.find(from);
    REQUIRE(at != std::string::npos);
    return doc.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("a malformed day, a time without offset, an empty number and a wrongly typed field cost only their documents",
          "[pg][store]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    auto uid = new_user(c);
    std::vector<std::string> page{
        readiness("good", "2024-03-01", 70),
        with_field(readiness("bad-day", "2024-03-02", 71), R"("day":"2024-03-02")", R"("day":"2024-02-30")"),
        with_field(readiness("no-offset", "2024-03-03", 72), "T00:00:00+02:00", "T00:00:00"),
        with_field(readiness("empty-score", "2024-03-04", 73), R"("score":73)", R"("score":"")"),
        with_field(readiness("typed-score", "2024-03-05", 74), R"("score":74)", R"("score":{"value":74})"),
        readiness("also-good", "2024-03-06", 75)};
    pqxx::work tx(c);
    auto counts = store::upsert_documents(tx, uid, "daily_readiness", day_shape, page);
    tx.commit();

    CHECK(counts.inserted == 6);
    CHECK(db.scalar("SELECT count(*) FROM oura.oura_documents") == "6");
    // Stored as sent, even where nothing could be read from it.
    CHECK(db.scalar("SELECT payload->>'day' FROM oura.oura_documents WHERE document_id = 'bad-day'") == "2024-02-30");
    CHECK(db.scalar("SELECT payload->>'score' FROM oura.oura_documents WHERE document_id = 'empty-score'") == "");
    CHECK(db.scalar("SELECT day IS NULL FROM oura.oura_documents WHERE document_id = 'bad-day'") == "t");
    // Never read through the session's time zone.
    CHECK(db.scalar("SELECT start_at IS NULL FROM oura.oura_documents WHERE document_id = 'no-offset'") == "t");
    CHECK(db.scalar("SELECT day FROM oura.oura_documents WHERE document_id = 'no-offset'") == "2024-03-03");
    CHECK(db.scalar("SELECT start_at = '2024-03-01T00:00:00+02:00' FROM oura.oura_documents WHERE document_id = 'good'") == "t");

    CHECK(counts.malformed_documents == 2);
    CHECK(counts.projection_failures >= 2);
    std::map<std::string, std::string> problems;
    for (const auto& i : counts.issues) problems[i.document_id] += i.problem + ";";
    CHECK_THAT(problems["bad-day"], Catch::Contains("day is not an ISO date"));
    CHECK_THAT(problems["no-offset"], Catch::Contains("timestamp is not an ISO time with an offset"));
    CHECK_THAT(problems["empty-score"], Catch::Contains("projection failed"));
    CHECK_THAT(problems["typed-score"], Catch::Contains("projection failed"));
    CHECK(problems.count("good") == 0);
    CHECK(problems.count("also-good") == 0);

    CHECK(db.scalar("SELECT readiness_score FROM oura.daily_summaries WHERE day = '2024-03-01'") == "70");
    CHECK(db.scalar("SELECT readiness_score FROM oura.daily_summaries WHERE day = '2024-03-06'") == "75");
    CHECK(db.scalar("SELECT readiness_score FROM oura.daily_summaries WHERE day = '2024-03-03'") == "72");
    CHECK(db.scalar("SELECT count(*) FROM oura.daily_summaries WHERE day IN ('2024-03-04', '2024-03-05')") == "0");
}

TEST_CASE("the day and time columns read only ISO 8601, and never raise", "[pg][store]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    pqxx::nontransaction tx(c);
    auto day = [&](const std::string& v) {
        auto r = tx.exec_params1("SELECT oura.lenient_day($1)::text", v);
        return r[0].is_null() ? std::string("NULL") : r[0].as<std::string>();
    };
    auto instant = [&](const std::string& v) {
        auto r = tx.exec_params1("SELECT to_char(oura.lenient_instant($1) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')", v);
        return r[0].is_null() ? std::string("NULL") : r[0].as<std::string>();
    };
    CHECK(day("2024-02-29") == "2024-02-29");
    CHECK(day("2024-03-01T23:30:00-10:00") == "2024-03-01");  // the local day as written, not UTC's
    for (std::string bad : {"", "2023-02-29", "2024-13-01", "2024-00-10", "0000-01-01", "24-03-01", "2024-03-01x", "yesterday"}) {
        INFO(bad);
        CHECK(day(bad) == "NULL");
    }
    CHECK(instant("2024-03-01T23:30:00-10:00") == "2024-03-02 09:30:00.000000");
    CHECK(instant("2024-03-01T00:00:00.123+01:00") == "2024-02-29 23:00:00.123000");
    CHECK(instant("2024-03-01T00:00:00Z") == "2024-03-01 00:00:00.000000");
    for (std::string bad : {"", "2024-03-01T00:00:00", "2024-03-01", "2024-03-01 00:00:00+00:00", "2024-02-30T00:00:00Z",
                            "2024-03-01T24:00:00Z", "2024-03-01T00:00:60Z", "2024-03-01T00:00:00+16:00", "now"}) {
        INFO(bad);
        CHECK(instant(bad) == "NULL");
    }
    // The time series apply the same rule in C++ (a PL/pgSQL call per sample is too slow).
    for (std::string v : {"2024-03-01T23:30:00-10:00", "2024-03-01T00:00:00.123+01:00", "2024-03-01T00:00:00Z",
                          "2024-03-01T00:00:00+0100", "2024-02-29T12:00:00Z", "2023-02-29T12:00:00Z", "0000-01-01T00:00:00Z",
                          "2024-03-01T00:00:00.+01:00", "2024-03-01T00:00:00.1234567890Z", "2024-03-01T00:00:00+14:59",
                          "2024-03-01T00:00:00+15:00", "2024-03-01T00:00:00+01:60", "2024-03-01T00:00:00", "",
                          "2024-03-01T00:00:00 Z", "2024-03-01T00:00:00+01:00x", "２024-03-01T00:00:00Z"}) {
        INFO(v);
        CHECK(store::is_instant_with_offset(v) == (instant(v) != "NULL"));
    }
}

TEST_CASE("heart-rate and battery rows with a null, missing or non-numeric field are skipped and the others land",
          "[pg][store]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    auto uid = new_user(c);
    std::vector<std::string> heart{
        R"({"timestamp":"2024-03-01T00:00:00+00:00","bpm":60,"source":"awake"})",
        R"({"timestamp":"2024-03-01T00:05:00+00:00","bpm":null,"source":"awake"})",
        R"({"bpm":62,"source":"awake"})",
        R"({"timestamp":"2024-03-01T00:15:00","bpm":63,"source":"awake"})",
        R"({"timestamp":"2024-03-01T00:20:00+00:00","bpm":"64","source":"awake"})",
        R"({"timestamp":"","bpm":65,"source":"awake"})",
        R"({"timestamp":"2024-03-01T00:30:00+00:00","bpm":66.5,"source":"awake"})",
        R"(not json)",
        R"({"timestamp":"2024-03-01T00:40:00+00:00","bpm":67,"source":"rest"})"};
    {
        pqxx::work tx(c);
        auto counts = store::upsert_heart_rate(tx, uid, heart);
        tx.commit();
        CHECK(counts.inserted == 3);
        CHECK(counts.skipped_samples == 6);
    }
    CHECK(db.scalar("SELECT string_agg(to_char(ts AT TIME ZONE 'UTC', 'HH24:MI') || '=' || bpm, ',' ORDER BY ts) "
                    "FROM oura.heart_rate_samples") == "00:00=60,00:30=67,00:40=67");
    std::vector<std::string> battery{
        R"({"timestamp":"2024-03-01T00:00:00+00:00","level":80,"charging":false,"in_charger":false})",
        R"({"timestamp":"2024-03-01T00:30:00+00:00","level":null,"charging":false,"in_charger":false})",
        R"({"timestamp":"2024-03-01T01:00:00+00:00","level":"79"})",
        R"({"level":78})",
        R"({"timestamp":"2024-03-01T02:00:00+00:00","level":77})"};
    pqxx::work tx(c);
    auto counts = store::upsert_battery_levels(tx, uid, battery);
    tx.commit();
    CHECK(counts.inserted == 2);
    CHECK(counts.skipped_samples == 3);
    CHECK(db.scalar("SELECT string_agg(level::text || '/' || coalesce(charging::text, '?'), ',' ORDER BY ts) "
                    "FROM oura.ring_battery_levels") == "80/false,77/?");
}

TEST_CASE("a lock timeout during projection fails the page as retryable and is no mapping failure", "[pg][store]") {
    TestDatabase db;
    pqxx::connection setup(db.writer_url());
    auto uid = new_user(setup);
    // A second session holds the curated table, as a long reproject or a migration would.
    pqxx::connection holder(db.url());
    pqxx::work lock(holder);
    lock.exec("LOCK TABLE oura.daily_summaries IN ACCESS EXCLUSIVE MODE");

    store::Pool pool(db.writer_url() + "?options=-c%20lock_timeout%3D200", 1);
    std::optional<store::WriteCounts> counts;
    try {
        counts = pool.transact([&](store::Transaction& tx) {
            return store::upsert_documents(tx, uid, "daily_readiness", day_shape, {readiness("r1", "2024-03-01", 70)});
        });
        FAIL("the page was written although its projection could not take its lock");
    } catch (const store::retryable_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("55P03"));
    }
    lock.abort();
    // Nothing half-written: the page is whole or absent, and the next attempt writes it.
    CHECK(db.scalar("SELECT count(*) FROM oura.oura_documents") == "0");
    counts = pool.transact([&](store::Transaction& tx) {
        return store::upsert_documents(tx, uid, "daily_readiness", day_shape, {readiness("r1", "2024-03-01", 70)});
    });
    CHECK(counts->projection_failures == 0);
    CHECK(db.scalar("SELECT readiness_score FROM oura.daily_summaries") == "70");
}

TEST_CASE("a moved pool lease gives its connection back exactly once", "[pg][store]") {
    TestDatabase db;
    store::Pool pool(db.writer_url(), 1);
    {
        std::optional<store::Pool::Lease> held;
        {
            auto lease = pool.acquire();
            held.emplace(std::move(lease));
        }  // the moved-from lease ends here; the connection is still held
        CHECK_THROWS_AS(pool.acquire(std::chrono::milliseconds(50)), store::database_unavailable);
    }
    auto again = pool.acquire(std::chrono::milliseconds(50));
    CHECK(again->is_open());
}

TEST_CASE("the store's statements are prepared once per connection under their names", "[pg][store]") {
    TestDatabase db;
    store::Pool pool(db.writer_url(), 1);
    auto uid = pool.transact([](store::Transaction& tx) { return store::upsert_user(tx, "oura-user-1", "").user_id; });
    for (int day = 1; day <= 3; ++day)
        pool.transact([&](store::Transaction& tx) {
            store::upsert_documents(tx, uid, "daily_readiness", day_shape, {readiness("r", "2024-03-0" + std::to_string(day), 70 + day)});
        });
    auto prepared = pool.with_connection([](pqxx::connection& conn) {
        pqxx::nontransaction tx(conn);
        return tx.exec1("SELECT string_agg(name, ',' ORDER BY name) FROM pg_prepared_statements")[0].as<std::string>();
    });
    CHECK_THAT(prepared, Catch::Contains("upsert_document_page"));
    CHECK_THAT(prepared, Catch::Contains("upsert_user"));
    CHECK(db.scalar("SELECT readiness_score FROM oura.daily_summaries WHERE day = '2024-03-03'") == "73");
}

TEST_CASE("sync bookkeeping and the user overview work as the writer role", "[pg][store]") {
    TestDatabase db;
    store::Pool pool(db.writer_url(), 1);
    auto uid = pool.transact([](store::Transaction& tx) { return store::upsert_user(tx, "oura-user-1", "a@example.test").user_id; });
    pool.transact([&](store::Transaction& tx) {
        store::record_success(tx, uid, "daily_sleep", {"2024-03-01", "2024-03-03", std::nullopt});
        store::record_failure(tx, uid, "workout", "error", "stored raw, but 1 document(s) have an unreadable day or time");
    });
    auto users = pool.transact([](store::Transaction& tx) { return store::user_overview(tx); });
    REQUIRE(users.size() == 1);
    CHECK(users[0].user.email == "a@example.test");
    CHECK(users[0].grant == "none");
    CHECK(users[0].failing_resources == 1);
    CHECK(users[0].last_success_at != "never");
}
