// The simulator's honesty about time (nothing served later than its now) and about what it
// serves (an OpenAPI document of its own collections, fixture-only ones included).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "dataset.hpp"
#include "oura/core/crypto.hpp"
#include "oura/core/json.hpp"
#include "oura/core/time.hpp"
#include "sim_app.hpp"
#include "sim_catalog.hpp"
#include "sim_store.hpp"

using namespace oura::sim;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path = fs::temp_directory_path() / ("sim-time-" + oura::core::to_hex(oura::core::random_bytes(6)));
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
    void write(const std::string& rel, const std::string& text) const {
        fs::create_directories((path / rel).parent_path());
        std::ofstream(path / rel) << text;
    }
};

class FixedClock : public oura::core::Clock {
public:
    explicit FixedClock(std::chrono::system_clock::time_point t) : t_(t) {}
    std::chrono::system_clock::time_point now() const override { return t_; }

private:
    std::chrono::system_clock::time_point t_;
};

std::int64_t unix_of(const char* iso) {
    return oura::core::parse_datetime(iso)->utc.time_since_epoch().count();
}

}  // namespace

TEST_CASE("a clock with a time of day stands still until advanced", "[unit][sim]") {
    FixedClock wall(std::chrono::sys_days(*oura::core::parse_date("2030-01-01")) + std::chrono::hours(3));
    auto today = *oura::core::parse_date("2024-03-31");
    SimClock frozen(today, wall, std::chrono::hours(6));
    CHECK(frozen.now_unix() == unix_of("2024-03-31T06:00:00+00:00"));
    frozen.advance(std::chrono::hours(7));
    CHECK(frozen.now_unix() == unix_of("2024-03-31T13:00:00+00:00"));
    frozen.reset();
    CHECK(frozen.now_unix() == unix_of("2024-03-31T06:00:00+00:00"));
    SimClock running(today, wall);  // the wall clock's time of day on the simulated today
    CHECK(running.now_unix() == unix_of("2024-03-31T03:00:00+00:00"));
}

TEST_CASE("a span is visible from its end, a sample from its time", "[unit][sim]") {
    Document d;
    CHECK(derive_keys(
        oura::core::parse_json(R"({"id":"s","day":"2024-01-02","bedtime_start":"2024-01-01T23:00:00+00:00",)"
                               R"("bedtime_end":"2024-01-02T07:00:00+00:00"})"),
        Windowing::date, d));
    CHECK(d.ts == unix_of("2024-01-01T23:00:00+00:00"));
    CHECK(d.visible_at == unix_of("2024-01-02T07:00:00+00:00"));
    CHECK(derive_keys(oura::core::parse_json(R"({"bpm":60,"timestamp":"2024-01-01T00:00:10+00:00"})"),
                      Windowing::datetime, d));
    CHECK(d.visible_at == d.ts);
}

TEST_CASE("generated documents are visible only once complete", "[unit][sim]") {
    GeneratorOptions g;
    g.seed = 3;
    g.users = 2;
    g.days = 3;
    g.end_day = *oura::core::parse_date("2024-03-31");
    for (int user = 0; user < g.users; ++user) {
        auto day = generate_day(g, user, g.end_day);
        for (const auto& [resource, docs] : day)
            for (const auto& doc : docs) {
                INFO(resource << " " << doc.json);
                CHECK(doc.visible_at >= doc.ts);
                auto parsed = oura::core::parse_json(doc.json);
                for (const char* end : {"bedtime_end", "end_datetime"})
                    if (auto e = oura::core::get_string(parsed, end))
                        CHECK(doc.visible_at == oura::core::parse_datetime(*e)->utc.time_since_epoch().count());
            }
    }
}

