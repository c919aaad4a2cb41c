#pragma once
// oura-sim as an application: its options (from flags), and the router that maps every request
// (data API, OAuth, webhook subscriptions, the /_sim/ control API) to a response.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oura/core/cli.hpp"
#include "oura/core/log.hpp"
#include "oura/core/time.hpp"
#include "oura/http/message.hpp"
#include "sim_faults.hpp"
#include "sim_oauth.hpp"
#include "sim_store.hpp"
#include "sim_webhooks.hpp"

namespace oura::sim {

inline constexpr std::size_t default_document_page_size = 100;
inline constexpr std::size_t default_series_page_size = 10000;

struct SimOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    int threads = 4;
    StoreOptions store;                    // users, days, seed, end day, fixtures
    std::optional<std::size_t> page_size;  // both kinds of collection; unset: the defaults above
    std::optional<std::size_t> series_page_size;  // time series only; wins over page_size
    OAuthOptions oauth;
    std::vector<FaultRule> faults;
    std::optional<RateLimit> rate_limit_per_token;
    std::optional<RateLimit> rate_limit_per_app;
    std::chrono::milliseconds webhook_retry_base{200};
    int webhook_max_attempts = 10;
    std::chrono::milliseconds webhook_timeout{10000};
    int authorize_user = 0;
    // The simulated now stands still at this time of day (UTC) of --end-date, moved only by
    // /_sim/advance, so that tests see the same "now" on every run; unset: it follows the wall clock.
    std::optional<std::chrono::seconds> time_of_day;
};

// The flags of --help, with their defaults.
core::CommandLine command_line();
// Options from parsed flags; throws core::usage_error naming the bad flag.
SimOptions options_from(const core::CommandLine& cli);

// The simulated calendar: wall-clock time shifted so that "today" is the last generated day (or,
// with a fixed time of day, a clock that stands still), moved on by /_sim/advance.
class SimClock {
public:
    SimClock(std::chrono::sys_days today, const core::Clock& wall,
             std::optional<std::chrono::seconds> time_of_day = std::nullopt);
    std::chrono::sys_seconds now() const;
    std::int64_t now_unix() const { return now().time_since_epoch().count(); }
    void advance(std::chrono::seconds by) { shift_ += by.count(); }
    void reset() { shift_ = initial_shift_; }

private:
    const core::Clock& wall_;
    std::optional<std::chrono::sys_seconds> frozen_;  // the start's now when the clock stands still
    std::int64_t initial_shift_;
    std::atomic<std::int64_t> shift_;
};

class App {
public:
    App(SimOptions options, const core::Logger& log, const core::Clock& wall = core::system_clock());
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    // The server's handler: thread-safe, may block (handshakes, flush).
    http::Response handle(const http::Request& request);
    // Stops the webhook workers (after the server stopped taking requests).
    void stop();

    const Store& store() const { return store_; }

private:
    http::Response route(const http::Request& request);
    http::Response data(const http::Request& request);
    http::Response collection(const http::Request& request, const ResourceInfo& info, int user,
                              std::string_view user_key);
    http::Response personal_info(int user, ScopeSet scopes);
    http::Response openapi() const;
    http::Response authorize(const http::Request& request);
    http::Response token(const http::Request& request);
    http::Response control(const http::Request& request);
    http::Response apply_fault(const FaultRule& fault, const http::Request& request, std::string& outcome);
    void count(const std::string& label, std::string_view outcome);
    void count_grant(std::string_view grant_type, int status);
    std::string stats_json() const;
    void reset(bool tokens, bool subscriptions);
    int publish(const Change& change);

    SimOptions options_;
    const core::Logger& log_;
    const core::Clock& wall_;
    SimClock clock_;
    Store store_;
    OAuthServer oauth_;
    FaultInjector faults_;
    RateLimiter limiter_;
    Webhooks webhooks_;

    mutable std::mutex stats_mutex_;
    std::map<std::string, std::map<std::string, long>> route_counts_;  // "GET /v2/…" → status → n
    std::map<std::string, std::map<std::string, long>> grant_counts_;  // grant_type → status → n
};

}  // namespace oura::sim
