#include "oura/core/config.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "oura/core/text.hpp"
#include "oura/core/time.hpp"

extern char** environ;

namespace oura::core {

Env Env::process() {
    std::map<std::string, std::string, std::less<>> vars;
    for (char** e = environ; e && *e; ++e) {
        std::string_view entry{*e};
        auto eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        vars.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
    return from(std::move(vars));
}

Env Env::from(std::map<std::string, std::string, std::less<>> vars) {
    Env env;
    env.vars_ = std::move(vars);
    return env;
}

std::optional<std::string> Env::get(std::string_view name) const {
    auto direct = vars_.find(name);
    auto file = vars_.find(std::string(name) + "_FILE");
    bool has_direct = direct != vars_.end() && !direct->second.empty();
    bool has_file = file != vars_.end() && !file->second.empty();
    if (has_direct && has_file)
        throw config_error(std::string(name) + " and " + std::string(name) + "_FILE are both set; set only one");
    if (has_direct) return direct->second;
    if (!has_file) return std::nullopt;
    std::ifstream in(file->second, std::ios::binary);
    if (!in)
        throw config_error(std::string(name) + "_FILE: cannot read '" + file->second + "': " + std::strerror(errno));
    std::ostringstream content;
    content << in.rdbuf();
    std::string value = content.str();
    if (!value.empty() && value.back() == '\n') value.pop_back();
    if (!value.empty() && value.back() == '\r') value.pop_back();
    if (value.empty()) throw config_error(std::string(name) + "_FILE: '" + file->second + "' is empty");
    return value;
}

std::string Env::get_or(std::string_view name, std::string_view fallback) const {
    auto v = get(name);
    return v ? *v : std::string(fallback);
}

std::string Env::require(std::string_view name) const {
    auto v = get(name);
    if (!v) throw config_error(std::string(name) + " is required (set it, or " + std::string(name) + "_FILE)");
    return *v;
}

long long Env::get_int(std::string_view name, long long fallback, long long min, long long max) const {
    auto v = get(name);
    if (!v) return fallback;
    auto out = parse_int(*v, min, max);
    if (!out)
        throw config_error(std::string(name) + " must be an integer from " + std::to_string(min) + " to " +
                           std::to_string(max) + ", got '" + *v + "'");
    return *out;
}

bool Env::get_bool(std::string_view name, bool fallback) const {
    auto v = get(name);
    if (!v) return fallback;
    if (*v == "1" || *v == "true" || *v == "yes" || *v == "on") return true;
    if (*v == "0" || *v == "false" || *v == "no" || *v == "off") return false;
    throw config_error(std::string(name) + " must be true or false, got '" + *v + "'");
}

std::chrono::milliseconds Env::get_duration(std::string_view name, std::chrono::milliseconds fallback) const {
    auto v = get(name);
    if (!v) return fallback;
    auto d = parse_duration(*v);
    if (!d) throw config_error(std::string(name) + " must be a duration like 30s, 250ms, 5m or 2h, got '" + *v + "'");
    return *d;
}

std::string Env::get_url(std::string_view name, std::string_view fallback) const {
    auto v = get(name);
    if (!v) return std::string(fallback);
    if (!is_http_url(*v))
        throw config_error(std::string(name) + " must be an http:// or https:// URL with a host, got '" + *v + "'");
    return *v;
}

std::string Env::get_readable_file(std::string_view name) const {
    auto v = get(name);
    if (!v) return {};
    std::ifstream in(*v, std::ios::binary);
    if (!in) throw config_error(std::string(name) + ": cannot read '" + *v + "': " + std::strerror(errno));
    return *v;
}

std::optional<std::chrono::sys_seconds> Env::get_instant(std::string_view name) const {
    auto v = get(name);
    if (!v) return std::nullopt;
    // parse_datetime reads a value without an offset as UTC; a setting must say which it means.
    auto t = parse_datetime(*v);
    bool has_zone = !v->empty() && (v->back() == 'Z' || v->back() == 'z' || v->find_first_of("+-", 19) != std::string::npos);
    if (!t || !has_zone)
        throw config_error(std::string(name) + " must be an ISO 8601 instant with an offset, like 2026-01-15T23:30:00Z, got '" +
                           *v + "'");
    return t->utc;
}

bool is_http_url(std::string_view text) {
    std::string_view rest;
    if (text.rfind("http://", 0) == 0) rest = text.substr(7);
    else if (text.rfind("https://", 0) == 0) rest = text.substr(8);
    else return false;
    auto authority = rest.substr(0, rest.find_first_of("/?#"));
    if (authority.empty() || authority.find_first_of(" @") != std::string_view::npos) return false;
    std::string_view host = authority, port;
    if (authority.front() == '[') {  // IPv6 literal
        auto close = authority.find(']');
        if (close == std::string_view::npos || close == 1) return false;
        host = authority.substr(0, close + 1);
        auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return false;
            port = after.substr(1);
            if (port.empty()) return false;
        }
    } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
        if (port.empty()) return false;
    }
    if (host.empty()) return false;
    if (!port.empty() && !parse_int(port, 1, 65535)) return false;
    return true;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    auto digits = text.find_first_not_of("0123456789");
    if (digits == 0) return std::nullopt;
    auto unit = digits == std::string_view::npos ? std::string_view{} : text.substr(digits);
    using namespace std::chrono;
    std::int64_t per_unit = 0;  // milliseconds
    if (unit.empty() || unit == "s")
        per_unit = 1000;
    else if (unit == "ms")
        per_unit = 1;
    else if (unit == "m")
        per_unit = 60'000;
    else if (unit == "h")
        per_unit = 3'600'000;
    else
        return std::nullopt;
    // A year is longer than any timeout or interval we take; the bound keeps the product far from
    // overflowing the milliseconds' 64 bits.
    constexpr std::int64_t max_ms = 366LL * 24 * 3'600'000;
    auto n = parse_int(text.substr(0, digits), 0, max_ms / per_unit);
    if (!n) return std::nullopt;
    return milliseconds(*n * per_unit);
}

}  // namespace oura::core
