#include "sim_store.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "oura/core/crypto.hpp"
#include "oura/core/json.hpp"
#include "oura/core/time.hpp"

using namespace oura::sim;

namespace {

namespace fs = std::filesystem;

struct TempDir {
    fs::path path = fs::temp_directory_path() / ("sim-store-" + oura::core::to_hex(oura::core::random_bytes(6)));
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
    void write(const std::string& rel, const std::string& text) const {
        fs::create_directories((path / rel).parent_path());
        std::ofstream(path / rel) << text;
    }
};

}  // namespace

TEST_CASE("revising bumps the score, down from 100", "[unit][sim]") {
    CHECK(revise_json(R"({"id":"a","score":80,"day":"2024-01-01"})", nullptr) ==
          R"({"id":"a","score":81,"day":"2024-01-01"})");
    CHECK(revise_json(R"({"id":"a","score":100})", nullptr) == R"({"id":"a","score":99})");
}

TEST_CASE("revising falls back to contributors and then text", "[unit][sim]") {
    CHECK(revise_json(R"({"id":"a","contributors":{"stress":50.5},"level":"solid"})", nullptr) ==
          R"({"id":"a","contributors":{"stress":51.0},"level":"solid"})");
    CHECK(revise_json(R"({"id":"a","tag_type_code":"x","comment":null})", nullptr) ==
          R"({"id":"a","tag_type_code":"x","comment":"revised"})");
}

TEST_CASE("revising with set replaces and adds members", "[unit][sim]") {
    auto set = oura::core::parse_json(R"({"score":42,"new":true})");
    CHECK(revise_json(R"({"id":"a","score":80})", &set) == R"({"id":"a","score":42,"new":true})");
}

TEST_CASE("keys come from the document's own fields", "[unit][sim]") {
    Document d;
    CHECK(derive_keys(
        oura::core::parse_json(R"({"id":"s","day":"2024-01-02","bedtime_start":"2024-01-01T23:00:00+01:00"})"),
        Windowing::date, d));
    CHECK(d.day == "2024-01-02");
    CHECK(d.ts == 1704146400);
    CHECK(
        derive_keys(oura::core::parse_json(R"({"id":"t","start_day":"2024-02-01","start_time":"2024-02-01T10:00:00"})"),
                    Windowing::date, d));
    CHECK(d.day == "2024-02-01");
    CHECK(derive_keys(oura::core::parse_json(R"({"bpm":60,"source":"awake","timestamp":"2024-01-01T00:00:10+00:00"})"),
                      Windowing::datetime, d));
    CHECK(d.ts == 1704067210);
    CHECK_FALSE(derive_keys(oura::core::parse_json(R"({"score":1})"), Windowing::date, d));
}

TEST_CASE("fixtures load per user folder, sorted, with personal_info", "[unit][sim]") {
    TempDir dir;
    dir.write("alice/personal_info.json", R"({"id":"oura-alice","email":"a@example.test","age":30})");
    dir.write("alice/daily_sleep.json",
              R"({"data":[{"id":"d2","day":"2024-01-02","score":70},{"id":"d1","day":"2024-01-01","score":60}]})");
    dir.write("bob/heartrate.json", R"({"data":[{"bpm":61,"source":"rest","timestamp":"2024-01-01T00:05:00+00:00"},
                                                {"bpm":60,"source":"rest","timestamp":"2024-01-01T00:00:00+00:00"}]})");
    StoreOptions o;
    o.fixtures_dir = dir.path.string();
    o.generator.end_day = *oura::core::parse_date("2024-01-02");
    Store store(o);
    REQUIRE(store.user_count() == 2);
    CHECK(store.user(0).oura_user_id == "oura-alice");
    CHECK(store.user(0).email == "a@example.test");
    CHECK(store.find_user("bob") == std::optional<int>(1));
    CHECK(store.truth(0, "daily_sleep") ==
          R"({"data":[{"id":"d1","day":"2024-01-01","score":60},{"id":"d2","day":"2024-01-02","score":70}]})");
    CHECK(store.document(0, "daily_sleep", "d2") ==
          std::optional<std::string>(R"({"id":"d2","day":"2024-01-02","score":70})"));
    std::vector<std::int64_t> ts;
    store.read(1, "heartrate", [&](std::span<const Document> docs) {
        for (const auto& d : docs) ts.push_back(d.ts);
    });
    CHECK(ts == std::vector<std::int64_t>{1704067200, 1704067500});

    CHECK(store.remove(0, "daily_sleep", "d1"));
    CHECK_FALSE(store.document(0, "daily_sleep", "d1"));
    CHECK(store.document(0, "daily_sleep", "d2"));
    auto change = store.add(0, "daily_sleep", R"({"id":"d0","day":"2023-12-31","score":1})");
    CHECK(change.operation == "create");
    CHECK(store.truth(0, "daily_sleep").find("\"d0\"") == 15);
    store.reset();
    CHECK(store.document(0, "daily_sleep", "d1"));
    CHECK_FALSE(store.document(0, "daily_sleep", "d0"));
}

TEST_CASE("a fixture item without the keys it is paged by is refused by name", "[unit][sim]") {
    TempDir dir;
    dir.write("u/daily_sleep.json", R"({"data":[{"score":70}]})");
    StoreOptions o;
    o.fixtures_dir = dir.path.string();
    CHECK_THROWS_WITH(Store(o), Catch::Contains("daily_sleep.json") && Catch::Contains("item 0"));
}
