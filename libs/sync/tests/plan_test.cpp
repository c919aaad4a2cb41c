#include "oura/sync/plan.hpp"

#include <catch2/catch.hpp>

#include "oura/api/catalog.hpp"

using namespace oura;
using namespace std::chrono;

namespace {
core::Days ymd(int y, unsigned m, unsigned d) { return sys_days{year{y} / month{m} / d}; }
core::Seconds at(int y, unsigned m, unsigned d, int h, int min) {
    return core::Seconds(ymd(y, m, d)) + hours(h) + minutes(min);
}
std::string param(const api::QueryParams& q, const std::string& name) {
    for (const auto& [k, v] : q)
        if (k == name) return v;
    return "";
}
}  // namespace

TEST_CASE("at 23:30 UTC a user at UTC+13 is on the next day and one at UTC-10 on the same day", "[unit][sync]") {
    auto now = at(2026, 1, 14, 23, 30);
    CHECK(sync::local_today(now, 13 * 60) == ymd(2026, 1, 15));
    CHECK(sync::local_today(now, -10 * 60) == ymd(2026, 1, 14));
    CHECK(sync::local_today(now, std::nullopt) == ymd(2026, 1, 14));
}

TEST_CASE("at 00:30 UTC a user at UTC-10 is still on the previous day", "[unit][sync]") {
    auto now = at(2026, 1, 15, 0, 30);
    CHECK(sync::local_today(now, -10 * 60) == ymd(2026, 1, 14));
    CHECK(sync::local_today(now, 13 * 60) == ymd(2026, 1, 15));
    CHECK(sync::local_today(now, 0) == ymd(2026, 1, 15));
}

TEST_CASE("the poll window is N local days ending on the user's today", "[unit][sync]") {
    auto w = sync::poll_window(at(2026, 1, 14, 23, 30), 3, 13 * 60);
    CHECK(w.from == ymd(2026, 1, 13));
    CHECK(w.to == ymd(2026, 1, 15));
    CHECK(w.utc_offset_minutes == 13 * 60);
    CHECK(sync::poll_window(at(2026, 1, 14, 23, 30), 1, std::nullopt).from == ymd(2026, 1, 14));
}

TEST_CASE("a time-series request runs from the user's local midnight to the local midnight after the last day",
          "[unit][sync]") {
    auto w = sync::poll_window(at(2026, 1, 15, 12, 0), 730, 2 * 60);
    auto q = api::query_for(*api::find_resource("heartrate"), api::plan_windows(*api::find_resource("heartrate"), w).front());
    CHECK(param(q, "start_datetime") == "2024-01-17T00:00:00+02:00");
    auto last = api::plan_windows(*api::find_resource("heartrate"), w).back();
    CHECK(param(api::query_for(*api::find_resource("heartrate"), last), "end_datetime") == "2026-01-16T00:00:00+02:00");
    auto west = api::query_for(*api::find_resource("ring_battery_level"), sync::poll_window(at(2026, 1, 15, 0, 30), 1, -600));
    CHECK(param(west, "start_datetime") == "2026-01-14T00:00:00-10:00");
    CHECK(param(west, "end_datetime") == "2026-01-15T00:00:00-10:00");
}

TEST_CASE("time series cover the whole window and reach back to an older newest sample", "[unit][sync]") {
    auto w = sync::poll_window(at(2026, 1, 15, 12, 0), 30, 60);
    // A newer sample does not shorten the window: --days N means N days for every resource.
    CHECK(sync::series_window(w, at(2026, 1, 15, 9, 0)).from == ymd(2025, 12, 17));
    CHECK(sync::series_window(w, std::nullopt).from == ymd(2025, 12, 17));
    // An older one extends it back to that sample's local day (23:30 UTC is the next day at +01:00).
    auto older = sync::series_window(w, at(2025, 11, 1, 23, 30));
    CHECK(older.from == ymd(2025, 11, 2));
    CHECK(older.to == ymd(2026, 1, 15));
    CHECK(older.utc_offset_minutes == 60);
}
