// What the raw store keeps of what Oura sends, through the real path: the simulator in fixture
// mode serves recorded pages, the poller fetches them, PostgreSQL holds them. Numbers exactly as
// written; collections the catalog does not know, found in Oura's OpenAPI document.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "harness.hpp"
#include "oura/core/crypto.hpp"
#include "oura/core/json.hpp"
#include "oura/core/time.hpp"
#include "sim.hpp"

using oura::test::Simulator;
using oura::test::TestDatabase;
namespace fs = std::filesystem;

namespace {

// A fixture folder with one user, removed at the end.
struct Fixtures {
    fs::path dir = fs::temp_directory_path() / ("raw-fixtures-" + oura::core::to_hex(oura::core::random_bytes(6)));
    fs::path user = dir / "alice";
    Fixtures() {
        fs::create_directories(user);
        write("personal_info", R"({"id":"raw-user-1","email":"alice@example.test"})");
    }
    ~Fixtures() { fs::remove_all(dir); }
    void write(const std::string& resource, const std::string& json) const {
        std::ofstream(user / (resource + ".json")) << json;
    }
};

// Yesterday (UTC): inside the poller's 3-day window and already past for the simulator.
std::string yesterday() {
    auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
    return oura::core::format_date(today - std::chrono::days(1));
}

std::string readiness(const std::string& id, const std::string& day, const std::string& extra = "") {
    return R"({"id":")" + id + R"(","contributors":{"hrv_balance":80},"day":")" + day +
           R"(","score":80,"temperature_deviation":-0.12,"timestamp":")" + day + R"(T00:00:00+00:00")" + extra + "}";
}

struct Run {
    Simulator& sim;
    TestDatabase& db;
    std::map<std::string, std::string> env;

    Run(Simulator& s, TestDatabase& d) : sim(s), db(d) {
        env = oura::test::platform_env(sim, db.writer_url());
        for (const auto& id : sim.users()) oura::test::register_user(sim, id, env);
    }

    oura::core::ProcessResult poll() {
        auto r = oura::test::run_binary("poller", {"--days", "3"}, env);
        UNSCOPED_INFO(r.err.substr(r.err.size() > 4000 ? r.err.size() - 4000 : 0));
        return r;
    }
    long long count(const std::string& sql) { return std::stoll(db.scalar(sql)); }
};

// Every number here changes when it goes through a double or a 64-bit integer.
const std::string exact_numbers =
    R"({"max_int64":9223372036854775807,"over_int64":9223372036854775808,"over_uint64":18446744073709551616,)"
    R"("huge":-123456789012345678901234567890123,"long_decimal":123456789.123456789,)"
    R"("tiny":1.5e-300,"avogadro":6.02214076E+23,"money":0.1000000000000000055511151231257827,)"
    R"("list":[1e2,2.50,-0.0]})";

}  // namespace

TEST_CASE("large integers, long decimals and exponents are stored value for value", "[e2e][poller]") {
    Fixtures f;
    const auto day = yesterday();
    const auto doc = readiness("r-exact", day, R"(,"measures":)" + exact_numbers);
    f.write("daily_readiness", R"({"data":[)" + doc + R"(],"next_token":null})");
    Simulator sim({"--fixtures", f.dir.string()});
    TestDatabase db;
    Run run(sim, db);
    run.env["OURA_DISCOVER_COLLECTIONS"] = "false";
    REQUIRE(run.poll().exit_code == 0);

    const std::string stored =
        "(SELECT payload FROM oura.oura_documents WHERE resource = 'daily_readiness' AND document_id = 'r-exact')";
    CHECK(db.scalar("SELECT " + stored + " = '" + doc + "'::jsonb") == "t");
    // Compared as numeric, one by one, so a failure names the value that changed.
    for (const auto& [path, value] :
         std::vector<std::pair<std::string, std::string>>{{"max_int64", "9223372036854775807"},
                                                          {"over_int64", "9223372036854775808"},
                                                          {"over_uint64", "18446744073709551616"},
                                                          {"huge", "-123456789012345678901234567890123"},
                                                          {"long_decimal", "123456789.123456789"},
                                                          {"tiny", "1.5e-300"},
                                                          {"avogadro", "602214076000000000000000"},
                                                          {"money", "0.1000000000000000055511151231257827"}}) {
        INFO(path);
        CHECK(db.scalar("SELECT (" + stored + "#>>'{measures," + path + "}')::numeric = " + value + "::numeric") ==
              "t");
    }
    // What a trip through double would have stored instead, to show the comparison can tell.
    CHECK(db.scalar("SELECT " + stored + "#>'{measures,long_decimal}' = '123456789.12345679'::jsonb") == "f");
    // The curated row is still built from the same payload.
    CHECK(db.scalar("SELECT readiness_score FROM oura.daily_summaries WHERE day = '" + day + "'") == "80");
}

