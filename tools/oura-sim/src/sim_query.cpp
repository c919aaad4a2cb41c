#include "sim_query.hpp"

#include <rapidjson/document.h>

#include <algorithm>

#include "oura/core/crypto.hpp"
#include "oura/core/json.hpp"
#include "oura/core/log.hpp"
#include "oura/core/text.hpp"
#include "oura/core/time.hpp"
#include "oura/http/message.hpp"

namespace oura::sim {
namespace {

std::optional<std::string> date_part(std::string_view value) {
    if (core::parse_date(value)) return std::string(value);
    if (value.size() > 10 && core::parse_datetime(value)) return std::string(value.substr(0, 10));
    return std::nullopt;
}

// A '+' sent unencoded in a query string arrives as a space; put it back before parsing.
std::string restore_plus(std::string value) {
    for (std::size_t i = 19; i < value.size(); ++i)
        if (value[i] == ' ') value[i] = '+';
    return value;
}

std::optional<bool> parse_bool(std::string_view v) {
    std::string s(v);
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s == "true" || s == "1" || s == "yes" || s == "on" || s == "t" || s == "y") return true;
    if (s == "false" || s == "0" || s == "no" || s == "off" || s == "f" || s == "n") return false;
    return std::nullopt;
}

ApiError unprocessable(std::string_view name, std::string_view type, std::string_view msg,
                       std::optional<std::string_view> input) {
    return ApiError{422, validation_error("query", name, type, msg, input)};
}

}  // namespace

std::optional<std::string> first_param(const Params& params, std::string_view key) {
    for (const auto& [k, v] : params)
        if (k == key) return v;
    return std::nullopt;
}

std::string validation_error(std::string_view where, std::string_view name, std::string_view type, std::string_view msg,
                             std::optional<std::string_view> input) {
    core::JsonWriter w;
    w.begin_object().key("detail").begin_array();
    w.begin_object().field("type", type).key("loc").begin_array().string(where);
    if (!name.empty()) w.string(name);
    w.end_array().field("msg", msg);
    if (input) w.field("input", *input);
    w.end_object();
    w.end_array().end_object();
    return w.take();
}

std::variant<DateWindow, ApiError> parse_date_window(const Params& params, std::chrono::sys_days today) {
    std::optional<std::string> start, end;
    for (std::string_view name : {"start_date", "end_date"}) {
        auto raw = first_param(params, name);
        if (!raw) continue;
        auto day = date_part(*raw);
        if (!day)
            return unprocessable(name, "date_from_datetime_parsing", "Input should be a valid date or datetime", *raw);
        (name == "start_date" ? start : end) = day;
    }
    if (!end) end = core::format_date(today);
    if (!start) start = core::format_date(*core::parse_date(*end) - std::chrono::days(1));
    if (*start > *end)
        return ApiError{422,
                        validation_error("query", "start_date", "value_error", "Start date must be before end date")};
    return DateWindow{*start, *end};
}

std::variant<TimeWindow, ApiError> parse_time_window(const Params& params, std::int64_t now) {
    TimeWindow w;
    std::optional<std::int64_t> start, end;
    for (std::string_view name : {"start_datetime", "end_datetime"}) {
        auto raw = first_param(params, name);
        if (!raw) continue;
        auto parsed = core::parse_datetime(restore_plus(*raw));
        if (!parsed) return unprocessable(name, "datetime_from_date_parsing", "Input should be a valid datetime", *raw);
        (name == "start_datetime" ? start : end) = parsed->utc.time_since_epoch().count();
        w.given = true;
    }
    if (auto latest = first_param(params, "latest")) {
        auto b = parse_bool(*latest);
        if (!b)
            return unprocessable("latest", "bool_parsing", "Input should be a valid boolean, unable to interpret input",
                                 *latest);
        w.latest = *b;
    }
    w.end = end ? *end : (start ? std::max(now, *start) : now);
    w.start = start ? *start : w.end - 86400;
    if (w.start > w.end)
        return ApiError{422, validation_error("query", "start_datetime", "value_error",
                                              "Start datetime must be before end datetime")};
    if (w.end - w.start > max_datetime_window_seconds) return ApiError{400, core::error_body(datetime_window_too_long)};
    return w;
}

std::pair<std::size_t, std::size_t> date_range(std::span<const Document> docs, std::string_view start_day,
                                               std::string_view end_day) {
    auto lo = std::lower_bound(docs.begin(), docs.end(), start_day,
                               [](const Document& d, std::string_view day) { return d.day < day; });
    auto hi =
        std::upper_bound(lo, docs.end(), end_day, [](std::string_view day, const Document& d) { return day < d.day; });
    return {static_cast<std::size_t>(lo - docs.begin()), static_cast<std::size_t>(hi - docs.begin())};
}

