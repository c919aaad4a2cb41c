// The poller's calendar and its bookkeeping, against the real simulator and PostgreSQL: each
// user's "today" is their local day, time series start at local midnight and cover every day asked
// for, runs that die are marked abandoned, and bad settings stop every binary before any work.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness.hpp"
#include "lsan.hpp"
#include "oura/core/time.hpp"
#include "sim.hpp"
#include "wait.hpp"

using oura::test::Simulator;
using oura::test::TestDatabase;
namespace fs = std::filesystem;

namespace {

struct Poller {
    Simulator& sim;
    TestDatabase& db;
    std::map<std::string, std::string> env;

    Poller(Simulator& s, TestDatabase& d, const std::string& now) : sim(s), db(d) {
        env = oura::test::platform_env(sim, db.url());
        env["OURA_NOW"] = now;
    }

    void register_users() {
        for (const auto& id : sim.users()) oura::test::register_user(sim, id, env);
    }

    oura::core::ProcessResult poll(std::vector<std::string> args) {
        auto r = oura::test::run_binary("poller", args, env);
        UNSCOPED_INFO(r.err.substr(r.err.size() > 3000 ? r.err.size() - 3000 : 0));
        return r;
    }

    long long count(const std::string& sql) { return std::stoll(db.scalar(sql)); }
    long long user_id(const std::string& oura_id) {
        return count("SELECT user_id FROM oura.users WHERE oura_user_id = '" + oura_id + "'");
    }

    // Every heart-rate or battery sample the simulator has for every user is stored, and no other.
    void require_series_equal_truth() {
        for (const auto& [resource, table] : {std::pair{"heartrate", "heart_rate_samples"}, std::pair{"ring_battery_level", "ring_battery_levels"}}) {
            for (const auto& id : sim.users()) {
                auto truth = sim.truth(id, resource);
                auto uid = std::to_string(user_id(id));
                std::string first = truth.empty() ? "" : truth.front().substr(truth.front().find("\"timestamp\":\"") + 13, 25);
                INFO(resource << " of " << id << ", first sample at " << first);
                CHECK(count(std::string("SELECT count(*) FROM oura.") + table + " WHERE user_id = " + uid) ==
                      static_cast<long long>(truth.size()));
                CHECK(count(std::string("SELECT count(*) FROM oura.") + table + " WHERE user_id = " + uid + " AND ts = '" +
                            first + "'") == 1);
            }
        }
    }
};

std::string iso(oura::core::Seconds t, int offset_minutes) { return oura::core::format_datetime(t, offset_minutes); }

// A fixture user whose clock runs at `offset_minutes`: a readiness document for each of
// `days` (its timestamp carries the offset, as Oura writes it) and heart rate every 30 minutes, at
// :15 and :45 so that no sample sits on a midnight, from a day before the first to a day after the last.
void write_fixture_user(const fs::path& root, const std::string& name, int offset_minutes, oura::core::Days first,
                        oura::core::Days last) {
    auto dir = root / name;
    fs::create_directories(dir);
    std::string readiness = "{\"data\":[";
    for (auto d = first; d <= last; d += std::chrono::days(1)) {
        auto day = oura::core::format_date(d);
        if (d != first) readiness += ",";
        readiness += "{\"id\":\"" + name + "-" + day +
                     "\",\"contributors\":{\"activity_balance\":80,\"body_temperature\":90,\"hrv_balance\":70,"
                     "\"previous_day_activity\":60,\"previous_night\":75,\"recovery_index\":85,\"resting_heart_rate\":80,"
                     "\"sleep_balance\":77},\"day\":\"" + day +
                     "\",\"score\":80,\"temperature_deviation\":0.1,\"temperature_trend_deviation\":0.05,\"timestamp\":\"" +
                     iso(oura::core::Seconds(d) - std::chrono::minutes(offset_minutes), offset_minutes) + "\"}";
    }
    std::ofstream(dir / "daily_readiness.json") << readiness << "]}";
    std::string hr = "{\"data\":[";
    bool first_row = true;
    for (auto t = oura::core::Seconds(first - std::chrono::days(1)) + std::chrono::minutes(15);
         t < oura::core::Seconds(last + std::chrono::days(2)); t += std::chrono::minutes(30)) {
        if (!first_row) hr += ",";
        first_row = false;
        hr += "{\"timestamp\":\"" + iso(t, 0) + "\",\"timestamp_unix\":" +
              std::to_string(t.time_since_epoch().count() * 1000) + ",\"bpm\":60,\"source\":\"awake\"}";
    }
    std::ofstream(dir / "heartrate.json") << hr << "]}";
}

oura::core::Days ymd(int y, unsigned m, unsigned d) { return std::chrono::sys_days{std::chrono::year{y} / m / d}; }

}  // namespace

