// Every binary's exit code as a CronJob, a Helm hook or a shell script sees it: 0 done, 1 the work
// failed, 2 bad usage or configuration (docs/configuration.md), each refusal with a message that
// names what was wrong.
#include <catch2/catch.hpp>

#include "binary_env.hpp"
#include "harness.hpp"
#include "oura/core/process.hpp"
#include "sim.hpp"

using namespace oura::test;
using namespace std::chrono_literals;

namespace {

// Nothing listens on port 9 (discard) on a test machine: a poller with no users never calls it.
const std::string nobody = "http://127.0.0.1:9";

struct Refusal {
    std::vector<std::string> args;
    std::string named;  // what the message must mention
};

struct BadSetting {
    std::string variable;
    std::string value;  // "" unsets it
    std::map<std::string, std::string> also = {};
};

void check_refusals(const std::string& binary, const std::vector<Refusal>& cases,
                    const std::map<std::string, std::string>& env) {
    for (const auto& c : cases) {
        auto r = run_binary(binary, c.args, env);
        INFO(binary << " " << joined(c.args) << "\nstderr: " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find(c.named) != std::string::npos);
    }
}

}  // namespace

TEST_CASE("the poller exits 2 for each bad flag, naming it", "[e2e][exit]") {
    TestDatabase db;
    auto env = binary_env(db, nobody);
    // The baseline: with these settings and no users the poller does nothing and succeeds, so each
    // refusal below is the flag's doing.
    auto fine = run_binary("poller", {"--days", "1"}, env);
    INFO(fine.err);
    REQUIRE(fine.exit_code == 0);
    check_refusals("poller",
                   {{{"--days", "0"}, "--days"},
                    {{"--days", "3651"}, "--days"},
                    {{"--days", "two"}, "--days"},
                    {{"--days"}, "--days"},
                    {{"--concurrency", "0"}, "--concurrency"},
                    {{"--concurrency", "33"}, "--concurrency"},
                    {{"--resources", "sleep,sleeep"}, "sleeep"},
                    {{"--dry-run=yes"}, "--dry-run"},
                    {{"--bogus"}, "--bogus"},
                    {{"now"}, "now"}},
                   env);
}

TEST_CASE("the poller exits 2 for each bad setting, naming the variable", "[e2e][exit]") {
    TestDatabase db;
    const auto good = binary_env(db, nobody);
    REQUIRE(run_binary("poller", {"--days", "1"}, good).exit_code == 0);
    const std::vector<BadSetting> cases = {
        {"OURA_DATABASE_URL", ""},
        {"OURA_TOKEN_ENCRYPTION_KEY", ""},
        {"OURA_TOKEN_ENCRYPTION_KEY", "too-short"},
        {"OURA_TOKEN_ENCRYPTION_KEY_VERSION", "0"},
        {"OURA_TOKEN_ENCRYPTION_KEY", "", {{"OURA_TOKEN_ENCRYPTION_KEY_FILE", "/nonexistent/oura-key"}}},
        {"OURA_CLIENT_ID", ""},
        {"OURA_CLIENT_SECRET", ""},
        {"OURA_API_BASE_URL", "api.ouraring.com"},
        {"OURA_AUTH_BASE_URL", "ftp://cloud.ouraring.com"},
        {"OURA_HTTP_TIMEOUT", "soon"},
        {"OURA_CA_FILE", "/nonexistent/ca.pem"},
        {"OURA_PUSHGATEWAY_URL", "not a url"},
        {"OURA_LOG_LEVEL", "loud"},
        {"OURA_TOKEN_ENCRYPTION_KEYS", "garbage"},
        {"OURA_DISCOVER_COLLECTIONS", "maybe"},
        {"OURA_OPENAPI_URL", "openapi.json"},
        {"OURA_NOW", "yesterday"},
        // Both the variable and its _FILE form: which one is meant?
        {"OURA_DATABASE_URL", db.url(), {{"OURA_DATABASE_URL_FILE", "/nonexistent/url"}}},
    };
    for (const auto& c : cases) {
        auto env = good;
        env[c.variable] = c.value;
        for (const auto& [k, v] : c.also) env[k] = v;
        auto r = run_binary("poller", {"--days", "1"}, env);
        INFO(c.variable << "='" << c.value << "'" << (c.also.empty() ? "" : " (+ " + c.also.begin()->first + ")")
                        << "\nstderr: " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find(c.variable) != std::string::npos);
    }
}