TEST_CASE("a collection only Oura's OpenAPI document lists is stored raw, by id or else by hash", "[e2e][poller]") {
    Fixtures f;
    const auto day = yesterday();
    f.write("daily_readiness", R"({"data":[)" + readiness("r-1", day) + "]}");
    const std::string with_id =
        R"({"id":"bg-1","day":")" + day + R"(","timestamp":")" + day + R"(T08:00:00+00:00","mmol_l":5.4})";
    const std::string without_id =
        R"({"day":")" + day + R"(","timestamp":")" + day + R"(T09:30:00+00:00","mmol_l":6.123456789012345678})";
    f.write("blood_glucose", R"({"data":[)" + with_id + "," + without_id + R"(],"next_token":null})");
    Simulator sim({"--fixtures", f.dir.string()});

    // The simulator lists the fixture-only collection in its own OpenAPI document.
    auto spec = sim.get("/v2/static/json/openapi-1.37.json");
    REQUIRE(spec.status == 200);
    auto paths = oura::core::parse_json(spec.body);
    CHECK(paths["paths"].HasMember("/v2/usercollection/blood_glucose"));
    CHECK(paths["paths"].HasMember("/v2/usercollection/daily_readiness"));

    TestDatabase db;
    Run run(sim, db);
    auto first = run.poll();
    REQUIRE(first.exit_code == 0);
    CHECK(run.count(
              "SELECT count(*) FROM oura.oura_documents WHERE resource = 'blood_glucose' AND deleted_at IS NULL") == 2);
    CHECK(db.scalar("SELECT payload = '" + with_id + "'::jsonb AND day = '" + day + "' AND start_at = '" + day +
                    "T08:00:00Z' FROM oura.oura_documents WHERE resource = 'blood_glucose' AND document_id = 'bg-1'") ==
          "t");
    auto hashed = "FROM oura.oura_documents WHERE resource = 'blood_glucose' AND document_id LIKE 'sha256:%'";
    CHECK(db.scalar("SELECT payload = '" + without_id + "'::jsonb AND day = '" + day +
                    "' AND length(document_id) = 71 " + hashed) == "t");
    CHECK(db.scalar("SELECT document_id = 'sha256:' || encode(payload_sha256, 'hex') " + std::string(hashed)) == "t");
    CHECK(run.count("SELECT count(*) FROM oura.oura_documents WHERE resource = 'daily_readiness'") == 1);

    // The hash is stable: a second run finds the same keys and writes nothing.
    auto second = run.poll();
    REQUIRE(second.exit_code == 0);
    CHECK(run.count("SELECT count(*) FROM oura.oura_documents WHERE resource = 'blood_glucose'") == 2);
    CHECK(run.count("SELECT count(*) FROM oura.oura_documents WHERE resource = 'blood_glucose' AND updated_at > "
                    "first_seen_at") == 0);
}

TEST_CASE("with discovery off a collection the catalog does not know is left alone", "[e2e][poller]") {
    Fixtures f;
    const auto day = yesterday();
    f.write("daily_readiness", R"({"data":[)" + readiness("r-1", day) + "]}");
    f.write("blood_glucose", R"({"data":[{"id":"bg-1","day":")" + day + R"(","mmol_l":5.4}]})");
    Simulator sim({"--fixtures", f.dir.string()});
    TestDatabase db;
    Run run(sim, db);
    run.env["OURA_DISCOVER_COLLECTIONS"] = "false";
    REQUIRE(run.poll().exit_code == 0);
    CHECK(run.count("SELECT count(*) FROM oura.oura_documents WHERE resource = 'blood_glucose'") == 0);
    CHECK(run.count("SELECT count(*) FROM oura.oura_documents WHERE resource = 'daily_readiness'") == 1);
    CHECK(sim.answers_with_status(200) > 0);
    CHECK(sim.get("/_sim/stats").body.find("openapi") == std::string::npos);  // not even asked for
}

TEST_CASE("an OpenAPI document that cannot be read leaves the run green with the catalogued data", "[e2e][poller]") {
    Fixtures f;
    const auto day = yesterday();
    f.write("daily_readiness", R"({"data":[)" + readiness("r-1", day) + "]}");
    f.write("blood_glucose", R"({"data":[{"id":"bg-1","day":")" + day + R"(","mmol_l":5.4}]})");
    Simulator sim({"--fixtures", f.dir.string()});
    TestDatabase db;
    Run run(sim, db);
    SECTION("the simulator answers 500 for it") {
        REQUIRE(
            sim.call("POST", "/_sim/faults", R"({"route":"/v2/static/json/openapi-1.37.json","kind":"500"})").status ==
            200);
    }
    SECTION("it is not where OURA_OPENAPI_URL points") {
        run.env["OURA_OPENAPI_URL"] = sim.url() + "/v2/static/json/openapi-0.0.json";
    }
    SECTION("nothing listens where OURA_OPENAPI_URL points") {
        run.env["OURA_OPENAPI_URL"] = "http://127.0.0.1:1/openapi.json";
    }
    auto r = run.poll();
    CHECK(r.exit_code == 0);
    CHECK(!oura::test::last_log_line(r.err,
                                     "cannot read Oura's OpenAPI document; syncing the catalogued collections only")
               .empty());
    CHECK(run.count("SELECT count(*) FROM oura.oura_documents WHERE resource = 'daily_readiness'") == 1);
    CHECK(run.count("SELECT count(*) FROM oura.oura_documents WHERE resource = 'blood_glucose'") == 0);
    CHECK(run.count("SELECT count(*) FROM oura.sync_runs WHERE status = 'succeeded'") == 1);
}