TEST_CASE("around midnight UTC the poller syncs the local today of a user at UTC+13 and of one at UTC-10",
          "[e2e][poller]") {
    auto fixtures = fs::temp_directory_path() / ("oura-clock-" + std::to_string(::getpid()));
    fs::remove_all(fixtures);
    write_fixture_user(fixtures, "east13", 13 * 60, ymd(2026, 1, 10), ymd(2026, 1, 17));
    write_fixture_user(fixtures, "west10", -10 * 60, ymd(2026, 1, 10), ymd(2026, 1, 17));
    Simulator sim({"--fixtures", fixtures.string(), "--end-date", "2026-01-17"});

    // 23:30 UTC: east13 is already on the 15th. 00:30 UTC: west10 is still on the 14th.
    for (const auto& [now, east_today, west_today] :
         {std::tuple{"2026-01-14T23:30:00Z", "2026-01-15", "2026-01-14"}, std::tuple{"2026-01-15T00:30:00Z", "2026-01-15", "2026-01-14"}}) {
        INFO("OURA_NOW=" << now);
        TestDatabase db;
        Poller p(sim, db, now);
        p.register_users();
        // The first run learns each user's offset from their documents.
        REQUIRE(p.poll({"--days", "5", "--resources", "daily_readiness"}).exit_code == 0);
        REQUIRE(p.poll({"--days", "1", "--resources", "daily_readiness,heartrate"}).exit_code == 0);

        for (const auto& [user, today, offset] : {std::tuple{"east13", east_today, 13 * 60}, std::tuple{"west10", west_today, -10 * 60}}) {
            INFO(user);
            auto uid = std::to_string(p.user_id(user));
            CHECK(p.db.scalar("SELECT success_window_start_day || ' ' || success_window_end_day FROM oura.sync_state"
                              " WHERE resource = 'daily_readiness' AND user_id = " + uid) == std::string(today) + " " + today);
            // Heart rate: exactly the 48 samples of the user's local today, from their local midnight.
            auto midnight = oura::core::Seconds(*oura::core::parse_date(today)) - std::chrono::minutes(offset);
            CHECK(p.count("SELECT count(*) FROM oura.heart_rate_samples WHERE user_id = " + uid) == 48);
            CHECK(p.db.scalar("SELECT min(ts) = '" + iso(midnight + std::chrono::minutes(15), 0) +
                              "' FROM oura.heart_rate_samples WHERE user_id = " + uid) == "t");
        }
    }
    fs::remove_all(fixtures);
}

TEST_CASE("a new user's first run has every heart-rate and battery sample of their first local day, at UTC+2",
          "[e2e][poller]") {
    // User 0 of the simulator lives at UTC+2 in winter: their first day starts at 22:00 UTC the day before.
    Simulator sim({"--users", "1", "--days", "4", "--end-date", "2026-01-15", "--seed", "2"});
    TestDatabase db;
    Poller p(sim, db, "2026-01-15T12:00:00Z");
    p.register_users();
    REQUIRE(p.poll({"--days", "4"}).exit_code == 0);
    p.require_series_equal_truth();
}

