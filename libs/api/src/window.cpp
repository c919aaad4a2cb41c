#include "oura/api/window.hpp"

#include <algorithm>

namespace oura::api {

namespace {

// Days of one planned window such that the request stays within max_window_days.
int chunk_days(const Resource& r) {
    int max = std::max(r.max_window_days, 1);
    if (r.mode == DateMode::date) return std::max(max - 2, 1);  // pad_window adds two days
    return max;
}

}  // namespace

std::vector<Window> plan_windows(const Resource& resource, core::Days from, core::Days to) {
    std::vector<Window> out;
    if (from > to) return out;
    if (resource.mode == DateMode::none || resource.mode == DateMode::single) {
        out.push_back({from, to});
        return out;
    }
    const auto step = std::chrono::days(chunk_days(resource));
    for (auto start = from; start <= to; start += step) {
        auto end = std::min(to, start + step - std::chrono::days(1));
        out.push_back({start, end});
    }
    return out;
}

std::vector<Window> plan_windows(const Resource& resource, const Window& window) {
    auto out = plan_windows(resource, window.from, window.to);
    for (auto& w : out) w.utc_offset_minutes = window.utc_offset_minutes;
    return out;
}

Window pad_window(const Window& window) {
    return {window.from - std::chrono::days(1), window.to + std::chrono::days(1)};
}

QueryParams query_for(const Resource& resource, const Window& window) {
    switch (resource.mode) {
        case DateMode::date: {
            auto padded = pad_window(window);
            return {{"start_date", core::format_date(padded.from)}, {"end_date", core::format_date(padded.to)}};
        }
        case DateMode::datetime: {
            const auto offset = std::chrono::minutes(window.utc_offset_minutes);
            auto midnight = [&](core::Days day) {
                return core::format_datetime(core::Seconds(day) - offset, window.utc_offset_minutes);
            };
            return {{"start_datetime", midnight(window.from)}, {"end_datetime", midnight(window.to + std::chrono::days(1))}};
        }
        case DateMode::none:
        case DateMode::single:
            return {};
    }
    return {};
}

}  // namespace oura::api
