// The hourly heart-rate rollup (migration 0018) the dashboards read: whatever the writers do to the
// samples, the rollup says what the samples say.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "oura/store/documents.hpp"
#include "oura/store/users.hpp"

using namespace oura;
using oura::test::TestDatabase;

namespace {

// Hours whose rollup row disagrees with the samples, either way.
constexpr const char* mismatches = R"sql(
    SELECT count(*) FROM (
        SELECT user_id, date_bin('1 hour', ts, timestamptz '2000-01-01 00:00:00+00') AS h, source,
               count(*) AS n, sum(bpm) AS s, min(bpm) AS lo, max(bpm) AS hi
          FROM oura.heart_rate_samples GROUP BY 1, 2, 3) a
    FULL JOIN oura.heart_rate_hourly r ON r.user_id = a.user_id AND r.hour = a.h AND r.source = a.source
    WHERE a.n IS DISTINCT FROM r.samples OR a.s IS DISTINCT FROM r.bpm_sum
       OR a.lo IS DISTINCT FROM r.bpm_min OR a.hi IS DISTINCT FROM r.bpm_max
)sql";

long long add_user(pqxx::connection& c, const std::string& oura_id) {
    pqxx::work tx(c);
    auto u = store::upsert_user(tx, oura_id, oura_id + "@example.test");
    tx.commit();
    return u.user_id;
}

std::string sample(int minute, int bpm, const std::string& source = "awake") {
    char ts[64];
    std::snprintf(ts, sizeof ts, "2024-03-01T%02d:%02d:00+00:00", (minute / 60) % 24, minute % 60);
    return std::string(R"({"timestamp":")") + ts + R"(","bpm":)" + std::to_string(bpm) + R"(,"source":")" + source + "\"}";
}

// As the superuser: retention and a person's deletion are plain SQL here.
void run(const TestDatabase& db, const std::string& sql) {
    auto c = db.connect();
    pqxx::nontransaction tx(c);
    tx.exec(sql);
}

void write(pqxx::connection& c, long long uid, const std::vector<std::string>& rows) {
    pqxx::work tx(c);
    store::upsert_heart_rate(tx, uid, rows);
    tx.commit();
}

}  // namespace

TEST_CASE("the hourly heart-rate rollup follows inserts, changed samples and deletes of the writer", "[pg][dashboards]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());  // the services' role: the triggers run with its privileges
    auto uid = add_user(c, "rollup-1");
    std::vector<std::string> rows;
    for (int m = 0; m < 180; m += 5) rows.push_back(sample(m, 60 + m % 17, m % 2 ? "awake" : "workout"));
    write(c, uid, rows);
    CHECK(db.scalar("SELECT count(*) FROM oura.heart_rate_hourly") == "6");  // 3 hours x 2 sources
    CHECK(db.scalar("SELECT bpm_min || '/' || bpm_max || '/' || samples FROM oura.heart_rate_hourly "
                    "WHERE hour = '2024-03-01 01:00+00' AND source = 'workout'") == "62/75/6");  // 69, 62, 72, 65, 75, 68
    CHECK(db.scalar(mismatches) == "0");

    // A changed sample (same instant and source, new bpm) moves its hour's numbers.
    write(c, uid, {sample(65, 190, "awake")});
    CHECK(db.scalar("SELECT bpm_max FROM oura.heart_rate_hourly WHERE hour = '2024-03-01 01:00+00' AND source = 'awake'") == "190");
    CHECK(db.scalar(mismatches) == "0");

    // Retention deletes: an hour without samples has no rollup row left.
    run(db, "DELETE FROM oura.heart_rate_samples WHERE ts < '2024-03-01 01:00+00'");
    CHECK(db.scalar("SELECT count(*) FROM oura.heart_rate_hourly WHERE hour = '2024-03-01 00:00+00'") == "0");
    CHECK(db.scalar(mismatches) == "0");

    // Deleting the person removes their rollup with their samples.
    run(db, "DELETE FROM oura.users WHERE user_id = " + std::to_string(uid));
    CHECK(db.scalar("SELECT count(*) FROM oura.heart_rate_hourly") == "0");
}

