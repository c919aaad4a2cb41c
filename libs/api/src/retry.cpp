#include "oura/api/retry.hpp"

#include <algorithm>
#include <thread>

#include "oura/api/errors.hpp"
#include "oura/core/text.hpp"

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
// A header's value as a count of seconds, capped (see parse_rate_limit); nullopt when absent,
// negative or not a whole number.
std::optional<std::int64_t> header_seconds(const http::Headers& headers, std::string_view name, std::int64_t cap) {
    auto text = headers.get(name);
    if (!text) return std::nullopt;
    return core::parse_capped(core::trim(*text), cap);
}
}  // namespace

RateLimitHint parse_rate_limit(const http::Headers& headers, std::chrono::system_clock::time_point now) {
    RateLimitHint hint;
    const std::int64_t cap = RateGate::max_pause.count();
    if (auto after = header_seconds(headers, "Retry-After", cap)) hint.retry_after = seconds(*after);
    // An epoch far in the future must not overflow anything: read up to 10^12 (year 33658), then
    // bound the wait it implies like any other.
    if (auto reset = header_seconds(headers, "X-RateLimit-Reset", 1'000'000'000'000)) {
        const std::int64_t now_s = std::chrono::duration_cast<seconds>(now.time_since_epoch()).count();
        std::int64_t wait = *reset < 1'000'000'000 ? *reset : *reset - now_s;
        hint.reset_epoch = now_s + std::clamp<std::int64_t>(wait, 0, cap);
    }
    return hint;
}

RateGate::RateGate(const core::Clock& clock, SleepFunction sleep) : clock_(clock), sleep_(std::move(sleep)) {
    if (!sleep_) sleep_ = real_sleep();
}

void RateGate::on_rate_limited(const RateLimitHint& hint) {
    auto now = clock_.now();
    // Every duration is bounded in seconds before it touches a time_point, whose nanosecond ticks
    // overflow about 292 years out.
    seconds pause = hint.retry_after || hint.reset_epoch ? seconds(0) : default_pause;
    if (hint.retry_after) pause = std::max(pause, std::min(*hint.retry_after, seconds(max_pause)));
    if (hint.reset_epoch) {
        const std::int64_t now_s = std::chrono::duration_cast<seconds>(now.time_since_epoch()).count();
        // Subtracting first cannot overflow once both sides are bounded to sensible epochs.
        auto reset = std::clamp<std::int64_t>(*hint.reset_epoch, now_s, now_s + max_pause.count());
        pause = std::max(pause, seconds(reset - now_s));
    }
    // "Retry-After: 0" or a reset already past would let every caller retry at once into the
    // same limit.
    pause = std::clamp(pause, min_pause, max_pause);
    std::lock_guard lock(mutex_);
    open_at_ = std::max(open_at_, now + pause);
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
