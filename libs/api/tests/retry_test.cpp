#include "oura/api/retry.hpp"

#include <catch2/catch.hpp>
#include <limits>
#include <optional>
#include <vector>

#include "oura/api/errors.hpp"

using namespace oura::api;
using namespace std::chrono;
using oura::core::ManualClock;
namespace http = oura::http;

namespace {
const system_clock::time_point t0{sys_days{2025y / 6 / 1}};

struct Sleeps {
    explicit Sleeps(ManualClock& c, bool moves_clock = true) : clock(c), advance(moves_clock) {}
    ManualClock& clock;
    bool advance;
    std::vector<milliseconds> calls;
    SleepFunction fn() {
        return [this](milliseconds d) {
            calls.push_back(d);
            if (advance) clock.advance(d);
        };
    }
};
}  // namespace

TEST_CASE("backoff grows exponentially up to the cap and jitters below its ceiling", "[unit][api]") {
    RetryPolicy p;
    CHECK(p.ceiling(1) == milliseconds(250));
    CHECK(p.ceiling(2) == milliseconds(500));
    CHECK(p.ceiling(5) == milliseconds(4000));
    CHECK(p.ceiling(20) == milliseconds(30000));
    CHECK(p.ceiling(1000) == milliseconds(30000));
    std::mt19937_64 rng(42);
    for (int attempt = 1; attempt <= 10; ++attempt) {
        milliseconds lo = milliseconds::max(), hi{0};
        for (int i = 0; i < 200; ++i) {
            auto d = p.delay_for(attempt, rng);
            CHECK(d >= milliseconds(0));
            CHECK(d <= p.ceiling(attempt));
            lo = std::min(lo, d);
            hi = std::max(hi, d);
        }
        // Full jitter really spreads: the draws cover most of [0, ceiling].
        CHECK(lo < p.ceiling(attempt) / 4);
        CHECK(hi > p.ceiling(attempt) * 3 / 4);
    }
}

TEST_CASE("a 429 with Retry-After holds every caller of the gate for that long", "[unit][api]") {
    ManualClock clock(t0);
    Sleeps sleeps(clock);
    RateGate gate(clock, sleeps.fn());
    CHECK(gate.wait(seconds(60)) == milliseconds(0));
    http::Headers h;
    h.set("Retry-After", "7");
    gate.on_rate_limited(parse_rate_limit(h, clock.now()));
    CHECK(gate.remaining() == seconds(7));
    CHECK(gate.wait(seconds(60)) == seconds(7));
    REQUIRE(sleeps.calls.size() == 1);
    CHECK(sleeps.calls[0] == seconds(7));
    CHECK(gate.wait(seconds(60)) == milliseconds(0));  // open again
}

TEST_CASE("X-RateLimit-Reset as an epoch is honoured when it is later than Retry-After", "[unit][api]") {
    ManualClock clock(t0);
    Sleeps sleeps(clock);
    RateGate gate(clock, sleeps.fn());
    http::Headers h;
    h.set("Retry-After", "5");
    h.set("X-RateLimit-Reset", std::to_string(duration_cast<seconds>(t0.time_since_epoch()).count() + 40));
    auto hint = parse_rate_limit(h, clock.now());
    CHECK(hint.retry_after == seconds(5));
    gate.on_rate_limited(hint);
    CHECK(gate.remaining() == seconds(40));

    // And Retry-After wins when it is the later one.
    ManualClock clock2(t0);
    RateGate gate2(clock2, [](milliseconds) {});
    h.set("Retry-After", "90");
    gate2.on_rate_limited(parse_rate_limit(h, clock2.now()));
    CHECK(gate2.remaining() == seconds(90));
}

TEST_CASE("a reset too small for an epoch is read as seconds from now, and garbage is ignored", "[unit][api]") {
    http::Headers h;
    h.set("X-RateLimit-Reset", "120");
    h.set("Retry-After", "soon");
    auto hint = parse_rate_limit(h, t0);
    CHECK_FALSE(hint.retry_after);
    REQUIRE(hint.reset_epoch);
    CHECK(*hint.reset_epoch == duration_cast<seconds>(t0.time_since_epoch()).count() + 120);
}

TEST_CASE("a 429 that names no time pauses by default, and a later 429 never shortens a pause", "[unit][api]") {
    ManualClock clock(t0);
    RateGate gate(clock, [](milliseconds) {});
    gate.on_rate_limited({});
    CHECK(gate.remaining() == RateGate::default_pause);
    gate.on_rate_limited({seconds(1), std::nullopt});
    CHECK(gate.remaining() == RateGate::default_pause);
    gate.on_rate_limited({hours(48), std::nullopt});
    CHECK(gate.remaining() == RateGate::max_pause);
}