std::pair<std::size_t, std::size_t> time_range(std::span<const Document> docs, std::int64_t start, std::int64_t end) {
    auto lo =
        std::lower_bound(docs.begin(), docs.end(), start, [](const Document& d, std::int64_t t) { return d.ts < t; });
    auto hi = std::upper_bound(lo, docs.end(), end, [](std::int64_t t, const Document& d) { return t < d.ts; });
    return {static_cast<std::size_t>(lo - docs.begin()), static_cast<std::size_t>(hi - docs.begin())};
}

std::string query_fingerprint(std::string_view user, std::string_view resource, const Params& params) {
    std::vector<std::pair<std::string, std::string>> sorted;
    for (const auto& p : params)
        if (p.first != "next_token") sorted.push_back(p);
    std::sort(sorted.begin(), sorted.end());
    std::string text;
    text.append(user).append("\n").append(resource).append("\n");
    for (const auto& [k, v] : sorted) text.append(k).append("=").append(v).append("\n");
    return core::sha256_hex(text).substr(0, 16);
}

std::string encode_page_token(std::size_t offset, std::string_view fingerprint) {
    return core::base64url(std::to_string(offset) + "." + std::string(fingerprint));
}

std::optional<std::size_t> decode_page_token(std::string_view token, std::string_view fingerprint) {
    auto plain = base64_decode(token);
    if (!plain) return std::nullopt;
    auto dot = plain->find('.');
    if (dot == std::string::npos || dot == 0) return std::nullopt;
    if (!core::constant_time_equal(std::string_view(*plain).substr(dot + 1), fingerprint)) return std::nullopt;
    auto offset = core::parse_int(std::string_view(*plain).substr(0, dot), 0, std::numeric_limits<std::int64_t>::max());
    if (!offset) return std::nullopt;
    return static_cast<std::size_t>(*offset);
}

std::vector<std::string> parse_fields(std::optional<std::string_view> text) {
    std::vector<std::string> out;
    if (!text) return out;
    for (auto& word : core::split_list(*text))
        if (std::find(out.begin(), out.end(), word) == out.end()) out.push_back(std::move(word));
    return out;
}

std::string project_fields(std::string_view item_json, const std::vector<std::string>& fields) {
    rapidjson::Document doc;
    doc.Parse(item_json.data(), item_json.size());
    if (doc.HasParseError() || !doc.IsObject()) return std::string(item_json);
    for (auto it = doc.MemberBegin(); it != doc.MemberEnd();) {
        std::string_view name(it->name.GetString(), it->name.GetStringLength());
        bool always = name == "id" || name == "day" || name == "timestamp";
        if (always || std::find(fields.begin(), fields.end(), name) != fields.end())
            ++it;
        else
            it = doc.EraseMember(it);  // EraseMember keeps the order of the rest
    }
    return core::to_json(doc);
}

std::string build_envelope(std::span<const Document> items, const std::optional<std::string>& next_token,
                           const std::vector<std::string>& fields) {
    std::string out;
    std::size_t size = 40;
    for (const auto& d : items) size += d.json.size() + 1;
    out.reserve(size);
    core::JsonWriter w(out);
    w.begin_object().key("data").begin_array();
    // Stored documents are JSON already (the store wrote or checked them): copied, not re-parsed.
    for (const auto& d : items) w.raw(fields.empty() ? d.json : project_fields(d.json, fields));
    w.end_array().key("next_token");
    if (next_token)
        w.string(*next_token);
    else
        w.null();
    w.end_object();
    return out;
}

std::string append_query(std::string_view url, const Params& params) {
    std::string out(url);
    auto hash = out.find('#');
    if (hash != std::string::npos) out.resize(hash);
    out.push_back(out.find('?') == std::string::npos ? '?' : '&');
    out += http::build_query(params);
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    std::string out;
    out.reserve(text.size() * 3 / 4);
    unsigned buffer = 0;
    int bits = 0;
    for (char c : text) {
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '-' || c == '+')
            v = 62;
        else if (c == '_' || c == '/')
            v = 63;
        else
            return std::nullopt;
        buffer = (buffer << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xff));
        }
    }
    if (bits >= 6) return std::nullopt;  // a lone trailing character cannot encode a byte
    return out;
}

}  // namespace oura::sim
