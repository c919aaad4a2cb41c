#pragma once
// The pure parts of Oura's OAuth2 (authorization code grant with rotating refresh tokens).

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace oura::api {

// The scopes this platform asks for: Oura's documented eight plus the undocumented ones that
// daily_resilience, daily_cardiovascular_age, vO2_max and ring_configuration need ("spo2", not
// the spec's "spo2Daily", is the name the authorize endpoint keeps).
const std::vector<std::string>& default_scopes();

// RFC 7636 proof key: a 43-character verifier from 32 random bytes and its S256 challenge.
struct Pkce {
    std::string verifier;
    std::string challenge;
};
Pkce make_pkce();
std::string pkce_challenge(std::string_view verifier);  // BASE64URL(SHA256(verifier)), no padding

// An unguessable OAuth state value (32 random bytes, base64url).
std::string make_state();

// {auth_base_url}/oauth/authorize?response_type=code&client_id=…&redirect_uri=…&scope=a b…
// &state=…[&code_challenge=…&code_challenge_method=S256]. No scope parameter when `scopes` is
// empty (Oura then asks for all); no PKCE parameters when `code_challenge` is empty.
std::string authorize_url(std::string_view auth_base_url, std::string_view client_id, std::string_view redirect_uri,
                          const std::vector<std::string>& scopes, std::string_view state,
                          std::string_view code_challenge);

// Oura documents access tokens as living "typically 24 hours" (elsewhere "30 days"); a longer
// expires_in is read as this, so a garbage value cannot postpone the refresh for years.
inline constexpr std::chrono::seconds max_token_lifetime{30 * 86400};

struct TokenSet {
    std::string access_token;
    std::string refresh_token;
    std::string token_type;             // "bearer"
    std::chrono::seconds expires_in{};  // as Oura says (often 86400); 3600 when it says nothing
                                        // or nonsense; at most max_token_lifetime
    std::vector<std::string> scopes;    // granted scopes when the answer names them, else empty
};

// Parses a token endpoint answer. Throws api_error(bad_response) when access_token or
// refresh_token is missing: Oura rotates refresh tokens, and an answer without a new one would
// leave the grant unusable after the access token expires. The message never contains a token.
TokenSet parse_token_response(std::string_view body);

// "daily heartrate  spo2" or "daily,heartrate" → {"daily", "heartrate", "spo2"}.
std::vector<std::string> split_scopes(std::string_view text);

}  // namespace oura::api
