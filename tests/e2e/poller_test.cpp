// The poller against the real simulator and a real PostgreSQL: what a person running the CronJob
// would find in their database.
#include <catch2/catch.hpp>

#include <mutex>
#include <thread>

#include "oura/http/server.hpp"

#include "harness.hpp"
#include "oura/core/json.hpp"
#include "sim.hpp"
#include "wait.hpp"

using oura::test::Simulator;
using oura::test::TestDatabase;

namespace {

const std::vector<std::string> document_resources = {
    "daily_activity", "daily_cardiovascular_age", "daily_readiness", "daily_resilience", "daily_sleep",
    "daily_spo2",     "daily_stress",             "enhanced_tag",    "rest_mode_period", "ring_configuration",
    "session",        "sleep",                    "sleep_time",      "tag",              "vO2_max",
    "workout"};
const std::vector<std::string> series_resources = {"heartrate", "ring_battery_level"};

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
        auto conn = db.connect();
        pqxx::work tx(conn);
        tx.exec("DROP TABLE IF EXISTS truth; CREATE TABLE truth (user_id bigint, resource text, doc jsonb)");
        for (const auto& id : sim.users()) {
            auto uid = user_id(id);
            for (const auto& resource : document_resources) {
                std::string array = "[";
                for (const auto& d : sim.truth(id, resource)) array += (array.size() > 1 ? "," : "") + d;
                array += "]";
                tx.exec_params("INSERT INTO truth SELECT $1, $2, d FROM jsonb_array_elements($3::jsonb) d", uid, resource, array);
            }
            for (const auto& resource : series_resources) {
                std::string array = "[";
                for (const auto& d : sim.truth(id, resource)) array += (array.size() > 1 ? "," : "") + d;
                array += "]";
                tx.exec_params("INSERT INTO truth SELECT $1, $2, d FROM jsonb_array_elements($3::jsonb) d", uid, resource, array);
            }
        }
        tx.commit();
    }

    long long count(const std::string& sql) { return std::stoll(db.scalar(sql)); }
};

