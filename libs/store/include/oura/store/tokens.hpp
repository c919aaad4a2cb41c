#pragma once
// OAuth tokens at rest: AES-256-GCM with a versioned key, AAD = (user id, column, key version).
// Refresh tokens rotate and are single use, so a refresh happens with the row locked and the new
// pair is stored in the same transaction (see oura::sync::TokenProvider).

#include <pqxx/pqxx>

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "oura/core/config.hpp"

namespace oura::store {

// Seals with the newest key and opens with any key it holds, so keys rotate without the users
// connecting again: add the new version, run `oura-admin tokens rekey`, then drop the old one.
class TokenCipher {
public:
    // `key32`: 32 raw bytes. Throws std::invalid_argument otherwise.
    TokenCipher(std::string key32, int key_version);
    // version → 32 raw bytes; the highest version seals. Throws std::invalid_argument when empty,
    // a key is not 32 bytes or a version is below 1.
    explicit TokenCipher(std::map<int, std::string> keys);
    // From OURA_TOKEN_ENCRYPTION_KEYS ("2:KEY,1:KEY", see core::parse_versioned_keys) or the single
    // OURA_TOKEN_ENCRYPTION_KEY (64 hex digits or base64 of 32 bytes) with
    // OURA_TOKEN_ENCRYPTION_KEY_VERSION (default 1); each may come through _FILE. Throws
    // core::config_error naming the variable, never showing a key.
    static TokenCipher from_env(const core::Env& env);

    // Seals with the newest key (key_version()).
    std::string seal(long long user_id, std::string_view column, std::string_view plaintext) const;
    // Throws token_error naming the user when `key_version` is not held or the blob does not
    // authenticate; never shows the blob or a key.
    std::string open(long long user_id, std::string_view column, int key_version, std::string_view blob) const;
    int key_version() const { return keys_.rbegin()->first; }  // the newest
    bool holds(int key_version) const { return keys_.count(key_version) != 0; }

private:
    std::map<int, std::string> keys_;
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
std::optional<StoredTokens> load_tokens(pqxx::transaction_base& tx, const TokenCipher& cipher, long long user_id);
// SELECT … FOR UPDATE: other refreshers and writers of this user (save_tokens) wait until `tx`
// ends, and are then served in the order they came.
std::optional<StoredTokens> lock_tokens(pqxx::work& tx, const TokenCipher& cipher, long long user_id);
// The refresh token was refused for good; `error` must hold no secret.
void mark_tokens_invalid(pqxx::work& tx, long long user_id, const std::string& error);

struct RekeyReport {
    int key_version = 0;     // the version everything readable is sealed with now
    long long resealed = 0;  // token rows moved to key_version by this call
    long long current = 0;   // rows that already were on key_version
    // Rows left as they were, by user id, with why (an unknown key version, a blob that does not
    // authenticate); every other row is re-sealed regardless.
    std::vector<std::pair<long long, std::string>> unreadable;
};
// Re-seals every stored token pair that is not on the cipher's newest key, one row lock and one
// transaction per user (a refresh in flight for that user finishes first, then its new pair is
// re-sealed or already sealed with the newest key).
RekeyReport rekey_tokens(pqxx::connection& conn, const TokenCipher& cipher);

// Users whose grant Oura refused for good (invalid_at set): they must connect their account again.
long long count_dead_grants(pqxx::transaction_base& tx);

}  // namespace oura::store
