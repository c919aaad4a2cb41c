#pragma once
// Fault injection and enforced rate limits. Decisions are pure given the rule list, the seeded
// random stream and an injected time, so they are unit-tested without sockets.

#include <rapidjson/document.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "oura/http/message.hpp"

namespace oura::sim {

enum class FaultKind { rate_limited, internal_error, bad_gateway, unavailable, latency, hang, truncate, reset };
std::optional<FaultKind> parse_fault_kind(std::string_view name);  // "429", "500", "502", "503", "latency", …
std::string_view to_string(FaultKind kind);

// A hang outlasts any sane client timeout; latency_ms overrides it.
inline constexpr std::chrono::milliseconds default_hang{120000};

struct FaultRule {
    std::string route = "*";  // "*", an exact path, or a prefix ending in '*'
    FaultKind kind = FaultKind::internal_error;
    double probability = 1.0;
    std::optional<long> count;  // fire this many times, then the rule is gone (scripted faults)
    std::chrono::milliseconds latency{0};
    int retry_after = 1;               // 429: seconds
    std::string tier = "application";  // 429: X-RateLimit-Tier
};

// "KIND[:key=value,…]" with keys route, probability, count, latency_ms, retry_after, tier;
// throws std::invalid_argument naming what is wrong.
FaultRule parse_fault_spec(std::string_view spec);
// Several specs separated by ';'.
std::vector<FaultRule> parse_fault_specs(std::string_view specs);
// {"route":…,"kind":…,"probability"|"count":…,"latency_ms":…,"retry_after":…,"tier":…}; throws std::invalid_argument.
FaultRule fault_from_json(const rapidjson::Value& value);
std::string fault_to_json(const FaultRule& rule);
bool route_matches(std::string_view pattern, std::string_view path);

class FaultInjector {
public:
    explicit FaultInjector(std::uint64_t seed);
    void add(FaultRule rule);
    void clear();
    void reseed(std::uint64_t seed);
    std::vector<FaultRule> rules() const;
    // The first rule that fires for this request (count rules are used up; probabilistic rules
    // draw from the seeded stream, so a sequential client sees the same faults on every run).
    std::optional<FaultRule> decide(std::string_view path);

private:
    mutable std::mutex mutex_;
    std::vector<FaultRule> rules_;
    std::mt19937_64 rng_;
};

struct RateLimit {
    long limit = 0;
    std::chrono::seconds window{0};
};
// "N/WINDOW_S", e.g. "100/60"; nullopt when malformed.
std::optional<RateLimit> parse_rate_limit(std::string_view text);

struct RateVerdict {
    bool allowed = true;
    std::string tier;  // "token" or "application" when refused
    long limit = 0;
    long window = 0;
    long retry_after = 0;
    std::int64_t reset_unix = 0;
};

// Rolling-window limits per access token and per application (every token together).
class RateLimiter {
public:
    RateLimiter(std::optional<RateLimit> per_token, std::optional<RateLimit> per_app);
    bool enabled() const { return per_token_ || per_app_; }
    RateVerdict admit(std::string_view token, std::chrono::steady_clock::time_point now, std::int64_t now_unix);
    void clear();

private:
    using Window = std::deque<std::chrono::steady_clock::time_point>;
    static std::optional<RateVerdict> check(Window& w, const RateLimit& limit,
                                            std::chrono::steady_clock::time_point now, std::int64_t now_unix,
                                            std::string_view tier);
    std::optional<RateLimit> per_token_, per_app_;
    std::mutex mutex_;
    std::map<std::string, Window, std::less<>> tokens_;
    Window app_;
};

// The five headers Oura sends with a 429 (API-NOTES §5).
void set_rate_limit_headers(http::Headers& headers, long retry_after, long limit, long window, std::int64_t reset_unix,
                            std::string_view tier);

}  // namespace oura::sim