TEST_CASE("poller --days 2 and then --days 30 leaves no day of heart rate missing, and a later run continues from "
          "the newest sample",
          "[e2e][poller]") {
    Simulator sim({"--users", "1", "--days", "30", "--end-date", "2026-01-15", "--seed", "4"});
    TestDatabase db;
    Poller p(sim, db, "2026-01-15T12:00:00Z");
    p.register_users();
    REQUIRE(p.poll({"--days", "2", "--resources", "daily_readiness,heartrate,ring_battery_level"}).exit_code == 0);
    REQUIRE(p.poll({"--days", "30", "--resources", "daily_readiness,heartrate,ring_battery_level"}).exit_code == 0);
    p.require_series_equal_truth();

    // Five days later a run over the last two days still fetches the three days in between.
    REQUIRE(sim.call("POST", "/_sim/advance", R"({"days":5})").status == 200);
    p.env["OURA_NOW"] = "2026-01-20T12:00:00Z";
    REQUIRE(p.poll({"--days", "2", "--resources", "daily_readiness,heartrate,ring_battery_level"}).exit_code == 0);
    p.require_series_equal_truth();
}

TEST_CASE("a poller killed with -9 leaves its run running until the next run marks it abandoned", "[e2e][poller]") {
    Simulator sim({"--users", "1", "--days", "5", "--end-date", "2026-01-15"});
    TestDatabase db;
    Poller p(sim, db, "2026-01-15T12:00:00Z");
    p.register_users();
    REQUIRE(sim.call("POST", "/_sim/faults", R"({"route":"*","kind":"latency","latency_ms":300,"probability":1})").status == 200);

    std::vector<std::string> argv{oura::test::binary("poller"), "--days", "5", "--concurrency", "1"};
    {
        oura::core::ChildProcess doomed(argv, p.env, (fs::temp_directory_path() / "oura-doomed-poller.log").string());
        oura::test::wait_until("the doomed run has started",
                               [&] { return p.count("SELECT count(*) FROM oura.sync_runs WHERE status = 'running'") == 1; });
        CHECK(doomed.stop(SIGKILL, std::chrono::seconds(10)) == 128 + SIGKILL);
    }
    // The killed run's server session ends (and frees the run lock) once PostgreSQL sees the socket close.
    oura::test::wait_until("the killed run's advisory lock is gone", [&] {
        return p.count("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                       " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())") == 0;
    });
    CHECK(p.count("SELECT count(*) FROM oura.sync_runs WHERE status = 'running'") == 1);

    REQUIRE(sim.call("DELETE", "/_sim/faults").status == 200);
    auto next = p.poll({"--days", "5"});
    REQUIRE(next.exit_code == 0);
    CHECK(!oura::test::last_log_line(next.err, "earlier poller runs died without recording their end; marked abandoned").empty());
    CHECK(p.db.scalar("SELECT string_agg(status, ',' ORDER BY id) FROM oura.sync_runs") == "abandoned,succeeded");
    CHECK(p.count("SELECT count(*) FROM oura.sync_runs WHERE finished_at IS NULL") == 0);
}

