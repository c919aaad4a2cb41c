#include "oura/api/retry.hpp"

#include <algorithm>
#include <charconv>
#include <thread>

#include "oura/api/errors.hpp"

namespace oura::api {

using std::chrono::milliseconds;
using std::chrono::seconds;

SleepFunction real_sleep() {
    return [](milliseconds d) { std::this_thread::sleep_for(d); };
}

milliseconds RetryPolicy::ceiling(int attempt) const {
    if (attempt < 1) attempt = 1;
    auto limit = std::max(cap, milliseconds(0));
    auto delay = std::max(base, milliseconds(0));
    for (int i = 1; i < attempt && delay < limit; ++i) delay *= 2;
    return std::min(delay, limit);
}

milliseconds RetryPolicy::delay_for(int attempt, std::mt19937_64& rng) const {
    auto top = ceiling(attempt).count();
    if (top <= 0) return milliseconds(0);
    std::uniform_int_distribution<std::int64_t> pick(0, top);
    return milliseconds(pick(rng));
}

namespace {
std::optional<std::int64_t> integer(std::optional<std::string_view> text) {
    if (!text) return std::nullopt;
    auto s = *text;
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || s.empty() || v < 0) return std::nullopt;
    return v;
}
}  // namespace

RateLimitHint parse_rate_limit(const http::Headers& headers, std::chrono::system_clock::time_point now) {
    RateLimitHint hint;
    if (auto after = integer(headers.get("Retry-After"))) hint.retry_after = seconds(*after);
    if (auto reset = integer(headers.get("X-RateLimit-Reset"))) {
        if (*reset < 1'000'000'000)
            hint.reset_epoch = std::chrono::duration_cast<seconds>(now.time_since_epoch()).count() + *reset;
        else
            hint.reset_epoch = *reset;
    }
    return hint;
}

RateGate::RateGate(const core::Clock& clock, SleepFunction sleep) : clock_(clock), sleep_(std::move(sleep)) {
    if (!sleep_) sleep_ = real_sleep();
}

void RateGate::on_rate_limited(const RateLimitHint& hint) {
    auto now = clock_.now();
    std::chrono::system_clock::time_point until = now;
    bool named = false;
    if (hint.retry_after) {
        until = std::max(until, now + *hint.retry_after);
        named = true;
    }
    if (hint.reset_epoch) {
        until = std::max(until, std::chrono::system_clock::time_point(seconds(*hint.reset_epoch)));
        named = true;
    }
    if (!named) until = now + default_pause;
    until = std::min(until, now + max_pause);
    std::lock_guard lock(mutex_);
    open_at_ = std::max(open_at_, until);
}

std::chrono::system_clock::time_point RateGate::open_at() const {
    std::lock_guard lock(mutex_);
    return open_at_;
}

milliseconds RateGate::remaining() const {
    auto left = open_at() - clock_.now();
    if (left <= std::chrono::system_clock::duration::zero()) return milliseconds(0);
    return std::chrono::ceil<milliseconds>(left);
}

milliseconds RateGate::wait(milliseconds max_wait) {
    milliseconds waited{0};
    for (;;) {
        auto target = open_at();
        auto left = remaining();
        if (left <= milliseconds(0)) return waited;
        if (left > max_wait)
            throw api_error(ErrorKind::rate_limited, 429, "rate limit pause longer than the caller may wait", {},
                            std::chrono::ceil<seconds>(left));
        sleep_(left);
        waited += left;
        // Loop only if another 429 moved the gate while we slept; a sleep that does not move the
        // clock (a test's recorder) must not spin here.
        if (open_at() == target) return waited;
    }
}

CircuitBreaker::CircuitBreaker(int threshold, milliseconds cooldown, const core::Clock& clock)
    : threshold_(std::max(threshold, 1)), cooldown_(cooldown), clock_(clock) {}

bool CircuitBreaker::allow() {
    std::lock_guard lock(mutex_);
    auto now = clock_.now();
    switch (state_) {
        case State::closed:
            return true;
        case State::open:
            if (now - opened_at_ < cooldown_) return false;
            state_ = State::half_open;
            trial_started_ = now;
            return true;
        case State::half_open:
            if (now - trial_started_ < cooldown_) return false;
            trial_started_ = now;  // the previous trial never reported back
            return true;
    }
    return false;
}

void CircuitBreaker::record_success() {
    std::lock_guard lock(mutex_);
    state_ = State::closed;
    failures_ = 0;
}

void CircuitBreaker::record_failure() {
    std::lock_guard lock(mutex_);
    ++failures_;
    if (state_ == State::half_open || (state_ == State::closed && failures_ >= threshold_)) {
        state_ = State::open;
        opened_at_ = clock_.now();
    }
}

CircuitBreaker::State CircuitBreaker::state() const {
    std::lock_guard lock(mutex_);
    return state_;
}

int CircuitBreaker::consecutive_failures() const {
    std::lock_guard lock(mutex_);
    return failures_;
}

std::string_view to_string(CircuitBreaker::State state) {
    switch (state) {
        case CircuitBreaker::State::closed:
            return "closed";
        case CircuitBreaker::State::open:
            return "open";
        case CircuitBreaker::State::half_open:
            return "half_open";
    }
    return "unknown";
}

}  // namespace oura::api