TEST_CASE("the poller exits 2 when the database is unreachable at start", "[e2e][exit]") {
    TestDatabase db;
    auto env = binary_env(db, nobody);
    env["OURA_DATABASE_URL"] = "postgresql://oura@127.0.0.1:1/oura?connect_timeout=5";
    auto r = run_binary("poller", {"--days", "1"}, env);
    INFO(r.err);
    CHECK(r.exit_code == 2);
}

TEST_CASE("the poller exits 1 when a resource keeps failing, and 0 once it recovers", "[e2e][exit]") {
    Simulator sim({"--users", "1", "--days", "3"});
    TestDatabase db;
    auto env = binary_env(db, sim.url());
    auto [access, refresh] = sim.mint_token(sim.users()[0]);
    REQUIRE(run_binary("oura-admin", {"users", "add", "--access-token", access, "--refresh-token", refresh}, env)
                .exit_code == 0);
    // Every workout request fails, retries included; the other resources are unaffected.
    REQUIRE(sim.call("POST", "/_sim/faults", R"({"route":"/v2/usercollection/workout","kind":"500"})").status == 200);

    auto failed = run_binary("poller", {"--days", "2"}, env);
    INFO(failed.err);
    CHECK(failed.exit_code == 1);
    CHECK(db.scalar("SELECT status FROM oura.sync_state WHERE resource = 'workout'") == "error");
    CHECK(db.scalar("SELECT count(*) FROM oura.sync_state WHERE resource <> 'workout' AND status <> 'ok'") == "0");
    CHECK(db.scalar("SELECT status FROM oura.sync_runs") == "partial");

    REQUIRE(sim.call("DELETE", "/_sim/faults").status == 200);
    auto recovered = run_binary("poller", {"--days", "2"}, env);
    INFO(recovered.err);
    CHECK(recovered.exit_code == 0);
    CHECK(db.scalar("SELECT status FROM oura.sync_state WHERE resource = 'workout'") == "ok");
}

TEST_CASE("oura-migrate exits 2 for bad flags and a missing or unreachable database", "[e2e][exit]") {
    TestDatabase db;
    std::map<std::string, std::string> env{{"OURA_DATABASE_URL", db.url()}};
    REQUIRE(run_binary("oura-migrate", {"--status"}, env).exit_code == 0);
    check_refusals("oura-migrate",
                   {{{"--bogus"}, "--bogus"}, {{"--dir"}, "--dir"}, {{"--status=yes"}, "--status"}, {{"up"}, "up"}},
                   env);
    auto unset = run_binary("oura-migrate", {}, {{"OURA_DATABASE_URL", ""}});
    CHECK(unset.exit_code == 2);
    CHECK(unset.err.find("OURA_DATABASE_URL") != std::string::npos);
    auto unreachable =
        run_binary("oura-migrate", {}, {{"OURA_DATABASE_URL", "postgresql://oura@127.0.0.1:1/oura?connect_timeout=5"}});
    CHECK(unreachable.exit_code == 2);
}

TEST_CASE("oura-sim exits 2 for each bad flag instead of serving", "[e2e][exit]") {
    const std::vector<Refusal> cases = {
        {{"--bogus"}, "--bogus"},
        {{"--users", "0"}, "--users"},
        {{"--port", "70000"}, "--port"},
        {{"--end-date", "March"}, "--end-date"},
        {{"--fault", "explode"}, "--fault"},
        {{"--rate-limit-per-token", "5"}, "--rate-limit-per-token"},
        {{"--users", "2", "--authorize-user", "2"}, "--authorize-user"},
        {{"serve"}, "serve"},
    };
    for (const auto& c : cases) {
        std::vector<std::string> argv{binary("oura-sim")};
        argv.insert(argv.end(), c.args.begin(), c.args.end());
        // A simulator that accepted the flags would serve until killed: the timeout is that failure.
        auto r = oura::core::run_process(argv, {}, 60s);
        INFO("oura-sim " << joined(c.args) << "\nstdout: " << r.out << "\nstderr: " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find(c.named) != std::string::npos);
        CHECK(r.out.empty());  // no base URL printed: nothing was served
    }
}