TEST_CASE("the truth and single documents hide what is not there yet at the given now", "[unit][sim]") {
    TempDir dir;
    dir.write("u/sleep.json", R"({"data":[{"id":"done","day":"2024-01-02","bedtime_start":"2024-01-01T23:00:00+00:00",)"
                              R"("bedtime_end":"2024-01-02T07:00:00+00:00"},)"
                              R"({"id":"asleep","day":"2024-01-03","bedtime_start":"2024-01-02T23:00:00+00:00",)"
                              R"("bedtime_end":"2024-01-03T07:00:00+00:00"}]})");
    StoreOptions o;
    o.fixtures_dir = dir.path.string();
    o.generator.end_day = *oura::core::parse_date("2024-01-03");
    Store store(o);
    auto three_am = unix_of("2024-01-03T03:00:00+00:00");
    CHECK(store.truth(0, "sleep", three_am).find("\"asleep\"") == std::string::npos);
    CHECK(store.truth(0, "sleep", three_am).find("\"done\"") != std::string::npos);
    CHECK_FALSE(store.document(0, "sleep", "asleep", three_am));
    CHECK(store.document(0, "sleep", "asleep", unix_of("2024-01-03T07:00:00+00:00")));
    auto woke = store.appeared(three_am, unix_of("2024-01-03T08:00:00+00:00"));
    REQUIRE(woke.size() == 1);
    CHECK(woke[0].document_id == "asleep");
}

TEST_CASE("fixtures are served with every number as recorded", "[unit][sim]") {
    TempDir dir;
    const std::string doc =
        R"({"id":"r","day":"2024-01-01","big":18446744073709551616,"long":123456789.123456789,"exp":1E-7})";
    dir.write("u/daily_readiness.json", "{\"data\": [\n  " + doc + "\n]}");
    dir.write("u/personal_info.json", R"({"id":"u","weight":70.1234567890123456789})");
    StoreOptions o;
    o.fixtures_dir = dir.path.string();
    Store store(o);
    CHECK(store.truth(0, "daily_readiness") == "{\"data\":[" + doc + "]}");
    CHECK(store.personal_info(0) == R"({"id":"u","weight":70.1234567890123456789})");
    store.add(0, "daily_readiness", R"({"id":"s", "day":"2024-01-02", "n":0.30000000000000000001})");
    CHECK(store.document(0, "daily_readiness", "s") ==
          std::optional<std::string>(R"({"id":"s","day":"2024-01-02","n":0.30000000000000000001})"));
}

TEST_CASE("a fixture file of a collection the catalog does not know becomes an extra collection", "[unit][sim]") {
    TempDir dir;
    dir.write("u/blood_glucose.json", R"({"data":[{"id":"a","day":"2024-01-01","v":1},{"day":"2024-01-02","v":2}]})");
    dir.write("u/cycle_insights.json", R"([{"id":"c","note":"no day"}])");
    StoreOptions o;
    o.fixtures_dir = dir.path.string();
    Store store(o);
    REQUIRE(store.resource("blood_glucose"));
    CHECK(store.resource("blood_glucose")->windowing == Windowing::date);
    CHECK(store.resource("cycle_insights")->windowing == Windowing::none);
    CHECK(store.resource("sleep") == find_resource("sleep"));
    CHECK_FALSE(store.resource("nothing"));
    auto extra = store.extra_resources();
    REQUIRE(extra.size() == 2);
    CHECK(extra[0].name == "blood_glucose");
    CHECK(store.truth(0, "blood_glucose") ==
          R"({"data":[{"id":"a","day":"2024-01-01","v":1},{"day":"2024-01-02","v":2}]})");
    store.reset();
    CHECK(store.resource("blood_glucose"));
}

TEST_CASE("the OpenAPI document lists every served collection with the parameters of its windowing", "[unit][sim]") {
    auto resources = all_resources();
    resources.push_back({"blood_glucose", Windowing::date, "", ""});
    auto spec = oura::core::parse_json(openapi_document(resources));
    CHECK(std::string(spec["openapi"].GetString()) == "3.1.0");
    const auto& paths = spec["paths"];
    for (const auto& r : resources) {
        INFO(r.name);
        CHECK(paths.HasMember(("/v2/usercollection/" + std::string(r.name)).c_str()));
    }
    auto params = [&](const char* path) {
        std::vector<std::string> names;
        for (const auto& p : paths[path]["get"]["parameters"].GetArray()) names.emplace_back(p["name"].GetString());
        return names;
    };
    CHECK(params("/v2/usercollection/blood_glucose") ==
          std::vector<std::string>{"start_date", "end_date", "next_token", "fields"});
    CHECK(params("/v2/usercollection/heartrate")[0] == "start_datetime");
    CHECK(params("/v2/usercollection/personal_info").empty());
    CHECK(paths.HasMember("/v2/usercollection/sleep/{document_id}"));
    CHECK_FALSE(paths.HasMember("/v2/usercollection/heartrate/{document_id}"));
}