// Every check is a count of disagreements between the database and the simulator's truth.
const std::vector<std::pair<std::string, std::string>> truth_checks = {
    {"raw documents missing or different",
     "SELECT count(*) FROM truth t WHERE t.resource NOT IN ('heartrate','ring_battery_level') AND NOT EXISTS ("
     " SELECT 1 FROM oura.oura_documents d WHERE d.user_id = t.user_id AND d.resource = t.resource"
     " AND d.document_id = t.doc->>'id' AND d.deleted_at IS NULL AND d.payload = t.doc)"},
    {"raw documents the simulator does not have",
     "SELECT count(*) FROM oura.oura_documents d WHERE d.deleted_at IS NULL AND d.resource <> 'personal_info' AND NOT EXISTS ("
     " SELECT 1 FROM truth t WHERE t.user_id = d.user_id AND t.resource = d.resource AND t.doc->>'id' = d.document_id)"},
    {"readiness scores",
     "SELECT count(*) FROM truth t LEFT JOIN oura.daily_summaries s ON s.user_id = t.user_id AND s.day = (t.doc->>'day')::date"
     " WHERE t.resource = 'daily_readiness' AND s.readiness_score IS DISTINCT FROM (t.doc->>'score')::int"},
    {"sleep scores",
     "SELECT count(*) FROM truth t LEFT JOIN oura.daily_summaries s ON s.user_id = t.user_id AND s.day = (t.doc->>'day')::date"
     " WHERE t.resource = 'daily_sleep' AND s.sleep_score IS DISTINCT FROM (t.doc->>'score')::int"},
    {"activity steps",
     "SELECT count(*) FROM truth t LEFT JOIN oura.daily_summaries s ON s.user_id = t.user_id AND s.day = (t.doc->>'day')::date"
     " WHERE t.resource = 'daily_activity' AND s.activity_steps IS DISTINCT FROM (t.doc->>'steps')::int"},
    {"spo2 averages",
     "SELECT count(*) FROM truth t LEFT JOIN oura.daily_summaries s ON s.user_id = t.user_id AND s.day = (t.doc->>'day')::date"
     " WHERE t.resource = 'daily_spo2' AND abs(coalesce(s.spo2_average_pct, -1) - coalesce((t.doc#>>'{spo2_percentage,average}')::real, -1)) > 0.01"},
    {"stress seconds",
     "SELECT count(*) FROM truth t LEFT JOIN oura.daily_summaries s ON s.user_id = t.user_id AND s.day = (t.doc->>'day')::date"
     " WHERE t.resource = 'daily_stress' AND s.stress_high_seconds IS DISTINCT FROM (t.doc->>'stress_high')::int"},
    {"resilience levels",
     "SELECT count(*) FROM truth t LEFT JOIN oura.daily_summaries s ON s.user_id = t.user_id AND s.day = (t.doc->>'day')::date"
     " WHERE t.resource = 'daily_resilience' AND s.resilience_level IS DISTINCT FROM t.doc->>'level'"},
    {"vascular ages",
     "SELECT count(*) FROM truth t LEFT JOIN oura.daily_summaries s ON s.user_id = t.user_id AND s.day = (t.doc->>'day')::date"
     " WHERE t.resource = 'daily_cardiovascular_age' AND s.vascular_age_years IS DISTINCT FROM (t.doc->>'vascular_age')::int"},
    {"VO2 max",
     "SELECT count(*) FROM truth t LEFT JOIN oura.daily_summaries s ON s.user_id = t.user_id AND s.day = (t.doc->>'day')::date"
     " WHERE t.resource = 'vO2_max' AND s.vo2_max_ml_kg_min IS DISTINCT FROM (t.doc->>'vo2_max')::real"},
    {"sleep episodes",
     "SELECT count(*) FROM truth t LEFT JOIN oura.sleep_episodes e ON e.user_id = t.user_id AND e.document_id = t.doc->>'id'"
     " WHERE t.resource = 'sleep' AND (e.total_sleep_duration_seconds IS DISTINCT FROM (t.doc->>'total_sleep_duration')::int"
     " OR e.deep_sleep_duration_seconds IS DISTINCT FROM (t.doc->>'deep_sleep_duration')::int"
     " OR e.lowest_heart_rate_bpm IS DISTINCT FROM (t.doc->>'lowest_heart_rate')::int"
     " OR e.bedtime_start IS DISTINCT FROM (t.doc->>'bedtime_start')::timestamptz)"},
    {"sleep heart-rate samples",
     "SELECT count(*) FROM truth t WHERE t.resource = 'sleep' AND coalesce((SELECT sum(x::text::real) FROM jsonb_array_elements(t.doc#>'{heart_rate,items}') x"
     " WHERE x <> 'null'::jsonb), 0) IS DISTINCT FROM coalesce((SELECT sum(hr_bpm) FROM oura.sleep_samples s"
     " WHERE s.user_id = t.user_id AND s.sleep_document_id = t.doc->>'id'), 0)"},
    {"hypnogram deep periods",
     "SELECT count(*) FROM truth t WHERE t.resource = 'sleep' AND t.doc->>'sleep_phase_5_min' IS NOT NULL AND"
     " (SELECT count(*) FROM oura.sleep_samples s WHERE s.user_id = t.user_id AND s.sleep_document_id = t.doc->>'id'"
     " AND s.sleep_phase = 1) <> length(t.doc->>'sleep_phase_5_min') - length(replace(t.doc->>'sleep_phase_5_min', '1', ''))"},
    {"workouts",
     "SELECT count(*) FROM truth t LEFT JOIN oura.workouts w ON w.user_id = t.user_id AND w.document_id = t.doc->>'id'"
     " WHERE t.resource = 'workout' AND (w.activity IS DISTINCT FROM t.doc->>'activity'"
     " OR abs(coalesce(w.calories_kcal, -1) - coalesce((t.doc->>'calories')::real, -1)) > 0.01"
     " OR w.start_at IS DISTINCT FROM (t.doc->>'start_datetime')::timestamptz)"},
    {"sessions",
     "SELECT count(*) FROM truth t LEFT JOIN oura.sessions s ON s.user_id = t.user_id AND s.document_id = t.doc->>'id'"
     " WHERE t.resource = 'session' AND (s.type IS DISTINCT FROM t.doc->>'type' OR s.start_at IS DISTINCT FROM (t.doc->>'start_datetime')::timestamptz)"},
    {"enhanced tags",
     "SELECT count(*) FROM truth t LEFT JOIN oura.enhanced_tags e ON e.user_id = t.user_id AND e.document_id = t.doc->>'id'"
     " WHERE t.resource = 'enhanced_tag' AND (e.tag_type_code IS DISTINCT FROM t.doc->>'tag_type_code' OR e.start_day IS DISTINCT FROM (t.doc->>'start_day')::date)"},
    {"tags",
     "SELECT count(*) FROM truth t LEFT JOIN oura.tags g ON g.user_id = t.user_id AND g.document_id = t.doc->>'id'"
     " WHERE t.resource = 'tag' AND (g.text IS DISTINCT FROM t.doc->>'text' OR g.day IS DISTINCT FROM (t.doc->>'day')::date)"},
    {"rest mode periods",
     "SELECT count(*) FROM truth t LEFT JOIN oura.rest_mode_periods r ON r.user_id = t.user_id AND r.document_id = t.doc->>'id'"
     " WHERE t.resource = 'rest_mode_period' AND r.start_day IS DISTINCT FROM (t.doc->>'start_day')::date"},
    {"ring configurations",
     "SELECT count(*) FROM truth t LEFT JOIN oura.ring_configurations r ON r.user_id = t.user_id AND r.document_id = t.doc->>'id'"
     " WHERE t.resource = 'ring_configuration' AND (r.hardware_type IS DISTINCT FROM t.doc->>'hardware_type'"
     " OR r.firmware_version IS DISTINCT FROM t.doc->>'firmware_version')"},
    {"heart-rate samples",
     "SELECT count(*) FROM truth t LEFT JOIN oura.heart_rate_samples h ON h.user_id = t.user_id"
     " AND h.ts = (t.doc->>'timestamp')::timestamptz AND h.source = t.doc->>'source'"
     " WHERE t.resource = 'heartrate' AND h.bpm IS DISTINCT FROM (t.doc->>'bpm')::int"},
    {"heart-rate samples the simulator does not have",
     "SELECT (SELECT count(*) FROM oura.heart_rate_samples) - (SELECT count(*) FROM truth WHERE resource = 'heartrate')"},
    {"battery levels",
     "SELECT count(*) FROM truth t LEFT JOIN oura.ring_battery_levels b ON b.user_id = t.user_id"
     " AND b.ts = (t.doc->>'timestamp')::timestamptz WHERE t.resource = 'ring_battery_level'"
     " AND b.level IS DISTINCT FROM (t.doc->>'level')::int"},
};

void require_database_equals_truth(Platform& p) {
    p.load_truth();
    for (const auto& [what, sql] : truth_checks) {
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
