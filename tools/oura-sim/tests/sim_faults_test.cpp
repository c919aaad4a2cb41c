#include "sim_faults.hpp"

#include <catch2/catch.hpp>

#include "oura/core/json.hpp"

using namespace oura::sim;
using namespace std::chrono_literals;

TEST_CASE("a fault spec reads its kind and settings", "[unit][sim]") {
    auto r = parse_fault_spec("429:route=/v2/usercollection/sleep,count=3,retry_after=7,tier=token");
    CHECK(r.kind == FaultKind::rate_limited);
    CHECK(r.route == "/v2/usercollection/sleep");
    CHECK(r.count == std::optional<long>(3));
    CHECK(r.retry_after == 7);
    CHECK(r.tier == "token");
    auto specs = parse_fault_specs("latency:latency_ms=250;reset:probability=0.5");
    REQUIRE(specs.size() == 2);
    CHECK(specs[0].latency == 250ms);
    CHECK(specs[1].probability == 0.5);
}

TEST_CASE("a bad fault spec is refused with the reason", "[unit][sim]") {
    CHECK_THROWS_WITH(parse_fault_spec("418"), Catch::Contains("unknown fault kind"));
    CHECK_THROWS_WITH(parse_fault_spec("500:probability=2"), Catch::Contains("probability"));
    CHECK_THROWS_WITH(parse_fault_spec("500:colour=red"), Catch::Contains("colour"));
}

TEST_CASE("a fault from JSON accepts numbers and strings", "[unit][sim]") {
    auto doc = oura::core::parse_json(R"({"route":"*","kind":503,"count":2,"latency_ms":10})");
    auto r = fault_from_json(doc);
    CHECK(r.kind == FaultKind::unavailable);
    CHECK(r.count == std::optional<long>(2));
    auto again = fault_from_json(oura::core::parse_json(fault_to_json(r)));
    CHECK(again.kind == r.kind);
    CHECK(again.count == r.count);
}

TEST_CASE("routes match exactly, by prefix or all", "[unit][sim]") {
    CHECK(route_matches("*", "/anything"));
    CHECK(route_matches("/v2/usercollection/*", "/v2/usercollection/sleep"));
    CHECK(route_matches("/v2/usercollection/sleep", "/v2/usercollection/sleep"));
    CHECK_FALSE(route_matches("/v2/usercollection/sleep", "/v2/usercollection/sleep_time"));
}

TEST_CASE("a count fault fires exactly N times", "[unit][sim]") {
    FaultInjector f(1);
    f.add(parse_fault_spec("500:count=2,route=/a"));
    CHECK_FALSE(f.decide("/b"));
    CHECK(f.decide("/a"));
    CHECK(f.decide("/a"));
    CHECK_FALSE(f.decide("/a"));
    CHECK(f.rules().empty());
}

TEST_CASE("probabilistic faults repeat with the seed and roughly match the probability", "[unit][sim]") {
    auto run = [](std::uint64_t seed) {
        FaultInjector f(seed);
        f.add(parse_fault_spec("503:probability=0.3"));
        std::string pattern;
        for (int i = 0; i < 1000; ++i) pattern += f.decide("/x") ? '1' : '0';
        return pattern;
    };
    auto a = run(42);
    CHECK(a == run(42));
    CHECK(a != run(43));
    auto fired = std::count(a.begin(), a.end(), '1');
    CHECK(fired > 230);
    CHECK(fired < 370);
}

TEST_CASE("rate limits parse as N/WINDOW_S", "[unit][sim]") {
    auto r = parse_rate_limit("100/60");
    REQUIRE(r);
    CHECK(r->limit == 100);
    CHECK(r->window == 60s);
    CHECK_FALSE(parse_rate_limit("100"));
    CHECK_FALSE(parse_rate_limit("0/60"));
    CHECK_FALSE(parse_rate_limit("x/60"));
}

TEST_CASE("the per-token limit refuses the N+1th request in the window and recovers", "[unit][sim]") {
    RateLimiter limiter(RateLimit{2, 10s}, std::nullopt);
    auto t0 = std::chrono::steady_clock::time_point{} + 1000s;
    CHECK(limiter.admit("a", t0, 5000).allowed);
    CHECK(limiter.admit("a", t0 + 1s, 5001).allowed);
    auto refused = limiter.admit("a", t0 + 2s, 5002);
    CHECK_FALSE(refused.allowed);
    CHECK(refused.tier == "token");
    CHECK(refused.limit == 2);
    CHECK(refused.window == 10);
    CHECK(refused.retry_after == 8);
    CHECK(refused.reset_unix == 5010);
    CHECK(limiter.admit("b", t0 + 2s, 5002).allowed);  // another token has its own budget
    CHECK(limiter.admit("a", t0 + 10s, 5010).allowed);
}

TEST_CASE("the per-app limit counts every token together", "[unit][sim]") {
    RateLimiter limiter(std::nullopt, RateLimit{2, 60s});
    auto t0 = std::chrono::steady_clock::time_point{} + 1000s;
    CHECK(limiter.admit("a", t0, 0).allowed);
    CHECK(limiter.admit("b", t0, 0).allowed);
    auto refused = limiter.admit("c", t0, 0);
    CHECK_FALSE(refused.allowed);
    CHECK(refused.tier == "application");
}

TEST_CASE("a 429 carries the five rate-limit headers", "[unit][sim]") {
    oura::http::Headers h;
    set_rate_limit_headers(h, 3, 5000, 300, 1700000003, "application");
    CHECK(h.get("Retry-After") == std::optional<std::string_view>("3"));
    CHECK(h.get("X-RateLimit-Limit") == std::optional<std::string_view>("5000"));
    CHECK(h.get("X-RateLimit-Window") == std::optional<std::string_view>("300"));
    CHECK(h.get("X-RateLimit-Reset") == std::optional<std::string_view>("1700000003"));
    CHECK(h.get("X-RateLimit-Tier") == std::optional<std::string_view>("application"));
}
