#pragma once
// ingest-webhook: the public edge. Verifies Oura's signed deliveries and commits each to the inbox
// with its job before the 2xx (group commit), answers the subscription handshake, applies the
// deliveries in its job consumer, and runs the OAuth connect flow (/oauth/start, /oauth/callback).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oura/api/client.hpp"
#include "oura/api/webhook.hpp"
#include "oura/core/config.hpp"
#include "oura/core/log.hpp"
#include "oura/core/signals.hpp"
#include "oura/http/message.hpp"
#include "oura/service/auth.hpp"
#include "oura/service/runtime.hpp"
#include "oura/store/tokens.hpp"
#include "oura/sync/oauth_flow.hpp"

namespace oura::ingest_webhook {

// Oura's events are well under 1 KiB; anything near this is not one of them.
inline constexpr std::size_t max_webhook_body = 64 * 1024;
// Headers of a delivery are a few hundred bytes.
inline constexpr std::size_t max_webhook_header = 8 * 1024;

struct Settings {
    service::Settings runtime;
    api::ApiOptions api;
    std::string verification_token;    // OURA_WEBHOOK_VERIFICATION_TOKEN
    std::vector<std::string> secrets;  // OURA_CLIENT_SECRET, then OURA_WEBHOOK_PREVIOUS_SECRETS
    std::chrono::seconds timestamp_tolerance{300};  // OURA_WEBHOOK_TIMESTAMP_TOLERANCE
    int committers = 2;                // OURA_WEBHOOK_COMMITTERS
    int workers = 2;                   // OURA_WEBHOOK_WORKERS (0: receive only)
    std::chrono::milliseconds commit_timeout{std::chrono::seconds(10)};
    std::chrono::milliseconds job_lease{std::chrono::seconds(60)};  // OURA_WEBHOOK_JOB_LEASE
    sync::OAuthSettings oauth;
    service::Access access;            // admin tokens for /oauth/start
    std::optional<store::TokenCipher> cipher;
};

// Reads flags (only --help) and the environment; nullopt when --help was printed. Throws
// core::usage_error or core::config_error naming what is wrong.
std::optional<Settings> load_settings(const core::Env& env, int argc, char** argv);

// What a POST /webhook/oura is before it touches the database. Pure.
struct DeliveryCheck {
    int status = 200;        // 401 or 400 when refused
    std::string outcome;     // unauthorized, malformed; empty when it may be committed
    std::string reason;      // for the log line (never a secret or a signature)
    std::optional<api::WebhookEvent> event;
};
DeliveryCheck check_delivery(const std::vector<std::string>& secrets, std::chrono::seconds tolerance,
                             const http::Request& request, std::chrono::system_clock::time_point now);

class App {
public:
    App(Settings settings, const core::Logger& log);
    ~App();
    // Serves until SIGTERM; the exit code. `on_listening` gets the base URL once bound.
    int run(const core::ShutdownSignals& signals);
    std::uint16_t port() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace oura::ingest_webhook
