#pragma once
// Access tokens for API calls. Refresh tokens are single use: a refresh runs with the user's token
// row locked and stores the new pair in the same transaction, so concurrent refreshers — threads
// or processes — coalesce into one call to Oura; the others find the new pair when the lock frees.

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
    // once across every caller. On invalid_grant the row is re-read before the grant is declared
    // dead (another process may have rotated it meanwhile).
    std::string refresh_after_rejection(long long user_id, const std::string& rejected);

private:
    store::Pool& pool_;
    store::TokenCipher cipher_;
    api::OuraClient& client_;
    const core::Logger& log_;
};

}  // namespace oura::sync
