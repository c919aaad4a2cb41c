// The write path end to end, with documents Oura might send malformed: recorded fixtures served by
// the real simulator, the real poller and oura-admin connecting as the services' login role (a
// member of oura_writer only), a real PostgreSQL.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "harness.hpp"
#include "oura/core/crypto.hpp"
#include "oura/core/time.hpp"
#include "sim.hpp"

using oura::test::Simulator;
using oura::test::TestDatabase;
namespace fs = std::filesystem;

namespace {

std::string day_before(int days) {
    auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
    return oura::core::format_date(today - std::chrono::days(days));
}

std::string readiness(const std::string& id, const std::string& day, const std::string& score,
                      const std::string& timestamp) {
    return R"({"id":")" + id + R"(","day":")" + day + R"(","score":)" + score +
           R"(,"temperature_deviation":0.1,"temperature_trend_deviation":null,"timestamp":")" + timestamp +
           R"(","contributors":{"activity_balance":80,"body_temperature":90,"hrv_balance":70,)"
           R"("previous_day_activity":60,"previous_night":85,"recovery_index":75,"resting_heart_rate":88,)"
           R"("sleep_balance":77,"sleep_regularity":null}})";
}

std::string heart(const std::string& time, const std::string& bpm) {
    return R"({"bpm":)" + bpm + R"(,"source":"awake","timestamp":")" + day_before(1) + "T" + time + R"(+00:00"})";
}

// One recorded user whose readiness page holds, among good documents, a malformed day, a time
// without offset, an empty string where a number belongs and a number of the wrong type; and whose
// heart rate holds a null and a string among good samples.
struct Fixtures {
    fs::path dir = fs::temp_directory_path() / ("write-path-" + oura::core::to_hex(oura::core::random_bytes(6)));

    Fixtures() {
        fs::create_directories(dir / "alice");
        std::ofstream(dir / "alice" / "personal_info.json") << R"({"id":"fixture-user","email":"f@example.test"})";
        auto at = [](int days) { return day_before(days) + "T04:00:00+02:00"; };
        std::ofstream(dir / "alice" / "daily_readiness.json")
            << "{\"data\":[" << readiness("good-6", day_before(6), "70", at(6)) << ","
            << readiness("bad-day", day_before(5) + "x", "71", at(5)) << ","
            << readiness("no-offset", day_before(4), "72", day_before(4) + "T04:00:00") << ","
            << readiness("empty-score", day_before(3), "\"\"", at(3)) << ","
            << readiness("typed-score", day_before(2), "true", at(2)) << ","
            << readiness("good-1", day_before(1), "75", at(1)) << "]}";
        std::ofstream(dir / "alice" / "heartrate.json")
            << "{\"data\":[" << heart("10:00:00", "60") << "," << heart("10:05:00", "null") << ","
            << heart("10:10:00", "\"62\"") << "," << heart("10:15:00", "61.6") << "," << heart("10:20:00", "64") << "]}";
    }
    ~Fixtures() { fs::remove_all(dir); }
};

struct Platform {
    Simulator sim;
    TestDatabase db;
    std::map<std::string, std::string> env;

    explicit Platform(const Fixtures& f) : sim({"--fixtures", f.dir.string()}) {
        env = oura::test::platform_env(sim, db.writer_url());
        oura::test::register_user(sim, sim.user_id(0), env);
    }

    std::string scalar(const std::string& sql) { return db.scalar(sql); }
};

std::string readiness_score(Platform& p, int days_ago) {
    return p.scalar("SELECT coalesce(max(readiness_score)::text, 'none') FROM oura.daily_summaries WHERE day = '" +
                    day_before(days_ago) + "'");
}

}  // namespace

TEST_CASE("a page with malformed documents lands whole: every raw document kept, the bad ones reported, the rest projected",
          "[e2e][store]") {
    Fixtures f;
    Platform p(f);
    auto run = oura::test::run_binary("poller", {"--days", "8", "--resources", "daily_readiness,heartrate"}, p.env);
    INFO(run.err.substr(run.err.size() > 6000 ? run.err.size() - 6000 : 0));
    // Stored, but curated data is missing: the run says so.
    CHECK(run.exit_code == 1);

    CHECK(p.scalar("SELECT count(*) FROM oura.oura_documents WHERE resource = 'daily_readiness'") == "6");
    CHECK(p.scalar("SELECT payload->>'day' FROM oura.oura_documents WHERE document_id = 'bad-day'") == day_before(5) + "x");
    CHECK(p.scalar("SELECT (day IS NULL)::text FROM oura.oura_documents WHERE document_id = 'bad-day'") == "true");
    CHECK(p.scalar("SELECT (start_at IS NULL)::text FROM oura.oura_documents WHERE document_id = 'no-offset'") == "true");

    CHECK(readiness_score(p, 6) == "70");
    CHECK(readiness_score(p, 4) == "72");
    CHECK(readiness_score(p, 3) == "none");
    CHECK(readiness_score(p, 2) == "none");
    CHECK(readiness_score(p, 1) == "75");

    // Reported: each document by user, resource and id in the log, and the resource in sync_state.
    for (std::string id : {"bad-day", "no-offset", "empty-score", "typed-score"}) {
        INFO(id);
        CHECK(run.err.find("\"document_id\":\"" + id + "\"") != std::string::npos);
    }
    CHECK(p.scalar("SELECT status FROM oura.sync_state WHERE resource = 'daily_readiness'") == "error");
    CHECK_THAT(p.scalar("SELECT last_error FROM oura.sync_state WHERE resource = 'daily_readiness'"),
               Catch::Contains("stored raw"));

    // Heart rate: the null and the string are skipped, 61.6 is rounded, the rest is kept.
    CHECK(p.scalar("SELECT string_agg(to_char(ts AT TIME ZONE 'UTC', 'HH24:MI') || '=' || bpm, ',' ORDER BY ts) "
                   "FROM oura.heart_rate_samples") == "10:00=60,10:15=62,10:20=64");
    CHECK(p.scalar("SELECT status FROM oura.sync_state WHERE resource = 'heartrate'") == "ok");
    CHECK(run.err.find("time-series rows skipped") != std::string::npos);
}

