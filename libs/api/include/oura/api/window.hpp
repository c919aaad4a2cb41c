#pragma once
// Splitting a span of days into the requests Oura accepts.

#include <string>
#include <utility>
#include <vector>

#include "oura/api/catalog.hpp"
#include "oura/core/time.hpp"

namespace oura::api {

// Inclusive days: the user's local days. Date-mode requests name days, so the offset only matters
// for datetime mode, whose requests run from local midnight to local midnight at that offset
// (0: UTC days, when the user's zone is not known).
struct Window {
    core::Days from;
    core::Days to;
    int utc_offset_minutes = 0;  // east of UTC
    int days() const { return static_cast<int>((to - from).count()) + 1; }
    bool operator==(const Window&) const = default;
};

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Consecutive, non-overlapping windows covering every day of [from, to] exactly once, in order;
// empty when from > to. Each is small enough that its request (query_for, padding included)
// spans at most resource.max_window_days. Resources without a window (none, single) get one
// window for the whole span; their query ignores it.
std::vector<Window> plan_windows(const Resource& resource, core::Days from, core::Days to);
// The same for `window`, each piece keeping its UTC offset.
std::vector<Window> plan_windows(const Resource& resource, const Window& window);

// One day more on each side: Oura's end_date semantics are unclear (exclusive for daily_activity
// by some reports) and an overnight sleep can be filed under a neighbouring day. The caller
// dedupes documents by id.
Window pad_window(const Window& window);

// The query parameters for one window, without next_token:
//   date:     start_date/end_date of pad_window(window) (YYYY-MM-DD);
//   datetime: start_datetime = from 00:00:00, end_datetime = (to + 1) 00:00:00, local midnights
//             written with the window's offset (+00:00 when it is 0);
//   none, single: nothing.
// The '+' of the offset goes out as %2B because http::build_query encodes every reserved byte.
QueryParams query_for(const Resource& resource, const Window& window);

}  // namespace oura::api
