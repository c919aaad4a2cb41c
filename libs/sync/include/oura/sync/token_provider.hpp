#pragma once
// Access tokens for API calls. Refresh tokens are single use: a refresh runs with the user's token
// row locked and stores the new pair in the same transaction, so concurrent refreshers — threads
// or processes — coalesce into one call to Oura; the others find the new pair when the lock frees.

#include <optional>
#include <string>

#include "oura/api/client.hpp"
#include "oura/core/log.hpp"
#include "oura/store/database.hpp"
#include "oura/store/tokens.hpp"

namespace oura::sync {

class TokenProvider {
public:
    TokenProvider(store::Pool& pool, store::TokenCipher cipher, api::OuraClient& client, const core::Logger& log);

    // The stored access token. Throws api::api_error(expired_token) when the user has none or the
    // grant is dead (the user must re-consent).
    std::string access_token(long long user_id);

    // `rejected` was refused as expired: returns a token that is not `rejected`, refreshing at most
    // once across every caller. A 429 pause is waited out before the connection and the row lock
    // are taken; the lock is held only around the token call. On invalid_grant the row is re-read
    // (after the lock is released) before the grant is declared dead: another process may have
    // stored a new pair meanwhile. Throws api_error(invalid_grant) naming the user for a dead grant.
    std::string refresh_after_rejection(long long user_id, const std::string& rejected);

private:
    // 429s on the token call that are waited out before the refresh gives up with rate_limited.
    static constexpr int max_rate_limited_rounds = 5;
    std::string after_invalid_grant(long long user_id, const std::string& rejected, const std::string& spent);
    static api::api_error dead_grant(long long user_id);

    store::Pool& pool_;
    store::TokenCipher cipher_;
    api::OuraClient& client_;
    const core::Logger& log_;
};

}  // namespace oura::sync
