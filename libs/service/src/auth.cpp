#include "oura/service/auth.hpp"

#include <utility>

#include "oura/core/crypto.hpp"
#include "oura/core/json.hpp"
#include "oura/core/text.hpp"

namespace oura::service {

namespace {

constexpr std::size_t min_token_length = 16;

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

http::Response error_response(int status, std::string_view error, std::string_view message) {
    core::JsonWriter w;
    w.begin_object().field("error", error).field("message", message).end_object();
    return http::json_response(status, w.take());
}

}  // namespace

TokenSet TokenSet::from_env(const core::Env& env, std::string_view name) {
    TokenSet set;
    for (auto& token : core::split_list(env.get_or(name, ""), ", \t\r\n")) {
        if (token.size() < min_token_length)
            throw core::config_error(std::string(name) + ": every token must be at least 16 characters long");
        set.tokens_.push_back(std::move(token));
    }
    return set;
}

TokenSet TokenSet::of(std::vector<std::string> tokens) {
    TokenSet set;
    set.tokens_ = std::move(tokens);
    return set;
}

bool TokenSet::contains(std::string_view presented) const {
    bool found = false;
    for (const auto& token : tokens_) found |= core::constant_time_equal(token, presented);
    return found;
}

const std::string& TokenSet::first() const {
    static const std::string none;
    return tokens_.empty() ? none : tokens_.front();
}

Access Access::from_env(const core::Env& env) {
    return Access{TokenSet::from_env(env, "OURA_QUERY_READ_TOKENS"), TokenSet::from_env(env, "OURA_QUERY_ADMIN_TOKENS")};
}

Role Access::role_of(const http::Request& request, std::string_view cookie_name) const {
    auto presented = bearer_token(request);
    if (!presented && !cookie_name.empty()) presented = cookie(request, cookie_name);
    if (!presented || presented->empty()) return Role::none;
    // Both sets are always checked so the answer's timing does not reveal the role.
    const bool admin_match = admin.contains(*presented);
    const bool read_match = read.contains(*presented);
    if (admin_match) return Role::admin;
    if (read_match) return Role::read;
    return Role::none;
}

std::optional<std::string> bearer_token(const http::Request& request) {
    auto header = request.headers.get("Authorization");
    if (!header) return std::nullopt;
    auto value = core::trim(*header);
    constexpr std::string_view scheme = "bearer ";
    if (value.size() <= scheme.size() || !iequals(value.substr(0, scheme.size()), scheme)) return std::nullopt;
    return std::string(core::trim(value.substr(scheme.size())));
}

std::optional<std::string> cookie(const http::Request& request, std::string_view name) {
    auto header = request.headers.get("Cookie");
    if (!header || name.empty()) return std::nullopt;
    for (const auto& pair : core::split_list(*header, ";")) {
        auto eq = pair.find('=');
        if (eq == std::string::npos) continue;
        if (core::trim(std::string_view(pair).substr(0, eq)) == name)
            return std::string(core::trim(std::string_view(pair).substr(eq + 1)));
    }
    return std::nullopt;
}

http::Response unauthorized() {
    auto r = error_response(401, "unauthorized", "a valid bearer token is required");
    r.headers.set("WWW-Authenticate", R"(Bearer realm="oura")");
    return r;
}

http::Response forbidden() { return error_response(403, "forbidden", "this token's role may not use this route"); }

}  // namespace oura::service
