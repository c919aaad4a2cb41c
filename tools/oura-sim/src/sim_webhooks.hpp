#pragma once
// Oura's webhook side: the subscription API (x-client-id/x-client-secret), the verification
// handshake against the callback URL, and signed deliveries from a queue served by background
// workers, retried on a compressed version of Oura's schedule.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "oura/core/log.hpp"
#include "oura/http/client.hpp"
#include "oura/http/message.hpp"

namespace oura::sim {

inline constexpr std::chrono::days subscription_lifetime{90};  // observed ≈ 90 days
inline constexpr std::chrono::seconds handshake_timeout{10};   // Oura waits 10 s for the challenge
inline constexpr std::size_t delivery_log_limit = 20000;       // attempts kept for GET /_sim/deliveries

struct WebhookOptions {
    std::string client_id = "oura-sim-client";
    std::string client_secret = "oura-sim-secret";  // the HMAC key of every delivery
    std::chrono::milliseconds retry_base{200};      // first retry after this, doubling (Oura: ~1 h for 10 tries)
    int max_attempts = 10;
    std::chrono::milliseconds delivery_timeout{10000};
    int workers = 4;
};

struct Subscription {
    std::string id;  // uuid4
    std::string callback_url;
    std::string event_type;
    std::string data_type;
    std::string verification_token;
    std::chrono::sys_seconds expiration{};
};

struct DeliveryRecord {
    std::string subscription_id;
    std::string callback_url;
    std::string body;     // the signed JSON event
    int attempt = 0;      // 1-based
    int status = 0;       // HTTP status, 0 when nothing came back
    std::string error;    // transport error text
    std::string outcome;  // delivered | retrying | failed | cancelled (410) | dropped (subscription gone)
    std::string at;       // wall-clock time of the attempt
};

class Webhooks {
public:
    // `sim_now` is the simulator's clock (expiration_time, event_time).
    Webhooks(WebhookOptions options, std::function<std::chrono::sys_seconds()> sim_now, const core::Logger& log);
    ~Webhooks();  // stops the workers; undelivered events are dropped
    Webhooks(const Webhooks&) = delete;
    Webhooks& operator=(const Webhooks&) = delete;

    // /v2/webhook/subscription[/…]: the whole subscription API.
    http::Response handle(const http::Request& request);

    // Queues the event for every live subscription matching (event_type, data_type).
    // Returns how many deliveries were queued.
    int publish(std::string_view event_type, std::string_view data_type, std::string_view object_id,
                std::string_view user_id);

    // Waits until nothing is queued or in flight; false on timeout.
    bool flush(std::chrono::milliseconds timeout);
    std::size_t pending() const;
    std::string subscriptions_json() const;
    std::string deliveries_json() const;
    void clear_deliveries();  // queue and log
    void clear_subscriptions();
    void stop();

private:
    struct Pending {
        std::string subscription_id;
        std::string callback_url;
        std::string body;
        int attempt = 1;
    };
    using Queue = std::multimap<std::chrono::steady_clock::time_point, Pending>;

    void work();
    void deliver(Pending p);
    http::Response create(const http::Request& request);
    http::Response update(const http::Request& request, const std::string& id);
    std::optional<std::string> handshake(const std::string& callback_url, const std::string& verification_token);

    WebhookOptions options_;
    std::function<std::chrono::sys_seconds()> sim_now_;
    const core::Logger& log_;
    http::Client client_;

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Subscription> subscriptions_;
    Queue queue_;
    int in_flight_ = 0;
    bool stopping_ = false;
    std::deque<DeliveryRecord> log_records_;
    std::vector<std::thread> workers_;
};

// ---- pure helpers (unit-tested) ----

// Upper-case hex HMAC-SHA256(key = client secret, message = timestamp + body), as Oura signs.
std::string webhook_signature(std::string_view client_secret, std::string_view timestamp, std::string_view body);
// {"event_type","data_type","object_id","event_time","user_id"} in that order.
std::string webhook_event_body(std::string_view event_type, std::string_view data_type, std::string_view object_id,
                               std::string_view event_time, std::string_view user_id);
// Delay before attempt `attempt` (2 → base, 3 → 2·base, …).
std::chrono::milliseconds retry_delay(std::chrono::milliseconds base, int attempt);
// Whether a callback answered the handshake correctly: 200 and JSON {"challenge": <challenge>}.
bool handshake_answer_ok(int status, std::string_view body, std::string_view challenge);
std::string subscription_json(const Subscription& s);
std::string new_uuid4();

}  // namespace oura::sim
