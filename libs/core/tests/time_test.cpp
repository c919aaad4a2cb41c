#include <catch2/catch.hpp>

#include "oura/core/time.hpp"

using namespace oura::core;
using namespace std::chrono;

TEST_CASE("dates parse strictly and print back the same", "[unit][time]") {
    auto d = parse_date("2024-02-29");
    REQUIRE(d);
    CHECK(format_date(*d) == "2024-02-29");
    CHECK_FALSE(parse_date("2023-02-29"));
    CHECK_FALSE(parse_date("2024-2-29"));
    CHECK_FALSE(parse_date("2024-02-29T00:00"));
}

TEST_CASE("an Oura local time keeps its offset and maps to the right instant", "[unit][time]") {
    auto t = parse_datetime("2024-10-10T01:01:59+02:00");
    REQUIRE(t);
    CHECK(t->offset_minutes == 120);
    CHECK(format_utc(t->utc) == "2024-10-09T23:01:59+00:00");
    CHECK(format_datetime(t->utc, t->offset_minutes) == "2024-10-10T01:01:59+02:00");
    CHECK(format_date(local_day(t->utc, t->offset_minutes)) == "2024-10-10");
    CHECK(format_date(local_day(t->utc, 0)) == "2024-10-09");
}

TEST_CASE("UTC markers, fractions, negative and half-hour offsets all parse", "[unit][time]") {
    CHECK(parse_datetime("2024-01-01T00:00:00Z")->offset_minutes == 0);
    CHECK(parse_datetime("2024-01-01T00:00:00.123+00:00")->utc == sys_days{2024y / 1 / 1});
    CHECK(parse_datetime("2024-01-01T00:00:00-05:00")->offset_minutes == -300);
    CHECK(parse_datetime("2024-01-01T00:00:00+05:30")->offset_minutes == 330);
    CHECK(parse_datetime("2024-01-01T00:00:00")->offset_minutes == 0);
    CHECK_FALSE(parse_datetime("2024-01-01T25:00:00Z"));
    CHECK_FALSE(parse_datetime("yesterday"));
}

TEST_CASE("a manual clock moves only when told", "[unit][time]") {
    ManualClock clock(system_clock::time_point{sys_days{2025y / 1 / 1}});
    auto t0 = clock.now();
    clock.advance(minutes(5));
    CHECK(clock.now() - t0 == minutes(5));
}
