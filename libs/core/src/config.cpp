#include "oura/core/config.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

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
    long long out = 0;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec != std::errc{} || end != v->data() + v->size() || out < min || out > max)
        throw config_error(std::string(name) + " must be an integer from " + std::to_string(min) + " to " +
                           std::to_string(max) + ", got '" + *v + "'");
    return out;
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

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    long long n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || n < 0) return std::nullopt;
    std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    using namespace std::chrono;
    if (unit.empty() || unit == "s") return duration_cast<milliseconds>(seconds(n));
    if (unit == "ms") return milliseconds(n);
    if (unit == "m") return duration_cast<milliseconds>(minutes(n));
    if (unit == "h") return duration_cast<milliseconds>(hours(n));
    return std::nullopt;
}

}  // namespace oura::core
