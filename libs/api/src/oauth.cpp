#include "oura/api/oauth.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "oura/api/errors.hpp"
#include "oura/core/crypto.hpp"
#include "oura/core/text.hpp"
#include "oura/http/message.hpp"

namespace oura::api {

namespace {
// Oura states "typically 24 hours" in one place and "30 days" in another; when an answer says
// nothing, assume less than either so the token is refreshed early rather than used expired.
constexpr std::chrono::seconds unstated_expiry{3600};
}  // namespace

const std::vector<std::string>& default_scopes() {
    static const std::vector<std::string> scopes{
        "email",   "personal", "daily",  "heartrate",    "workout",           "tag",
        "session", "spo2",     "stress", "heart_health", "ring_configuration"};
    return scopes;
}

std::string pkce_challenge(std::string_view verifier) {
    return core::base64url(core::sha256_raw(verifier));
}

Pkce make_pkce() {
    Pkce p;
    p.verifier = core::base64url(core::random_bytes(32));
    p.challenge = pkce_challenge(p.verifier);
    return p;
}

std::string make_state() {
    return core::base64url(core::random_bytes(32));
}

std::string authorize_url(std::string_view auth_base_url, std::string_view client_id, std::string_view redirect_uri,
                          const std::vector<std::string>& scopes, std::string_view state,
                          std::string_view code_challenge) {
    std::vector<std::pair<std::string, std::string>> q{{"response_type", "code"},
                                                       {"client_id", std::string(client_id)}};
    if (!redirect_uri.empty()) q.emplace_back("redirect_uri", std::string(redirect_uri));
    if (!scopes.empty()) {
        std::string joined;
        for (const auto& s : scopes) {
            if (!joined.empty()) joined += ' ';
            joined += s;
        }
        q.emplace_back("scope", joined);
    }
    q.emplace_back("state", std::string(state));
    if (!code_challenge.empty()) {
        q.emplace_back("code_challenge", std::string(code_challenge));
        q.emplace_back("code_challenge_method", "S256");
    }
    std::string base(auth_base_url);
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + "/oauth/authorize?" + http::build_query(q);
}

std::vector<std::string> split_scopes(std::string_view text) {
    return core::split_list(text, " ,+\t");
}

TokenSet parse_token_response(std::string_view body) {
    rapidjson::Document doc;
    doc.Parse(body.data(), body.size());
    if (doc.HasParseError() || !doc.IsObject())
        throw api_error(ErrorKind::bad_response, 200, "token response is not a JSON object", "oauth_token");
    auto str = [&](const char* key) -> std::string {
        auto it = doc.FindMember(key);
        if (it == doc.MemberEnd() || !it->value.IsString()) return {};
        return {it->value.GetString(), it->value.GetStringLength()};
    };
    TokenSet t;
    t.access_token = str("access_token");
    t.refresh_token = str("refresh_token");
    if (t.access_token.empty())
        throw api_error(ErrorKind::bad_response, 200, "token response has no access_token", "oauth_token");
    if (t.refresh_token.empty())
        throw api_error(ErrorKind::bad_response, 200,
                        "token response has no refresh_token (Oura rotates them; the grant cannot be kept)",
                        "oauth_token");
    t.token_type = str("token_type");
    if (t.token_type.empty()) t.token_type = "bearer";
    t.expires_in = unstated_expiry;
    // Whole seconds as a number (any size, even 1e20) or a string; zero, negative or unreadable
    // values count as unstated, larger ones as max_token_lifetime.
    const std::int64_t cap = max_token_lifetime.count();
    std::optional<std::int64_t> stated;
    auto exp = doc.FindMember("expires_in");
    if (exp != doc.MemberEnd()) {
        const auto& v = exp->value;
        if (v.IsInt64())
            stated = std::min(v.GetInt64(), cap);
        else if (v.IsNumber())  // a double (1e9, 86400.5) or beyond 64 bits
            stated =
                v.GetDouble() >= static_cast<double>(cap) ? cap : static_cast<std::int64_t>(std::floor(v.GetDouble()));
        else if (v.IsString())
            stated = core::parse_capped(core::trim({v.GetString(), v.GetStringLength()}), cap);
    }
    if (stated && *stated > 0) t.expires_in = std::chrono::seconds(*stated);
    t.scopes = split_scopes(str("scope"));
    return t;
}

}  // namespace oura::api
