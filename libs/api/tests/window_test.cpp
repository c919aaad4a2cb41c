#include "oura/api/window.hpp"

#include <catch2/catch.hpp>

#include "oura/http/message.hpp"

using namespace oura::api;
using namespace std::chrono;
using oura::core::Days;

namespace {
Days ymd(int y, unsigned m, unsigned d) {
    return sys_days{year{y} / month{m} / d};
}
}  // namespace

TEST_CASE("three years of heart rate become windows of at most 30 days covering every day once", "[unit][api]") {
    const auto& hr = *find_resource("heartrate");
    auto from = ymd(2022, 1, 1), to = ymd(2024, 12, 31);
    auto windows = plan_windows(hr, from, to);
    REQUIRE_FALSE(windows.empty());
    CHECK(windows.front().from == from);
    CHECK(windows.back().to == to);
    for (std::size_t i = 0; i < windows.size(); ++i) {
        CHECK(windows[i].days() <= 30);
        CHECK(windows[i].from <= windows[i].to);
        if (i > 0) CHECK(windows[i].from == windows[i - 1].to + std::chrono::days(1));  // no gap, no overlap
    }
    // Every request spans at most 30 days from midnight to midnight.
    for (const auto& w : windows) {
        auto q = query_for(hr, w);
        auto start = oura::core::parse_datetime(q[0].second);
        auto end = oura::core::parse_datetime(q[1].second);
        REQUIRE(start);
        REQUIRE(end);
        CHECK(end->utc - start->utc <= hours(24 * 30));
    }
}

TEST_CASE("date windows are padded by a day on each side and still stay within the limit", "[unit][api]") {
    const auto& sleep = *find_resource("sleep");
    auto windows = plan_windows(sleep, ymd(2024, 1, 1), ymd(2024, 12, 31));
    int covered = 0;
    for (const auto& w : windows) {
        covered += w.days();
        auto padded = pad_window(w);
        CHECK(padded.days() <= sleep.max_window_days);
        auto q = query_for(sleep, w);
        REQUIRE(q.size() == 2);
        CHECK(q[0].first == "start_date");
        CHECK(q[0].second == oura::core::format_date(w.from - std::chrono::days(1)));
        CHECK(q[1].first == "end_date");
        CHECK(q[1].second == oura::core::format_date(w.to + std::chrono::days(1)));
    }
    CHECK(covered == 366);
}

TEST_CASE("one day asks Oura for three, so an overnight sleep filed next door is not missed", "[unit][api]") {
    const auto& sleep = *find_resource("sleep");
    auto windows = plan_windows(sleep, ymd(2024, 3, 10), ymd(2024, 3, 10));
    REQUIRE(windows.size() == 1);
    auto q = query_for(sleep, windows[0]);
    CHECK(oura::http::build_query(q) == "start_date=2024-03-09&end_date=2024-03-11");
}

TEST_CASE("an empty or reversed span plans nothing", "[unit][api]") {
    CHECK(plan_windows(*find_resource("sleep"), ymd(2024, 3, 10), ymd(2024, 3, 9)).empty());
}

TEST_CASE("datetime queries go out with the offset's plus sign encoded as %2B", "[unit][api]") {
    const auto& hr = *find_resource("heartrate");
    auto q = query_for(hr, Window{ymd(2024, 1, 1), ymd(2024, 1, 2)});
    REQUIRE(q.size() == 2);
    CHECK(q[0].first == "start_datetime");
    CHECK(q[0].second == "2024-01-01T00:00:00+00:00");
    CHECK(q[1].second == "2024-01-03T00:00:00+00:00");
    CHECK(oura::http::build_query(q) ==
          "start_datetime=2024-01-01T00%3A00%3A00%2B00%3A00&end_datetime=2024-01-03T00%3A00%3A00%2B00%3A00");
}

TEST_CASE("collections without a window send no dates", "[unit][api]") {
    for (auto name : {"ring_configuration", "personal_info"}) {
        const auto& r = *find_resource(name);
        auto windows = plan_windows(r, ymd(2020, 1, 1), ymd(2024, 1, 1));
        REQUIRE(windows.size() == 1);
        CHECK(query_for(r, windows[0]).empty());
    }
}
