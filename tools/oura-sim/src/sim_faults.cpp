#include "sim_faults.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "oura/core/json.hpp"
#include "oura/core/log.hpp"
#include "oura/core/text.hpp"

namespace oura::sim {
namespace {

long to_long(std::string_view key, std::string_view v) {
    auto out = core::parse_int(v, 0, std::numeric_limits<long>::max());
    if (!out)
        throw std::invalid_argument(std::string(key) + " must be a whole number >= 0, got '" + std::string(v) + "'");
    return static_cast<long>(*out);
}

double to_probability(std::string_view v) {
    char* end = nullptr;
    std::string s(v);
    double p = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || !(p >= 0.0 && p <= 1.0))
        throw std::invalid_argument("probability must be a number from 0 to 1, got '" + s + "'");
    return p;
}

void apply(FaultRule& rule, std::string_view key, std::string_view value) {
    if (key == "route")
        rule.route = std::string(value);
    else if (key == "probability")
        rule.probability = to_probability(value);
    else if (key == "count")
        rule.count = to_long(key, value);
    else if (key == "latency_ms")
        rule.latency = std::chrono::milliseconds(to_long(key, value));
    else if (key == "retry_after")
        rule.retry_after = static_cast<int>(to_long(key, value));
    else if (key == "tier")
        rule.tier = std::string(value);
    else
        throw std::invalid_argument("unknown fault setting '" + std::string(key) + "'");
}

}  // namespace

std::optional<FaultKind> parse_fault_kind(std::string_view name) {
    if (name == "429") return FaultKind::rate_limited;
    if (name == "500") return FaultKind::internal_error;
    if (name == "502") return FaultKind::bad_gateway;
    if (name == "503") return FaultKind::unavailable;
    if (name == "latency") return FaultKind::latency;
    if (name == "hang") return FaultKind::hang;
    if (name == "truncate") return FaultKind::truncate;
    if (name == "reset") return FaultKind::reset;
    return std::nullopt;
}

std::string_view to_string(FaultKind kind) {
    switch (kind) {
        case FaultKind::rate_limited:
            return "429";
        case FaultKind::internal_error:
            return "500";
        case FaultKind::bad_gateway:
            return "502";
        case FaultKind::unavailable:
            return "503";
        case FaultKind::latency:
            return "latency";
        case FaultKind::hang:
            return "hang";
        case FaultKind::truncate:
            return "truncate";
        case FaultKind::reset:
            return "reset";
    }
    return "?";
}

FaultRule parse_fault_spec(std::string_view spec) {
    auto colon = spec.find(':');
    auto kind_name = spec.substr(0, colon);
    auto kind = parse_fault_kind(kind_name);
    if (!kind)
        throw std::invalid_argument("unknown fault kind '" + std::string(kind_name) +
                                    "' (429, 500, 502, 503, latency, hang, truncate, reset)");
    FaultRule rule;
    rule.kind = *kind;
    auto rest = colon == std::string_view::npos ? std::string_view{} : spec.substr(colon + 1);
    for (const auto& part : core::split_list(rest)) {
        auto eq = part.find('=');
        if (eq == std::string_view::npos) throw std::invalid_argument("fault setting '" + part + "' is not key=value");
        apply(rule, std::string_view(part).substr(0, eq), std::string_view(part).substr(eq + 1));
    }
    return rule;
}

std::vector<FaultRule> parse_fault_specs(std::string_view specs) {
    std::vector<FaultRule> out;
    while (!specs.empty()) {
        auto semi = specs.find(';');
        auto part = specs.substr(0, semi);
        specs = semi == std::string_view::npos ? std::string_view{} : specs.substr(semi + 1);
        if (!part.empty()) out.push_back(parse_fault_spec(part));
    }
    return out;
}

FaultRule fault_from_json(const rapidjson::Value& v) {
    if (!v.IsObject()) throw std::invalid_argument("a fault is a JSON object");
    FaultRule rule;
    auto kind_it = v.FindMember("kind");
    if (kind_it == v.MemberEnd()) throw std::invalid_argument("kind is required");
    std::string kind_name = kind_it->value.IsString() ? kind_it->value.GetString()
                            : kind_it->value.IsInt()  ? std::to_string(kind_it->value.GetInt())
                                                      : "";
    auto kind = parse_fault_kind(kind_name);
    if (!kind) throw std::invalid_argument("unknown fault kind '" + kind_name + "'");
    rule.kind = *kind;
    for (auto& m : v.GetObject()) {
        std::string_view key(m.name.GetString(), m.name.GetStringLength());
        if (key == "kind") continue;
        if (m.value.IsString())
            apply(rule, key, std::string_view(m.value.GetString(), m.value.GetStringLength()));
        else if (m.value.IsNumber() && key == "probability") {
            double p = m.value.GetDouble();
            if (!(p >= 0.0 && p <= 1.0)) throw std::invalid_argument("probability must be from 0 to 1");
            rule.probability = p;
        } else if (m.value.IsInt64() && m.value.GetInt64() >= 0)
            apply(rule, key, std::to_string(m.value.GetInt64()));
        else if (m.value.IsNull())
            continue;
        else
            throw std::invalid_argument("fault setting '" + std::string(key) + "' has the wrong type");
    }
    return rule;
}

