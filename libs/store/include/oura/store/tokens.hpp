#pragma once
// OAuth tokens at rest: AES-256-GCM with a versioned key, AAD = (user id, column, key version).
// Refresh tokens rotate and are single use, so a refresh happens with the row locked and the new
// pair is stored in the same transaction (see oura::sync::TokenProvider).

#include <pqxx/pqxx>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "oura/core/config.hpp"

namespace oura::store {

class TokenCipher {
public:
    // `key32`: 32 raw bytes. Throws std::invalid_argument otherwise.
    TokenCipher(std::string key32, int key_version);
    // From OURA_TOKEN_ENCRYPTION_KEY (64 hex digits or base64 of 32 bytes; or its _FILE) and
    // OURA_TOKEN_ENCRYPTION_KEY_VERSION (default 1). Throws core::config_error naming the variable.
    static TokenCipher from_env(const core::Env& env);

    std::string seal(long long user_id, std::string_view column, std::string_view plaintext) const;
    // Throws token_error when the blob was sealed with another key version or does not authenticate.
    std::string open(long long user_id, std::string_view column, int key_version, std::string_view blob) const;
    int key_version() const { return version_; }

private:
    std::string key_;
    int version_;
};

class token_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct StoredTokens {
    std::string access_token;
    std::string refresh_token;
    std::chrono::system_clock::time_point expires_at{};
    std::vector<std::string> scopes;
    bool invalid = false;  // the grant is dead: the user must re-consent
};

void save_tokens(pqxx::work& tx, const TokenCipher& cipher, long long user_id, const StoredTokens& tokens);
std::optional<StoredTokens> load_tokens(pqxx::connection& conn, const TokenCipher& cipher, long long user_id);
// SELECT … FOR UPDATE: other refreshers of this user wait until `tx` ends.
std::optional<StoredTokens> lock_tokens(pqxx::work& tx, const TokenCipher& cipher, long long user_id);
// The refresh token was refused for good; `error` must hold no secret.
void mark_tokens_invalid(pqxx::work& tx, long long user_id, const std::string& error);

}  // namespace oura::store
