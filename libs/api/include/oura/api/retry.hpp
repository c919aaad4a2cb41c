#pragma once
// Backing off from Oura: exponential backoff with full jitter, a process-wide gate that every
// caller honours after a 429, and a circuit breaker. Time comes from an injected Clock and
// waiting goes through an injected sleep function, so tests never really sleep.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>

#include "oura/core/time.hpp"
#include "oura/http/message.hpp"

namespace oura::api {

using SleepFunction = std::function<void(std::chrono::milliseconds)>;
// std::this_thread::sleep_for.
SleepFunction real_sleep();

struct RetryPolicy {
    int max_attempts = 6;  // attempts in all, the first included
    std::chrono::milliseconds base{250};
    std::chrono::milliseconds cap{30000};

    // The upper bound of the pause after failed attempt `attempt` (1 = the first):
    // min(cap, base · 2^(attempt − 1)).
    std::chrono::milliseconds ceiling(int attempt) const;
    // Full jitter: uniform in [0, ceiling(attempt)], so callers that failed together spread out.
    std::chrono::milliseconds delay_for(int attempt, std::mt19937_64& rng) const;
};

// What a 429 said about when to come back.
struct RateLimitHint {
    std::optional<std::chrono::seconds> retry_after;  // Retry-After (integer seconds)
    std::optional<std::int64_t> reset_epoch;          // X-RateLimit-Reset (Unix seconds)
};
// Reads Retry-After and X-RateLimit-Reset; malformed, negative or fractional values are ignored
// (the gate then pauses default_pause). A reset value below 10^9 cannot be an epoch after 2001 and
// is read as seconds from now. Both are bounded to RateGate::max_pause from `now`: a huge value
// pauses an hour, never overflows a duration.
RateLimitHint parse_rate_limit(const http::Headers& headers, std::chrono::system_clock::time_point now);

// Oura limits per token and per application; a 429 seen by any caller closes the gate for all
// callers sharing it (one per process), until the time Oura named. Thread-safe.
class RateGate {
public:
    // A 429 that names no time closes the gate this long.
    static constexpr std::chrono::seconds default_pause{30};
    // Longer requests are taken as garbage and shortened to this (docs/configuration.md).
    static constexpr std::chrono::seconds max_pause{3600};
    // Shorter requests (Retry-After: 0, a reset already past) are lengthened to this, so a 429
    // is never retried at once.
    static constexpr std::chrono::seconds min_pause{1};

    RateGate(const core::Clock& clock, SleepFunction sleep);

    // Closes the gate until the later of now + retry_after and reset_epoch, bounded to
    // [now + min_pause, now + max_pause] (never earlier than it already was).
    void on_rate_limited(const RateLimitHint& hint);
    std::chrono::system_clock::time_point open_at() const;
    std::chrono::milliseconds remaining() const;  // zero when open

    // Waits (through the injected sleep) until the gate is open and returns how long it waited.
    // A wait longer than `max_wait` is not started: throws api_error(rate_limited) carrying the
    // remaining seconds, so a job can be rescheduled instead of holding a thread.
    std::chrono::milliseconds wait(std::chrono::milliseconds max_wait);

private:
    const core::Clock& clock_;
    SleepFunction sleep_;
    mutable std::mutex mutex_;
    std::chrono::system_clock::time_point open_at_{};
};

// closed → open after `threshold` consecutive failures (server errors, network failures,
// timeouts, broken bodies) → half-open after `cooldown`: one trial call goes through; its success
// closes the breaker, its failure opens it for another cooldown. Thread-safe.
class CircuitBreaker {
public:
    enum class State { closed, open, half_open };

    CircuitBreaker(int threshold, std::chrono::milliseconds cooldown, const core::Clock& clock);

    // Whether a call may go out now. In half-open state only one caller gets true (the trial);
    // a trial that never reports back is replaced after another cooldown.
    bool allow();
    void record_success();  // any answer that shows the server is working (2xx, 4xx)
    void record_failure();

    State state() const;
    int consecutive_failures() const;

private:
    int threshold_;
    std::chrono::milliseconds cooldown_;
    const core::Clock& clock_;
    mutable std::mutex mutex_;
    State state_ = State::closed;
    int failures_ = 0;
    std::chrono::system_clock::time_point opened_at_{};
    std::chrono::system_clock::time_point trial_started_{};
};
std::string_view to_string(CircuitBreaker::State state);

}  // namespace oura::api
