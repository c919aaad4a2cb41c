#pragma once
// Reading numbers and lists out of text: flags, environment variables, HTTP headers, simulator
// queries. One parser each, so every place refuses the same malformed input the same way.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oura::core {

// `s` without leading and trailing spaces and tabs.
std::string_view trim(std::string_view s);

// `text` safe inside HTML element content and quoted attribute values (& < > " ' escaped).
std::string html_escape(std::string_view text);

// A whole decimal integer (optional leading '-', nothing else: no spaces, no '+', no exponent).
// nullopt when malformed or outside [min, max], including values that do not fit 64 bits.
std::optional<std::int64_t> parse_int(std::string_view text, std::int64_t min, std::int64_t max);

// A non-negative whole decimal integer from the network, where "larger than we accept" means
// "as large as we accept": values above `max` (however many digits) come back as `max`.
// nullopt when malformed, empty or negative.
std::optional<std::int64_t> parse_capped(std::string_view text, std::int64_t max);

// The items of a list such as "sleep, heartrate,,spo2": split at any of `separators`, each item
// trimmed, empty items dropped, order kept.
std::vector<std::string> split_list(std::string_view text, std::string_view separators = ",");

}  // namespace oura::core