TEST_CASE("a poller that loses its database mid-run records how the run ended once the database is back",
          "[e2e][poller]") {
    Simulator sim({"--users", "1", "--days", "5", "--end-date", "2026-01-15"});
    TestDatabase db;
    Poller p(sim, db, "2026-01-15T12:00:00Z");
    p.register_users();
    REQUIRE(sim.call("POST", "/_sim/faults", R"({"route":"*","kind":"latency","latency_ms":200,"probability":1})").status == 200);

    auto log_path = fs::temp_directory_path() / ("oura-lost-db-poller-" + std::to_string(::getpid()) + ".log");
    // libpqxx 6.4 leaks the error result of a connection cut mid-query (docs/known-issues.md); in a
    // sanitizer build that known leak must not turn the poller's exit code into LeakSanitizer's.
    auto suppressions = fs::temp_directory_path() / ("oura-lost-db-lsan-" + std::to_string(::getpid()) + ".supp");
    std::ofstream(suppressions) << oura::test::known_leak_suppressions;
    auto env = p.env;
    env["LSAN_OPTIONS"] = "suppressions=" + suppressions.string();
    std::vector<std::string> argv{oura::test::binary("poller"), "--days", "5", "--concurrency", "1"};
    oura::core::ChildProcess poller(argv, env, log_path.string());
    oura::test::wait_until("the run has started",
                           [&] { return p.count("SELECT count(*) FROM oura.sync_runs WHERE status = 'running'") == 1; });

    // The database goes away: no new connections, and every open one is cut.
    db.refuse_connections();
    auto retrying = [&] {
        std::ifstream in(log_path);
        std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        return all.find("cannot record the run's end yet; retrying") != std::string::npos;
    };
    bool waited = oura::test::poll_until(retrying, std::chrono::minutes(1));
    db.allow_connections();
    REQUIRE(waited);

    CHECK(poller.wait(std::chrono::minutes(2)) == 1);  // the syncs that met no database failed
    // Failed, or partial if a sync finished before the cut: either way the run says how it ended.
    auto status = p.db.scalar("SELECT status FROM oura.sync_runs");
    CHECK((status == "failed" || status == "partial"));
    CHECK(p.count("SELECT count(*) FROM oura.sync_runs WHERE finished_at IS NOT NULL") == 1);
    fs::remove(log_path);
    fs::remove(suppressions);
}

TEST_CASE("every binary stops with exit code 2 and one line naming a bad OURA_LOG_LEVEL, even from a file",
          "[e2e][config]") {
    auto file = fs::temp_directory_path() / ("oura-log-level-" + std::to_string(::getpid()));
    std::ofstream(file) << "verbose\n";
    for (const auto& env : {std::map<std::string, std::string>{{"OURA_LOG_LEVEL", "loud"}},
                            std::map<std::string, std::string>{{"OURA_LOG_LEVEL", ""}, {"OURA_LOG_LEVEL_FILE", file.string()}}}) {
        for (const auto& [binary, args] : {std::pair<std::string, std::vector<std::string>>{"poller", {"--dry-run"}},
                                           {"oura-admin", {"users", "list"}},
                                           {"oura-migrate", {"--status"}},
                                           {"oura-sim", {}}}) {
            INFO(binary);
            std::vector<std::string> argv{oura::test::binary(binary)};
            argv.insert(argv.end(), args.begin(), args.end());
            auto r = oura::core::run_process(argv, env, std::chrono::seconds(30));
            CHECK(r.exit_code == 2);
            CHECK(r.err.find("OURA_LOG_LEVEL") != std::string::npos);
            CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        }
    }
    fs::remove(file);
}

TEST_CASE("a bad OURA_PUSHGATEWAY_URL, OURA_NOW or OURA_CA_FILE stops the poller before it syncs anything", "[e2e][config]") {
    Simulator sim({"--users", "1", "--days", "2"});
    TestDatabase db;
    Poller p(sim, db, "2026-01-15T12:00:00Z");
    p.register_users();
    for (const auto& [name, value] : {std::pair{"OURA_PUSHGATEWAY_URL", "pushgateway:9091"},
                                      std::pair{"OURA_PUSHGATEWAY_URL", "http://:9091"},
                                      std::pair{"OURA_NOW", "yesterday"},
                                      std::pair{"OURA_NOW", "2026-01-15T12:00:00"},
                                      std::pair{"OURA_CA_FILE", "/nonexistent/ca.pem"}}) {
        INFO(name << "=" << value);
        auto env = p.env;
        env[name] = value;
        auto r = oura::test::run_binary("poller", {"--days", "2"}, env);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find(std::string("poller: ") + name) == 0);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
    CHECK(p.count("SELECT count(*) FROM oura.sync_runs") == 0);
    CHECK(p.count("SELECT count(*) FROM oura.oura_documents") == 0);
}