TEST_CASE("reproject rebuilds everything else, names the uncastable document and exits 1", "[e2e][store]") {
    Fixtures f;
    Platform p(f);
    oura::test::run_binary("poller", {"--days", "8", "--resources", "daily_readiness"}, p.env);
    REQUIRE(p.scalar("SELECT count(*) FROM oura.oura_documents WHERE resource = 'daily_readiness'") == "6");
    {
        auto c = p.db.connect();
        pqxx::nontransaction tx(c);
        tx.exec("TRUNCATE oura.daily_summaries");
    }
    REQUIRE(readiness_score(p, 6) == "none");

    auto r = oura::test::run_binary("oura-admin", {"reproject", "--batch-size", "2"}, p.env);
    INFO(r.out);
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(readiness_score(p, 6) == "70");
    CHECK(readiness_score(p, 4) == "72");
    CHECK(readiness_score(p, 1) == "75");
    // By resource, then each document by id (the malformed day may fail its cast too).
    CHECK_THAT(r.out, Catch::Contains("daily_readiness: ") && Catch::Contains(" document(s) failed"));
    CHECK_THAT(r.out, Catch::Contains("daily_readiness empty-score: projection failed"));
    CHECK_THAT(r.out, Catch::Contains("daily_readiness typed-score: projection failed"));
    CHECK(r.out.find("good-") == std::string::npos);
    // Not a terminal: the summary only, no progress line redrawn in place.
    CHECK(r.err.find('\r') == std::string::npos);

    // Only one resource asked for: the same failures, and the other resources are not touched.
    auto one = oura::test::run_binary("oura-admin", {"reproject", "--resource", "daily_readiness"}, p.env);
    CHECK(one.exit_code == 1);
    CHECK_THAT(one.out, Catch::Contains("of 1 resource(s)"));
    auto clean = oura::test::run_binary("oura-admin", {"reproject", "--resource", "workout"}, p.env);
    INFO(clean.out);
    CHECK(clean.exit_code == 0);
    CHECK_THAT(clean.out, Catch::Contains("0 failed"));
}

TEST_CASE("a lock timeout while projecting fails the window as retryable, not as a mapping failure", "[e2e][store]") {
    Fixtures f;
    Platform p(f);
    // Another session holds the curated table longer than the writer's lock_timeout.
    auto holder = p.db.connect();
    pqxx::work lock(holder);
    lock.exec("LOCK TABLE oura.daily_summaries IN ACCESS EXCLUSIVE MODE");
    auto env = p.env;
    env["OURA_DATABASE_URL"] = p.db.writer_url() + "?options=-c%20lock_timeout%3D300";
    auto run = oura::test::run_binary("poller", {"--days", "8", "--resources", "daily_readiness,heartrate"}, env);
    lock.abort();
    INFO(run.err.substr(run.err.size() > 6000 ? run.err.size() - 6000 : 0));
    CHECK(run.exit_code == 1);

    auto failed = oura::test::last_log_line(run.err, "resource sync failed");
    REQUIRE(!failed.empty());
    CHECK_THAT(failed, Catch::Contains("\"resource\":\"daily_readiness\"") && Catch::Contains("\"retryable\":true") &&
                           Catch::Contains("55P03"));
    CHECK(run.err.find("could not be projected") == std::string::npos);
    CHECK(run.err.find("document stored raw with a problem") == std::string::npos);
    CHECK(p.scalar("SELECT status FROM oura.sync_state WHERE resource = 'daily_readiness'") == "error");
    CHECK_THAT(p.scalar("SELECT last_error FROM oura.sync_state WHERE resource = 'daily_readiness'"),
               Catch::Contains("retryable"));
    // The failed page is not half-written; heart rate, which needs no such lock, landed.
    CHECK(p.scalar("SELECT count(*) FROM oura.oura_documents WHERE resource = 'daily_readiness'") == "0");
    CHECK(p.scalar("SELECT status FROM oura.sync_state WHERE resource = 'heartrate'") == "ok");

    // Retried without the lock, the same window lands.
    oura::test::run_binary("poller", {"--days", "8", "--resources", "daily_readiness"}, p.env);
    CHECK(p.scalar("SELECT count(*) FROM oura.oura_documents WHERE resource = 'daily_readiness'") == "6");
}