TEST_CASE("two writers adding samples of one hour at once leave the rollup exact", "[pg][dashboards]") {
    TestDatabase db;
    pqxx::connection setup(db.writer_url());
    auto uid = add_user(setup, "rollup-2");
    // Both transactions write into the same hours before either commits; the second recompute
    // must see the first one's rows (it waits on the per-person lock, then reads afresh).
    pqxx::connection a(db.writer_url()), b(db.writer_url());
    pqxx::work ta(a);
    std::vector<std::string> first, second;
    for (int m = 0; m < 120; m += 2) first.push_back(sample(m, 70));
    for (int m = 1; m < 120; m += 2) second.push_back(sample(m, 80));
    store::upsert_heart_rate(ta, uid, first);
    std::thread other([&] {
        pqxx::work tb(b);
        store::upsert_heart_rate(tb, uid, second);  // blocks in the trigger until ta commits
        tb.commit();
    });
    // Give the other writer time to reach the lock; the result must be exact either way.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ta.commit();
    other.join();
    CHECK(db.scalar("SELECT sum(samples) FROM oura.heart_rate_hourly") == "120");
    CHECK(db.scalar(mismatches) == "0");
}

TEST_CASE("one page that adds and changes samples of the same hour is counted once", "[pg][dashboards]") {
    // An upsert both inserts and updates: both statement triggers fire, each with its own rows.
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    auto uid = add_user(c, "rollup-3");
    write(c, uid, {sample(0, 60), sample(10, 70), sample(20, 80)});
    write(c, uid, {sample(10, 40), sample(20, 80), sample(30, 95), sample(70, 66)});  // changed, same, new, new hour
    CHECK(db.scalar("SELECT samples || '/' || bpm_sum || '/' || bpm_min || '/' || bpm_max FROM oura.heart_rate_hourly "
                    "WHERE user_id = " + std::to_string(uid) + " AND hour = '2024-03-01 00:00+00'") == "4/275/40/95");
    CHECK(db.scalar("SELECT count(*) FROM oura.heart_rate_hourly") == "2");
    CHECK(db.scalar(mismatches) == "0");
}

TEST_CASE("taking away an hour's lowest and highest samples, or moving samples elsewhere, leaves the rollup exact",
          "[pg][dashboards]") {
    TestDatabase db;
    pqxx::connection c(db.writer_url());
    auto uid = add_user(c, "rollup-4");
    std::vector<std::string> rows;
    for (int m = 0; m < 120; m += 3) rows.push_back(sample(m, 50 + m % 40));
    write(c, uid, rows);
    const std::string hour0 = "WHERE user_id = " + std::to_string(uid) + " AND hour = '2024-03-01 00:00+00' AND source = 'awake'";
    auto before = db.scalar("SELECT bpm_min || '/' || bpm_max FROM oura.heart_rate_hourly " + hour0);
    // Retention-like: the hour's extremes go, the rest stays; min and max are read again.
    run(db, "DELETE FROM oura.heart_rate_samples WHERE bpm IN (SELECT min(bpm) FROM oura.heart_rate_samples "
            "UNION SELECT max(bpm) FROM oura.heart_rate_samples)");
    CHECK(db.scalar("SELECT bpm_min || '/' || bpm_max FROM oura.heart_rate_hourly " + hour0) != before);
    CHECK(db.scalar(mismatches) == "0");
    // An operator relabels some samples: they leave one (hour, source) row and make another.
    run(db, "UPDATE oura.heart_rate_samples SET source = 'rest' WHERE ts < '2024-03-01 00:30+00'");
    CHECK(db.scalar("SELECT count(*) FROM oura.heart_rate_hourly WHERE source = 'rest'") == "1");
    CHECK(db.scalar(mismatches) == "0");
    // Moving every sample of an hour to another hour empties the first.
    run(db, "UPDATE oura.heart_rate_samples SET ts = ts + interval '5 hours' WHERE ts >= '2024-03-01 01:00+00'");
    CHECK(db.scalar("SELECT count(*) FROM oura.heart_rate_hourly WHERE hour = '2024-03-01 01:00+00'") == "0");
    CHECK(db.scalar(mismatches) == "0");
}
