#pragma once
// Pure request logic of the data API: query windows, pagination tokens, field projection and the
// response envelope. No sockets, no shared state: everything here is unit-tested directly.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "dataset.hpp"

namespace oura::sim {

using Params = std::vector<std::pair<std::string, std::string>>;

// An answer other than 200: status and the JSON body Oura (FastAPI) would send.
struct ApiError {
    int status = 400;
    std::string body;
};

// heartrate/ring_battery_level refuse longer windows, as the real API is reported to (API-NOTES §1).
inline constexpr std::int64_t max_datetime_window_seconds = 30 * 86400;
inline constexpr std::string_view datetime_window_too_long =
    "The time window between start_datetime and end_datetime must be 30 days or less.";

std::optional<std::string> first_param(const Params& params, std::string_view key);

// {"detail":[{"type":…,"loc":["query",name],"msg":…[,"input":…]}]} — pydantic's shape.
std::string validation_error(std::string_view where, std::string_view name, std::string_view type, std::string_view msg,
                             std::optional<std::string_view> input = std::nullopt);

// Inclusive local-day window of a date-mode query.
struct DateWindow {
    std::string start_day;  // YYYY-MM-DD
    std::string end_day;
};
// Defaults: end = today, start = end − 1 day. A date-time value counts by its date part.
// Malformed → 422 with a detail list; start > end → 422 "Start date must be before end date".
std::variant<DateWindow, ApiError> parse_date_window(const Params& params, std::chrono::sys_days today);

// Inclusive instant window (Unix seconds) of a datetime-mode query.
struct TimeWindow {
    std::int64_t start = 0;
    std::int64_t end = 0;
    bool latest = false;  // only the newest row
    bool given = false;   // the client named start or end (latest without one means "newest of all")
};
// Defaults: the last 24 h before `now`. A '+' of the offset that arrived unencoded (decoded to a
// space) is read as '+'. Longer than 30 days → 400; malformed → 422; start > end → 422.
std::variant<TimeWindow, ApiError> parse_time_window(const Params& params, std::int64_t now);

// Position range [first, last) of the documents inside a window; `docs` sorted as the store keeps them.
std::pair<std::size_t, std::size_t> date_range(std::span<const Document> docs, std::string_view start_day,
                                               std::string_view end_day);
std::pair<std::size_t, std::size_t> time_range(std::span<const Document> docs, std::int64_t start, std::int64_t end);

// next_token: base64url of the offset and a fingerprint of the query, so a token replayed with
// other parameters (or for another user or collection) is refused rather than silently misread.
std::string query_fingerprint(std::string_view user, std::string_view resource, const Params& params);
std::string encode_page_token(std::size_t offset, std::string_view fingerprint);
std::optional<std::size_t> decode_page_token(std::string_view token, std::string_view fingerprint);
inline constexpr std::string_view invalid_page_token = "Invalid next_token.";

// fields=a,b → {"a","b"}; empty when absent or blank.
std::vector<std::string> parse_fields(std::optional<std::string_view> text);
// The item reduced to `fields` plus id/day/timestamp where present, members in their original order.
// Returns the input unchanged when it is not a JSON object.
std::string project_fields(std::string_view item_json, const std::vector<std::string>& fields);

// {"data":[…],"next_token":…} by concatenating the pre-serialised items (projected when `fields`
// is non-empty). `next_token` nullopt → null.
std::string build_envelope(std::span<const Document> items, const std::optional<std::string>& next_token,
                           const std::vector<std::string>& fields = {});

// `url` with the parameters appended as a query (after '?' or '&'; a #fragment is dropped).
std::string append_query(std::string_view url, const Params& params);

// RFC 4648 base64 in either alphabet, padding optional; nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace oura::sim
