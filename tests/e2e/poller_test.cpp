// The poller against the real simulator and a real PostgreSQL: what a person running the CronJob
// would find in their database.
#include <catch2/catch.hpp>

#include <mutex>
#include <thread>

#include "oura/http/server.hpp"

#include "harness.hpp"
#include "oura/core/json.hpp"
#include "sim.hpp"
#include "truth.hpp"
#include "wait.hpp"

using oura::test::Simulator;
using oura::test::TestDatabase;

namespace {


struct Platform {
    Simulator& sim;
    TestDatabase& db;
    std::map<std::string, std::string> env;

    Platform(Simulator& s, TestDatabase& d) : sim(s), db(d) {
        // The services connect as a member of oura_writer, as in production.
        env = oura::test::platform_env(sim, db.writer_url());
        // The simulator holds whole local days up to its today for every user, wherever they live;
        // at noon UTC of that day every simulated user (UTC-8 to UTC+9) is on it too.
        auto clock = oura::core::parse_json(sim.get("/_sim/clock").body);
        env["OURA_NOW"] = std::string(*oura::core::get_string(clock, "today")) + "T12:00:00Z";
    }

    void register_users() {
        for (const auto& id : sim.users()) oura::test::register_user(sim, id, env);
    }

    oura::core::ProcessResult poll(std::vector<std::string> args) {
        return oura::test::run_binary("poller", args, env);
    }

    long long user_id(const std::string& oura_id) {
        return std::stoll(db.scalar("SELECT user_id FROM oura.users WHERE oura_user_id = '" + oura_id + "'"));
    }

    // Loads the simulator's ground truth into a table of the test database, for comparisons in SQL.
    void load_truth() {
        oura::test::load_truth(db, sim, [&](const std::string& id) { return user_id(id); });
    }

    long long count(const std::string& sql) { return std::stoll(db.scalar(sql)); }
};

void require_database_equals_truth(Platform& p) {
    p.load_truth();
    for (const auto& [what, sql] : oura::test::truth_checks) {
        INFO(what);
        CHECK(p.count(sql) == 0);
    }
}

long long field(const std::string& line, const char* key) {
    auto doc = oura::core::parse_json(line);
    return *oura::core::get_int(doc, key);
}

}  // namespace

TEST_CASE("one poller run copies 3 users x 120 days exactly as the simulator holds them, and a second run writes nothing",
          "[e2e][poller]") {
    Simulator sim({"--users", "3", "--days", "120", "--seed", "7"});
    TestDatabase db;
    Platform p(sim, db);
    p.register_users();

    auto first = p.poll({"--days", "121"});
    INFO(first.err.substr(first.err.size() > 4000 ? first.err.size() - 4000 : 0));
    REQUIRE(first.exit_code == 0);
    auto summary = oura::test::last_log_line(first.err, "poller run finished");
    REQUIRE(!summary.empty());
    CHECK(field(summary, "inserted") > 0);
    CHECK(field(summary, "failures") == 0);
    CHECK(p.count("SELECT count(*) FROM oura.sync_state WHERE status <> 'ok'") == 0);
    CHECK(p.count("SELECT count(*) FROM oura.sync_runs WHERE status = 'succeeded'") == 1);
    CHECK(p.count("SELECT count(*) FROM oura.personal_info WHERE age IS NOT NULL") == 3);
    require_database_equals_truth(p);

    auto second = p.poll({"--days", "121"});
    REQUIRE(second.exit_code == 0);
    auto again = oura::test::last_log_line(second.err, "poller run finished");
    CHECK(field(again, "inserted") == 0);
    CHECK(field(again, "updated") == 0);
    CHECK(field(again, "deleted") == 0);
}

TEST_CASE("reproject rebuilds every curated table from the raw documents alone", "[e2e][poller]") {
    Simulator sim({"--users", "2", "--days", "15", "--seed", "5"});
    TestDatabase db;
    Platform p(sim, db);
    p.register_users();
    REQUIRE(p.poll({"--days", "16"}).exit_code == 0);
    {
        auto c = db.connect();
        pqxx::work tx(c);
        tx.exec("TRUNCATE oura.daily_summaries, oura.sleep_samples, oura.sleep_episodes, oura.workouts, oura.sessions, "
                "oura.enhanced_tags, oura.tags, oura.rest_mode_periods, oura.ring_configurations, oura.personal_info");
        tx.commit();
    }
    REQUIRE(p.count("SELECT count(*) FROM oura.sleep_episodes") == 0);
    auto r = oura::test::run_binary("oura-admin", {"reproject"}, p.env);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    require_database_equals_truth(p);
}

