#include "sim_oauth.hpp"

#include <strings.h>

#include "oura/core/crypto.hpp"
#include "oura/core/json.hpp"
#include "oura/core/log.hpp"
#include "oura/http/message.hpp"

namespace oura::sim {
namespace {

std::string new_secret() {
    return core::base64url(core::random_bytes(24));
}

std::string oauth_error(std::string_view error, std::string_view description) {
    core::JsonWriter w;
    w.begin_object().field("error", error).field("error_description", description).end_object();
    return w.take();
}

// Bounds memory when a long benchmark mints tokens: expired tokens are forgotten, not kept forever.
constexpr std::size_t purge_threshold = 10000;

}  // namespace

std::string missing_scope_message(std::string_view scope) {
    return "Token is not authorized access " + std::string(scope) + " scope.";
}

bool pkce_matches(std::string_view challenge, std::string_view method, std::string_view verifier) {
    if (verifier.empty()) return false;
    if (method == "plain") return core::constant_time_equal(challenge, verifier);
    return core::constant_time_equal(challenge, core::base64url(core::sha256_raw(verifier)));
}

std::optional<std::pair<std::string, std::string>> parse_basic_auth(std::string_view header) {
    if (header.size() < 6 || strncasecmp(header.data(), "basic ", 6) != 0) return std::nullopt;
    auto plain = base64_decode(header.substr(6));
    if (!plain) return std::nullopt;
    auto colon = plain->find(':');
    if (colon == std::string::npos) return std::nullopt;
    return std::make_pair(http::percent_decode(plain->substr(0, colon), false),
                          http::percent_decode(plain->substr(colon + 1), false));
}

std::optional<std::string_view> bearer_token(std::string_view header) {
    if (header.size() < 7 || strncasecmp(header.data(), "bearer ", 7) != 0) return std::nullopt;
    auto token = header.substr(7);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (token.empty()) return std::nullopt;
    return token;
}

OAuthServer::OAuthServer(OAuthOptions options, const core::Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

bool OAuthServer::client_matches(std::string_view id, std::string_view secret) const {
    return core::constant_time_equal(id, options_.client_id) &&
           core::constant_time_equal(secret, options_.client_secret);
}

IssuedTokens OAuthServer::issue_locked(int user, ScopeSet scopes, std::chrono::seconds expires_in) {
    auto now = clock_.now();
    if (access_.size() > purge_threshold)
        std::erase_if(access_, [&](const auto& kv) { return kv.second.expires_at <= now; });
    IssuedTokens t{new_secret(), new_secret(), expires_in.count(), scopes, user};
    access_[t.access_token] = Access{user, scopes, now + expires_in};
    refresh_[t.refresh_token] = Refresh{user, scopes};
    return t;
}

IssuedTokens OAuthServer::mint(int user, ScopeSet scopes, std::optional<std::chrono::seconds> expires_in) {
    std::lock_guard lock(mutex_);
    return issue_locked(user, scopes, expires_in.value_or(options_.token_expires_in));
}

std::string OAuthServer::issue_code(int user, ScopeSet scopes, std::string_view redirect_uri,
                                    std::string_view code_challenge, std::string_view challenge_method) {
    std::lock_guard lock(mutex_);
    auto now = clock_.now();
    std::erase_if(codes_, [&](const auto& kv) { return kv.second.expires_at <= now; });
    std::string code = new_secret();
    codes_[code] = Code{user,
                        scopes,
                        std::string(redirect_uri),
                        std::string(code_challenge),
                        challenge_method.empty() ? "S256" : std::string(challenge_method),
                        now + code_lifetime};
    return code;
}

GrantResult OAuthServer::token(const Params& form, std::optional<std::string_view> authorization) {
    GrantResult out;
    auto grant_type = first_param(form, "grant_type");
    out.grant_type = grant_type.value_or("");
    auto id = first_param(form, "client_id");
    auto secret = first_param(form, "client_secret");
    if ((!id || !secret) && authorization) {
        if (auto basic = parse_basic_auth(*authorization)) {
            id = basic->first;
            secret = basic->second;
        }
    }
    if (!id || !secret || !client_matches(*id, *secret)) {
        out.status = 401;
        out.body = oauth_error("invalid_client", "Client authentication failed.");
        return out;
    }
    auto fail = [&](int status, std::string_view error, std::string_view description) {
        out.status = status;
        out.body = oauth_error(error, description);
        return out;
    };
    IssuedTokens issued;
    if (grant_type == "authorization_code") {
        auto code = first_param(form, "code");
        if (!code) return fail(400, "invalid_request", "The code parameter is required.");
        std::lock_guard lock(mutex_);
        auto it = codes_.find(*code);
        if (it == codes_.end()) return fail(400, "invalid_grant", "The authorization code is unknown or was used.");
        Code c = it->second;
        codes_.erase(it);  // single use, whatever happens next
        if (c.expires_at <= clock_.now()) return fail(400, "invalid_grant", "The authorization code has expired.");
        auto redirect = first_param(form, "redirect_uri");
        if (!c.redirect_uri.empty() && redirect && *redirect != c.redirect_uri)
            return fail(400, "invalid_grant", "redirect_uri does not match the authorization request.");
        if (!c.challenge.empty() &&
            !pkce_matches(c.challenge, c.method, first_param(form, "code_verifier").value_or("")))
            return fail(400, "invalid_grant", "The code_verifier does not match the code_challenge.");
        issued = issue_locked(c.user, c.scopes, options_.token_expires_in);
    } else if (grant_type == "refresh_token") {
        auto token = first_param(form, "refresh_token");
        if (!token) return fail(400, "invalid_request", "The refresh_token parameter is required.");
        std::lock_guard lock(mutex_);
        auto it = refresh_.find(*token);
        if (it == refresh_.end())
            return fail(400, "invalid_grant", "The refresh token is unknown or was already used.");
        Refresh r = it->second;
        refresh_.erase(it);  // rotation: each refresh token works exactly once
        issued = issue_locked(r.user, r.scopes, options_.token_expires_in);
    } else if (!grant_type) {
        return fail(400, "invalid_request", "The grant_type parameter is required.");
    } else {
        return fail(400, "unsupported_grant_type", "Only authorization_code and refresh_token are supported.");
    }
    core::JsonWriter body;
    body.begin_object()
        .field("access_token", issued.access_token)
        .field("token_type", "bearer")
        .field("expires_in", issued.expires_in)
        .field("refresh_token", issued.refresh_token)
        .field("scope", format_scopes(issued.scopes))
        .end_object();
    out.body = body.take();
    return out;
}

TokenCheck OAuthServer::check(std::optional<std::string_view> authorization) const {
    TokenCheck out;
    if (!authorization) return out;
    auto token = bearer_token(*authorization);
    if (!token) return out;
    std::lock_guard lock(mutex_);
    auto it = access_.find(std::string(*token));
    if (it == access_.end()) {
        out.state = TokenState::unknown;
        return out;
    }
    out.user = it->second.user;
    if (it->second.expires_at <= clock_.now()) {
        out.state = TokenState::expired;
        return out;
    }
    out.state = TokenState::ok;
    auto granted = user_scopes_.find(it->second.user);
    out.scopes = it->second.scopes & (granted == user_scopes_.end() ? all_scopes : granted->second);
    return out;
}

void OAuthServer::expire_all() {
    std::lock_guard lock(mutex_);
    auto past = clock_.now() - std::chrono::seconds(1);
    for (auto& [token, a] : access_) a.expires_at = past;
}

bool OAuthServer::expire(std::string_view access_token) {
    std::lock_guard lock(mutex_);
    auto it = access_.find(std::string(access_token));
    if (it == access_.end()) return false;
    it->second.expires_at = clock_.now() - std::chrono::seconds(1);
    return true;
}

void OAuthServer::forget_tokens() {
    std::lock_guard lock(mutex_);
    access_.clear();
    refresh_.clear();
    codes_.clear();
}

void OAuthServer::set_user_scopes(int user, ScopeSet scopes) {
    std::lock_guard lock(mutex_);
    user_scopes_[user] = scopes;
}

ScopeSet OAuthServer::user_scopes(int user) const {
    std::lock_guard lock(mutex_);
    auto it = user_scopes_.find(user);
    return it == user_scopes_.end() ? all_scopes : it->second;
}

void OAuthServer::reset_user_scopes() {
    std::lock_guard lock(mutex_);
    user_scopes_.clear();
}

bool OAuthServer::take_denial() {
    int n = deny_next_.load();
    while (n > 0)
        if (deny_next_.compare_exchange_weak(n, n - 1)) return true;
    return false;
}

}  // namespace oura::sim