std::string fault_to_json(const FaultRule& rule) {
    core::JsonWriter w;
    w.begin_object()
        .field("route", rule.route)
        .field("kind", to_string(rule.kind))
        .field("probability", rule.probability);
    w.key("count");
    if (rule.count)
        w.integer(*rule.count);
    else
        w.null();
    w.field("latency_ms", rule.latency.count())
        .field("retry_after", rule.retry_after)
        .field("tier", rule.tier)
        .end_object();
    return w.take();
}

bool route_matches(std::string_view pattern, std::string_view path) {
    if (pattern == "*" || pattern.empty()) return true;
    if (pattern.back() == '*') return path.substr(0, pattern.size() - 1) == pattern.substr(0, pattern.size() - 1);
    return path == pattern;
}

FaultInjector::FaultInjector(std::uint64_t seed) : rng_(seed) {}

void FaultInjector::add(FaultRule rule) {
    std::lock_guard lock(mutex_);
    rules_.push_back(std::move(rule));
}

void FaultInjector::clear() {
    std::lock_guard lock(mutex_);
    rules_.clear();
}

void FaultInjector::reseed(std::uint64_t seed) {
    std::lock_guard lock(mutex_);
    rng_.seed(seed);
}

std::vector<FaultRule> FaultInjector::rules() const {
    std::lock_guard lock(mutex_);
    return rules_;
}

std::optional<FaultRule> FaultInjector::decide(std::string_view path) {
    std::lock_guard lock(mutex_);
    for (auto it = rules_.begin(); it != rules_.end(); ++it) {
        if (!route_matches(it->route, path)) continue;
        if (it->probability < 1.0) {
            // 53 bits of the stream → [0, 1): the same draw sequence on every platform.
            double draw = static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0);
            if (draw >= it->probability) continue;
        }
        FaultRule fired = *it;
        if (it->count) {
            if (*it->count <= 0) continue;
            if (--*it->count == 0) rules_.erase(it);
        }
        return fired;
    }
    return std::nullopt;
}

std::optional<RateLimit> parse_rate_limit(std::string_view text) {
    auto slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    // A window beyond a day is no rate limit anyone tests; the bound keeps the arithmetic small.
    auto n = core::parse_int(text.substr(0, slash), 1, std::numeric_limits<long>::max());
    auto w = core::parse_int(text.substr(slash + 1), 1, 86400);
    if (!n || !w) return std::nullopt;
    return RateLimit{static_cast<long>(*n), std::chrono::seconds(*w)};
}

RateLimiter::RateLimiter(std::optional<RateLimit> per_token, std::optional<RateLimit> per_app)
    : per_token_(per_token), per_app_(per_app) {}

std::optional<RateVerdict> RateLimiter::check(Window& w, const RateLimit& limit,
                                              std::chrono::steady_clock::time_point now, std::int64_t now_unix,
                                              std::string_view tier) {
    while (!w.empty() && w.front() <= now - limit.window) w.pop_front();
    if (static_cast<long>(w.size()) < limit.limit) return std::nullopt;
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(w.front() + limit.window - now);
    long retry_after = std::max<long>(1, static_cast<long>(std::ceil(static_cast<double>(wait.count()) / 1000.0)));
    RateVerdict v;
    v.allowed = false;
    v.tier = std::string(tier);
    v.limit = limit.limit;
    v.window = static_cast<long>(limit.window.count());
    v.retry_after = retry_after;
    v.reset_unix = now_unix + retry_after;
    return v;
}

RateVerdict RateLimiter::admit(std::string_view token, std::chrono::steady_clock::time_point now,
                               std::int64_t now_unix) {
    if (!enabled()) return {};
    std::lock_guard lock(mutex_);
    Window* token_window = nullptr;
    if (per_token_) {
        auto it = tokens_.find(token);
        if (it == tokens_.end()) {
            if (tokens_.size() > 10000)  // forget idle tokens rather than grow without bound
                std::erase_if(tokens_, [&](auto& kv) {
                    return kv.second.empty() || kv.second.back() <= now - per_token_->window;
                });
            it = tokens_.emplace(std::string(token), Window{}).first;
        }
        token_window = &it->second;
        if (auto refused = check(*token_window, *per_token_, now, now_unix, "token")) return *refused;
    }
    if (per_app_)
        if (auto refused = check(app_, *per_app_, now, now_unix, "application")) return *refused;
    if (token_window) token_window->push_back(now);
    if (per_app_) app_.push_back(now);
    return {};
}

void RateLimiter::clear() {
    std::lock_guard lock(mutex_);
    tokens_.clear();
    app_.clear();
}

void set_rate_limit_headers(http::Headers& headers, long retry_after, long limit, long window, std::int64_t reset_unix,
                            std::string_view tier) {
    headers.set("Retry-After", std::to_string(retry_after));
    headers.set("X-RateLimit-Limit", std::to_string(limit));
    headers.set("X-RateLimit-Window", std::to_string(window));
    headers.set("X-RateLimit-Reset", std::to_string(reset_unix));
    headers.set("X-RateLimit-Tier", tier);
}

}  // namespace oura::sim
