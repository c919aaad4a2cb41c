#include "oura/sync/discovery.hpp"

#include <catch2/catch.hpp>

using namespace oura;

TEST_CASE("a catalogued collection is stored with the catalog's fields and needs ids", "[unit][sync]") {
    auto shape = sync::shape_for(*api::find_resource("sleep"), {R"({"id":"a","timestamp":"2024-01-01T00:00:00Z"})"});
    CHECK(shape.day_field == "day");
    CHECK(shape.start_field == "bedtime_start");
    CHECK(shape.end_field == "bedtime_end");
    CHECK_FALSE(shape.key_by_hash);
}

TEST_CASE("a discovered collection takes the usual field names its documents carry", "[unit][sync]") {
    auto glucose = api::make_discovered("blood_glucose");
    auto shape = sync::shape_for(glucose, {R"({"id":"a","start_day":"2024-01-01","value":1})",
                                           R"({"start_day":"2024-01-02","start_time":"2024-01-02T08:00:00+01:00",)"
                                           R"("end_time":"2024-01-02T09:00:00+01:00","timestamp":"x"})"});
    CHECK(shape.day_field == "start_day");
    CHECK(shape.start_field == "start_time");  // more specific than a timestamp
    CHECK(shape.end_field == "end_time");
    CHECK(shape.key_by_hash);

    // A number is not a date: only string fields count.
    auto bare = sync::shape_for(glucose, {R"({"day":20240101,"timestamp":1704067200})"});
    CHECK(bare.day_field.empty());
    CHECK(bare.start_field.empty());
    CHECK(bare.key_by_hash);
}
