#pragma once
// Bearer-token access shared by every daemon: the query-api's read and admin roles, and the admin
// routes ingest-webhook serves (GET /oauth/start). Tokens come from the environment only (a
// comma-separated list, or NAME_FILE for a mounted secret), several at once so they can be rotated
// without downtime. Comparison is constant-time against every configured token.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oura/core/config.hpp"
#include "oura/http/message.hpp"

namespace oura::service {

class TokenSet {
public:
    // NAME (or NAME_FILE): tokens separated by commas, spaces or newlines. Throws
    // core::config_error naming the variable when a token is shorter than 16 characters (a guessable
    // secret is a configuration mistake, not a choice).
    static TokenSet from_env(const core::Env& env, std::string_view name);
    static TokenSet of(std::vector<std::string> tokens);  // tests and generated demo tokens

    bool empty() const { return tokens_.empty(); }
    // True when `presented` equals one of the tokens. Every token is compared, whatever matches
    // first, so the time taken does not tell which one (or how much of one) matched.
    bool contains(std::string_view presented) const;
    // The first configured token: what a redeemed single-use login link hands the browser as its
    // cookie (query-api's GET /status/login?code=…). Empty when there is none.
    const std::string& first() const;

private:
    std::vector<std::string> tokens_;
};

enum class Role { none, read, admin };

// The read and admin token sets of a service. An admin token may do everything a read token may.
struct Access {
    TokenSet read;
    TokenSet admin;

    // OURA_QUERY_READ_TOKENS and OURA_QUERY_ADMIN_TOKENS (each may be _FILE).
    static Access from_env(const core::Env& env);
    // The role the request's credentials give: the `Authorization: Bearer` header, or the cookie
    // `cookie_name` when one is given (the status page's login form sets it). Role::none when
    // there are no credentials or they match nothing.
    Role role_of(const http::Request& request, std::string_view cookie_name = {}) const;
};

// The token of "Authorization: Bearer <token>" (scheme case-insensitive); nullopt otherwise.
std::optional<std::string> bearer_token(const http::Request& request);
// The value of cookie `name` from the Cookie header; nullopt when absent.
std::optional<std::string> cookie(const http::Request& request, std::string_view name);

// 401 with `WWW-Authenticate: Bearer realm="oura"` and a JSON error body.
http::Response unauthorized();
// 403 with a JSON error body: the credentials are valid but the role is too small.
http::Response forbidden();

}  // namespace oura::service
