#pragma once
// The simulator's OAuth2 server: authorization codes (with PKCE), access tokens and single-use
// rotating refresh tokens, and each user's granted scopes. Token lifetimes run on the injected
// wall clock (not the simulated day), so advancing the simulated calendar never expires tokens.

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "oura/core/time.hpp"
#include "sim_catalog.hpp"
#include "sim_query.hpp"

namespace oura::sim {

// Distinct 401 bodies, so a client (and its tests) can tell why it was refused.
inline constexpr std::string_view auth_missing = "Not authenticated";
inline constexpr std::string_view auth_unknown = "Invalid access token.";
inline constexpr std::string_view auth_expired = "Access token has expired.";
std::string missing_scope_message(std::string_view scope);  // Token is not authorized access <scope> scope.

inline constexpr std::chrono::minutes code_lifetime{10};  // Oura: codes are valid ~10 minutes, single use

struct OAuthOptions {
    std::string client_id = "oura-sim-client";
    std::string client_secret = "oura-sim-secret";
    std::chrono::seconds token_expires_in{86400};
};

struct IssuedTokens {
    std::string access_token;
    std::string refresh_token;
    std::int64_t expires_in = 0;
    ScopeSet scopes = 0;
    int user = 0;
};

enum class TokenState { ok, missing, unknown, expired };
struct TokenCheck {
    TokenState state = TokenState::missing;
    int user = -1;
    ScopeSet scopes = 0;  // the token's scopes narrowed to what the user currently grants
};

struct GrantResult {
    int status = 200;
    std::string body;
    std::string grant_type;  // for the request counters ("" when the request named none)
};

class OAuthServer {
public:
    OAuthServer(OAuthOptions options, const core::Clock& clock);

    const OAuthOptions& options() const { return options_; }
    bool client_matches(std::string_view id, std::string_view secret) const;

    // A new access/refresh pair for `user` (tests that skip the authorization dance).
    IssuedTokens mint(int user, ScopeSet scopes, std::optional<std::chrono::seconds> expires_in = std::nullopt);
    // The code /oauth/authorize redirects with.
    std::string issue_code(int user, ScopeSet scopes, std::string_view redirect_uri, std::string_view code_challenge,
                           std::string_view challenge_method);
    // POST /oauth/token: `form` is the decoded body, `authorization` the header (HTTP Basic client auth).
    GrantResult token(const Params& form, std::optional<std::string_view> authorization);
    // Authorization: Bearer <token>.
    TokenCheck check(std::optional<std::string_view> authorization) const;

    void expire_all();
    bool expire(std::string_view access_token);
    void forget_tokens();  // every code and token
    void set_user_scopes(int user, ScopeSet scopes);
    ScopeSet user_scopes(int user) const;
    void reset_user_scopes();

    // The next authorize is refused with error=access_denied (counted; POST /_sim/oauth/deny).
    void deny_next(int count = 1) { deny_next_ += count; }
    bool take_denial();

private:
    struct Access {
        int user;
        ScopeSet scopes;
        std::chrono::system_clock::time_point expires_at;
    };
    struct Refresh {
        int user;
        ScopeSet scopes;
    };
    struct Code {
        int user;
        ScopeSet scopes;
        std::string redirect_uri;
        std::string challenge;
        std::string method;
        std::chrono::system_clock::time_point expires_at;
    };
    IssuedTokens issue_locked(int user, ScopeSet scopes, std::chrono::seconds expires_in);

    OAuthOptions options_;
    const core::Clock& clock_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Access> access_;
    std::unordered_map<std::string, Refresh> refresh_;
    std::unordered_map<std::string, Code> codes_;
    std::map<int, ScopeSet> user_scopes_;  // absent: every scope
    std::atomic<int> deny_next_{0};
};

// ---- pure helpers (unit-tested) ----

// RFC 7636: S256 compares base64url(SHA-256(verifier)) with the challenge; "plain" compares them as is.
bool pkce_matches(std::string_view challenge, std::string_view method, std::string_view verifier);
// "Basic base64(id:secret)" → {id, secret}.
std::optional<std::pair<std::string, std::string>> parse_basic_auth(std::string_view header);
// "Bearer <token>" (scheme case-insensitive) → token.
std::optional<std::string_view> bearer_token(std::string_view header);

}  // namespace oura::sim