TEST_CASE("the poller pushes its run metrics to a Pushgateway when one is configured", "[e2e][poller]") {
    Simulator sim({"--users", "1", "--days", "3"});
    TestDatabase db;
    Platform p(sim, db);
    p.register_users();
    std::mutex mutex;
    std::vector<oura::http::Request> pushes;
    oura::http::Server gateway({}, [&](const oura::http::Request& req) {
        std::lock_guard lock(mutex);
        pushes.push_back(req);
        return oura::http::text_response(200, "");
    });
    gateway.start();
    p.env["OURA_PUSHGATEWAY_URL"] = "http://127.0.0.1:" + std::to_string(gateway.port());
    REQUIRE(p.poll({"--days", "3"}).exit_code == 0);
    std::lock_guard lock(mutex);
    REQUIRE(pushes.size() == 1);
    CHECK(pushes[0].path().find("/metrics/job/oura_poller") == 0);
    CHECK(pushes[0].body.find("oura_poller_last_run_timestamp_seconds") != std::string::npos);
    CHECK(pushes[0].body.find("oura_poller_rows_written_total{") != std::string::npos);
    CHECK(pushes[0].body.find("oura_api_requests_total{") != std::string::npos);
}

TEST_CASE("a revised document is updated and a deleted one disappears from the curated tables", "[e2e][poller]") {
    Simulator sim({"--users", "1", "--days", "10", "--seed", "3"});
    TestDatabase db;
    Platform p(sim, db);
    p.register_users();
    REQUIRE(p.poll({"--days", "11"}).exit_code == 0);

    auto user = sim.users()[0];
    auto readiness = sim.truth(user, "daily_readiness");
    auto sleeps = sim.truth(user, "sleep");
    REQUIRE(!readiness.empty());
    REQUIRE(!sleeps.empty());
    auto revised_id = std::string(*oura::core::get_string(oura::core::parse_json(readiness.back()), "id"));
    auto deleted_id = std::string(*oura::core::get_string(oura::core::parse_json(sleeps.back()), "id"));
    REQUIRE(sim.call("POST", "/_sim/documents/" + user + "/daily_readiness/" + revised_id + "/revise").status == 200);
    REQUIRE(sim.call("POST", "/_sim/documents/" + user + "/sleep/" + deleted_id + "/delete").status == 200);

    auto run = p.poll({"--days", "3"});
    REQUIRE(run.exit_code == 0);
    auto summary = oura::test::last_log_line(run.err, "poller run finished");
    CHECK(field(summary, "updated") >= 1);
    CHECK(field(summary, "deleted") >= 1);
    CHECK(p.count("SELECT count(*) FROM oura.sleep_episodes WHERE document_id = '" + deleted_id + "'") == 0);
    CHECK(p.count("SELECT count(*) FROM oura.sleep_samples WHERE sleep_document_id = '" + deleted_id + "'") == 0);
    CHECK(p.count("SELECT count(*) FROM oura.oura_documents WHERE document_id = '" + deleted_id + "' AND deleted_at IS NOT NULL") == 1);
    require_database_equals_truth(p);
}

TEST_CASE("an expired access token costs exactly one refresh and the rotated pair is kept", "[e2e][poller]") {
    Simulator sim({"--users", "1", "--days", "5"});
    TestDatabase db;
    Platform p(sim, db);
    p.register_users();
    REQUIRE(sim.call("POST", "/_sim/tokens/expire").status == 200);

    auto run = p.poll({"--days", "5", "--concurrency", "8"});
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(p.count("SELECT refresh_count FROM oura_secret.oauth_tokens") == 1);
    CHECK(sim.successful_grants("refresh_token") == 1);

    // The stored pair is the rotated one: the next run needs no refresh at all.
    REQUIRE(p.poll({"--days", "2"}).exit_code == 0);
    CHECK(sim.successful_grants("refresh_token") == 1);
}

