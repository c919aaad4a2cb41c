#pragma once
// query-api: the read API, user SQL, export, the live status page, admin routes and the
// database-derived gauges (DESIGN §3, §5; issue 11). main.cpp only wires.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oura/core/config.hpp"
#include "oura/api/settings.hpp"
#include "oura/core/log.hpp"
#include "oura/service/auth.hpp"
#include "oura/service/runtime.hpp"
#include "oura/store/tokens.hpp"
#include "oura/sync/oauth_flow.hpp"
#include "oura/sync/subscriptions.hpp"

namespace oura::query_api {

struct Settings {
    service::Settings runtime;
    service::Access access;
    std::string sql_database_url;                     // OURA_QUERY_SQL_DATABASE_URL (oura_sql member)
    int sql_pool_size = 4;                            // OURA_QUERY_SQL_POOL_SIZE
    std::chrono::milliseconds sql_timeout{5000};      // OURA_QUERY_SQL_TIMEOUT
    int sql_max_rows = 10000;                         // OURA_QUERY_SQL_MAX_ROWS
    std::size_t cache_bytes = 64 * 1024 * 1024;       // OURA_QUERY_CACHE_BYTES (0 turns the cache off)
    std::vector<std::string> cors_origins;            // OURA_QUERY_CORS_ORIGINS
    int rate_limit_per_minute = 600;                  // OURA_QUERY_RATE_LIMIT_PER_MINUTE
    int auth_failures_per_minute = 10;                // OURA_QUERY_AUTH_FAILURES_PER_MINUTE
    std::chrono::milliseconds late_after{std::chrono::hours(2)};    // OURA_STATUS_LATE_AFTER
    std::chrono::milliseconds stale_after{std::chrono::hours(26)};  // OURA_STATUS_STALE_AFTER
    std::chrono::milliseconds metrics_cache{std::chrono::seconds(10)};  // OURA_QUERY_METRICS_CACHE
    int events_retention_days = 14;                   // OURA_QUERY_EVENTS_RETENTION_DAYS
    bool secure_cookie = true;                        // OURA_QUERY_COOKIE_SECURE
    // Oura-facing admin routes (GET /oauth/start, /admin/webhooks*): the client settings every
    // service shares; the routes answer 503 naming what is missing when these are not set.
    api::ApiOptions api;
    std::optional<store::TokenCipher> cipher;                // OURA_TOKEN_ENCRYPTION_KEY(S)
    sync::OAuthSettings oauth;                               // OURA_OAUTH_REDIRECT_URI, …
    std::optional<sync::SubscriptionSettings> subscriptions;  // OURA_WEBHOOK_CALLBACK_URL, …
};

// Reads every variable; throws core::config_error naming the variable. nullopt after --help.
std::optional<Settings> load_settings(const core::Env& env, int argc, char** argv);

class App {
public:
    App(Settings settings, const core::Logger& log);
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;
    service::Runtime& runtime();
    int run(const core::ShutdownSignals& signals);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace oura::query_api
