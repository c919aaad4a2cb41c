#include "oura/core/text.hpp"

#include <algorithm>
#include <charconv>

namespace oura::core {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::optional<std::int64_t> parse_int(std::string_view text, std::int64_t min, std::int64_t max) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || v < min || v > max)
        return std::nullopt;
    return v;
}

std::optional<std::int64_t> parse_capped(std::string_view text, std::int64_t max) {
    if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    // Only digits were given, so the one way from_chars can fail is a value beyond 64 bits.
    if (ec == std::errc::result_out_of_range || v > max) return std::max<std::int64_t>(max, 0);
    return v;
}

std::vector<std::string> split_list(std::string_view text, std::string_view separators) {
    std::vector<std::string> out;
    while (!text.empty()) {
        auto at = text.find_first_of(separators);
        auto item = trim(text.substr(0, at));
        if (!item.empty()) out.emplace_back(item);
        text = at == std::string_view::npos ? std::string_view{} : text.substr(at + 1);
    }
    return out;
}

}  // namespace oura::core