TEST_CASE("a scope the user did not grant is recorded for that resource while the others complete", "[e2e][poller]") {
    Simulator sim({"--users", "1", "--days", "5"});
    TestDatabase db;
    Platform p(sim, db);
    auto user = sim.users()[0];
    REQUIRE(sim.call("POST", "/_sim/users/" + user + "/scopes",
                     R"(["email","personal","daily","workout","tag","session","spo2","stress","heart_health","ring_configuration"])")
                .status == 200);
    p.register_users();

    auto run = p.poll({"--days", "5"});
    INFO(run.err);
    CHECK(run.exit_code == 0);
    CHECK(db.scalar("SELECT status FROM oura.sync_state WHERE resource = 'heartrate'") == "scope_missing");
    CHECK(db.scalar("SELECT last_error FROM oura.sync_state WHERE resource = 'heartrate'").find("heartrate") != std::string::npos);
    CHECK(p.count("SELECT count(*) FROM oura.sync_state WHERE resource <> 'heartrate' AND status = 'ok'") ==
          p.count("SELECT count(*) FROM oura.sync_state") - 1);
    CHECK(p.count("SELECT count(*) FROM oura.heart_rate_samples") == 0);
    CHECK(p.count("SELECT count(*) FROM oura.sleep_episodes") > 0);
}

TEST_CASE("a second poller started during a run exits at once and the first does the work", "[e2e][poller]") {
    Simulator sim({"--users", "1", "--days", "5"});
    TestDatabase db;
    Platform p(sim, db);
    p.register_users();
    // Slow every API call down so the first run is still going when the second starts.
    REQUIRE(sim.call("POST", "/_sim/faults", R"({"route":"*","kind":"latency","latency_ms":150,"probability":1})").status == 200);

    std::vector<std::string> argv{oura::test::binary("poller"), "--days", "5", "--concurrency", "1"};
    oura::core::ChildProcess first(argv, p.env);
    // The first run records itself only once it holds the lock.
    oura::test::wait_until("the first run holds the lock and has started",
                           [&] { return p.count("SELECT count(*) FROM oura.sync_runs WHERE status = 'running'") == 1; });
    auto second = p.poll({"--days", "5"});
    CHECK(second.exit_code == 0);
    CHECK(!oura::test::last_log_line(second.err, "another poller run holds the lock; nothing to do").empty());
    CHECK(first.wait(std::chrono::minutes(2)) == 0);
    CHECK(p.count("SELECT count(*) FROM oura.sync_runs") == 1);
}

TEST_CASE("a dry run lists the plan and writes nothing", "[e2e][poller]") {
    Simulator sim({"--users", "2", "--days", "3"});
    TestDatabase db;
    Platform p(sim, db);
    p.register_users();
    auto run = p.poll({"--dry-run", "--resources", "sleep,heartrate"});
    CHECK(run.exit_code == 0);
    CHECK(std::count(run.out.begin(), run.out.end(), '\n') == 4);
    CHECK(p.count("SELECT count(*) FROM oura.sync_runs") == 0);
    CHECK(p.count("SELECT count(*) FROM oura.oura_documents") == 0);
    CHECK(p.poll({"--resources", "sleeep"}).exit_code == 2);
}

TEST_CASE("429 storms, 5xx, hangs and truncated bodies at 20% still end in the same database", "[fault][poller]") {
    // Small pages make hundreds of requests, so a 3-5 % fault rate is really felt.
    Simulator sim({"--users", "2", "--days", "30", "--seed", "11", "--page-size", "4", "--series-page-size", "2000"});
    TestDatabase db;
    Platform p(sim, db);
    p.env["OURA_HTTP_TIMEOUT"] = "1s";
    p.register_users();
    for (auto spec : {R"({"route":"*","kind":"429","count":5,"retry_after":1})",  // a storm at the start
                      R"({"route":"*","kind":"429","probability":0.03,"retry_after":1})",
                      R"({"route":"*","kind":"503","probability":0.05})",
                      R"({"route":"*","kind":"hang","probability":0.04,"latency_ms":3000})",
                      R"({"route":"*","kind":"truncate","probability":0.03})",
                      R"({"route":"*","kind":"reset","probability":0.03})"})
        REQUIRE(sim.call("POST", "/_sim/faults", spec).status == 200);

    auto run = p.poll({"--days", "31"});
    INFO(run.err.substr(run.err.size() > 4000 ? run.err.size() - 4000 : 0));
    CHECK(run.exit_code == 0);
    CHECK(sim.answers_with_status(429) >= 5);  // the storm really happened
    CHECK(sim.answers_with_status(503) > 0);
    REQUIRE(sim.call("DELETE", "/_sim/faults").status == 200);
    require_database_equals_truth(p);
}
