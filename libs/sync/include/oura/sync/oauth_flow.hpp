#pragma once
// Connecting a person's Oura account (authorization code grant with PKCE), shared by every service
// that routes it: ingest-webhook serves /oauth/start and /oauth/callback, query-api may route
// /oauth/start to the same start(). The caller checks the admin token before start().

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "oura/api/client.hpp"
#include "oura/core/config.hpp"
#include "oura/core/log.hpp"
#include "oura/http/message.hpp"
#include "oura/store/database.hpp"
#include "oura/store/tokens.hpp"

namespace oura::sync {

struct OAuthSettings {
    // OURA_OAUTH_REDIRECT_URI: this deployment's public /oauth/callback URL, registered with Oura.
    // Empty: the OAuth routes answer 503 saying it is not configured.
    std::string redirect_uri;
    std::vector<std::string> scopes;         // OURA_OAUTH_SCOPES (default api::default_scopes())
    std::chrono::seconds state_ttl{15 * 60};  // how long a started authorization may take
    int initial_backfill_days = 730;          // OURA_INITIAL_BACKFILL_DAYS (history copied on connect)
};
// Throws core::config_error naming the variable.
OAuthSettings oauth_settings_from_env(const core::Env& env);

// Outcomes of a callback, as oura_oauth_callbacks_total labels them.
inline constexpr const char* oauth_connected = "connected";
inline constexpr const char* oauth_denied = "denied";
inline constexpr const char* oauth_invalid_state = "invalid_state";
inline constexpr const char* oauth_failed = "failed";

struct CallbackResult {
    http::Response response;  // a small HTML page saying what happened and what to do next
    std::string outcome;      // one of the four above
    std::optional<long long> user_id;  // connected: the user created or updated
};

class OAuthFlow {
public:
    OAuthFlow(store::Pool& pool, api::OuraClient& client, const store::TokenCipher& cipher, OAuthSettings settings,
              const core::Logger& log);

    // GET /oauth/start: stores a fresh state with its PKCE verifier (expiring, single use) and
    // answers 302 to Oura's authorize URL. `login_hint` is passed on when given (the simulator
    // picks the user with it; Oura ignores it). 503 when no redirect URI is configured, 503 when
    // the database fails.
    http::Response start(const std::optional<std::string>& login_hint = std::nullopt);

    // GET /oauth/callback: checks and spends the state, exchanges the code with the verifier,
    // reads personal_info for the Oura user id, creates or updates the user, stores the tokens
    // sealed, resumes the user's parked jobs, queues deliveries kept for them and (when the
    // `on_connected` hook is set) starts their initial backfill in the same transaction. Every
    // failure (access_denied, an unknown, used or expired state, Oura refusing the code) is a
    // page and a log line and changes nothing but spending the state.
    CallbackResult callback(const http::Request& request);

    // Called inside the connecting transaction (user id, days): the initial backfill's hook.
    using ConnectedHook = std::function<void(store::Transaction& tx, long long user_id, int days)>;
    void on_connected(ConnectedHook hook) { on_connected_ = std::move(hook); }

private:
    store::Pool& pool_;
    api::OuraClient& client_;
    const store::TokenCipher& cipher_;
    OAuthSettings settings_;
    const core::Logger& log_;
    ConnectedHook on_connected_;
};

// A complete little HTML page (title and paragraphs are escaped). Pure.
std::string html_page(std::string_view title, const std::vector<std::string>& paragraphs);

}  // namespace oura::sync
