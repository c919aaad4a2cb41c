#include "oura/sync/plan.hpp"

#include <algorithm>

namespace oura::sync {

core::Days local_today(core::Seconds now, std::optional<int> utc_offset_minutes) {
    return core::local_day(now, utc_offset_minutes.value_or(0));
}

api::Window poll_window(core::Seconds now, int days, std::optional<int> utc_offset_minutes) {
    auto today = local_today(now, utc_offset_minutes);
    return {today - std::chrono::days(std::max(days, 1) - 1), today, utc_offset_minutes.value_or(0)};
}

api::Window series_poll_window(core::Seconds now, int days, std::optional<int> utc_offset_minutes) {
    auto window = poll_window(now, days, utc_offset_minutes);
    if (!utc_offset_minutes) {
        window.from -= std::chrono::days(1);
        window.to += std::chrono::days(1);
    }
    return window;
}

api::Window series_window(const api::Window& window, std::optional<core::Seconds> newest_sample) {
    auto out = window;
    if (newest_sample) out.from = std::min(out.from, core::local_day(*newest_sample, window.utc_offset_minutes));
    return out;
}

}  // namespace oura::sync