TEST_CASE("rate-limit headers with huge or negative or fractional or empty or garbage values never overflow",
          "[unit][api]") {
    const auto now_s = duration_cast<seconds>(t0.time_since_epoch()).count();
    struct Case {
        const char* value;
        std::optional<seconds> retry_after;        // what parse_rate_limit reads
        std::optional<std::int64_t> reset_offset;  // reset_epoch − now
    };
    const Case cases[] = {
        {"99999999999999999999", RateGate::max_pause, RateGate::max_pause.count()},
        {"9223372036854775807", RateGate::max_pause, RateGate::max_pause.count()},
        {"-1", std::nullopt, std::nullopt},
        {"1e9", std::nullopt, std::nullopt},
        {"", std::nullopt, std::nullopt},
        {"later", std::nullopt, std::nullopt},
        {"2.5", std::nullopt, std::nullopt},
    };
    for (const auto& c : cases) {
        INFO("header value '" << c.value << "'");
        http::Headers h;
        h.set("Retry-After", c.value);
        h.set("X-RateLimit-Reset", c.value);
        auto hint = parse_rate_limit(h, t0);
        CHECK(hint.retry_after == c.retry_after);
        CHECK((hint.reset_epoch ? std::optional<std::int64_t>(*hint.reset_epoch - now_s) : std::nullopt) ==
              c.reset_offset);

        ManualClock clock(t0);
        RateGate gate(clock, [](milliseconds) {});
        gate.on_rate_limited(hint);
        // Clamped to an hour, or ignored for the default pause: always a real, bounded wait.
        CHECK(gate.remaining() == (c.retry_after ? RateGate::max_pause : RateGate::default_pause));
    }
}

TEST_CASE("a 429 is never retried at once whatever time it names", "[unit][api]") {
    for (const char* header : {"Retry-After", "X-RateLimit-Reset"}) {
        INFO(header);
        ManualClock clock(t0);
        RateGate gate(clock, [](milliseconds) {});
        http::Headers h;
        h.set(header, "0");
        gate.on_rate_limited(parse_rate_limit(h, clock.now()));
        CHECK(gate.remaining() == RateGate::min_pause);
    }
    // A reset epoch already past (2001).
    ManualClock clock(t0);
    RateGate gate(clock, [](milliseconds) {});
    http::Headers h;
    h.set("X-RateLimit-Reset", "1000000000");
    gate.on_rate_limited(parse_rate_limit(h, clock.now()));
    CHECK(gate.remaining() == RateGate::min_pause);
    // Hints built by hand are bounded too.
    gate.on_rate_limited({seconds::max(), std::numeric_limits<std::int64_t>::max()});
    CHECK(gate.remaining() == RateGate::max_pause);
}

TEST_CASE("a pause longer than the caller may wait throws rate_limited without sleeping", "[unit][api]") {
    ManualClock clock(t0);
    Sleeps sleeps(clock);
    RateGate gate(clock, sleeps.fn());
    gate.on_rate_limited({seconds(600), std::nullopt});
    try {
        gate.wait(seconds(60));
        FAIL("expected rate_limited");
    } catch (const api_error& e) {
        CHECK(e.kind() == ErrorKind::rate_limited);
        CHECK(e.retry_after() == seconds(600));
    }
    CHECK(sleeps.calls.empty());
}

TEST_CASE("a sleep that does not move the clock does not make the gate spin", "[unit][api]") {
    ManualClock clock(t0);
    Sleeps sleeps(clock, false);
    RateGate gate(clock, sleeps.fn());
    gate.on_rate_limited({seconds(3), std::nullopt});
    CHECK(gate.wait(seconds(60)) == seconds(3));
    CHECK(sleeps.calls.size() == 1);
}

TEST_CASE("the breaker opens after N failures, fails fast, then lets one trial through", "[unit][api]") {
    ManualClock clock(t0);
    CircuitBreaker b(3, seconds(30), clock);
    CHECK(b.state() == CircuitBreaker::State::closed);
    for (int i = 0; i < 2; ++i) {
        CHECK(b.allow());
        b.record_failure();
    }
    CHECK(b.state() == CircuitBreaker::State::closed);
    b.record_success();  // success resets the count
    for (int i = 0; i < 3; ++i) {
        CHECK(b.allow());
        b.record_failure();
    }
    CHECK(b.state() == CircuitBreaker::State::open);
    CHECK_FALSE(b.allow());
    clock.advance(seconds(29));
    CHECK_FALSE(b.allow());
    clock.advance(seconds(1));
    CHECK(b.allow());  // the one trial
    CHECK(b.state() == CircuitBreaker::State::half_open);
    CHECK_FALSE(b.allow());  // nobody else while it runs
    b.record_failure();      // trial failed: open for another cooldown
    CHECK(b.state() == CircuitBreaker::State::open);
    CHECK_FALSE(b.allow());
    clock.advance(seconds(30));
    CHECK(b.allow());
    b.record_success();
    CHECK(b.state() == CircuitBreaker::State::closed);
    CHECK(b.allow());
    CHECK(b.allow());
}

TEST_CASE("a half-open trial that never reports back is replaced after a cooldown", "[unit][api]") {
    ManualClock clock(t0);
    CircuitBreaker b(1, seconds(10), clock);
    b.record_failure();
    clock.advance(seconds(10));
    CHECK(b.allow());
    CHECK_FALSE(b.allow());
    clock.advance(seconds(10));
    CHECK(b.allow());
}
