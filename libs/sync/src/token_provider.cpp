#include "oura/sync/token_provider.hpp"

namespace oura::sync {

TokenProvider::TokenProvider(store::Pool& pool, store::TokenCipher cipher, api::OuraClient& client,
                             const core::Logger& log)
    : pool_(pool), cipher_(std::move(cipher)), client_(client), log_(log) {}

std::string TokenProvider::access_token(long long user_id) {
    auto tokens = pool_.with_connection([&](pqxx::connection& c) { return store::load_tokens(c, cipher_, user_id); });
    if (!tokens) throw api::api_error(api::ErrorKind::expired_token, 401, "user " + std::to_string(user_id) + " has no tokens");
    if (tokens->invalid)
        throw api::api_error(api::ErrorKind::invalid_grant, 400,
                             "the grant of user " + std::to_string(user_id) + " is dead: the user must authorize again");
    return tokens->access_token;
}

std::string TokenProvider::refresh_after_rejection(long long user_id, const std::string& rejected) {
    return pool_.with_connection([&](pqxx::connection& c) {
        pqxx::work tx(c);
        auto current = store::lock_tokens(tx, cipher_, user_id);
        if (!current) throw api::api_error(api::ErrorKind::expired_token, 401, "user has no tokens");
        if (current->invalid)
            throw api::api_error(api::ErrorKind::invalid_grant, 400, "the grant is dead: the user must authorize again");
        if (current->access_token != rejected) {
            // Someone refreshed while we waited for the lock.
            tx.commit();
            return current->access_token;
        }
        try {
            auto fresh = client_.refresh(current->refresh_token);
            store::StoredTokens next;
            next.access_token = fresh.access_token;
            next.refresh_token = fresh.refresh_token;
            next.expires_at = std::chrono::system_clock::now() + fresh.expires_in;
            next.scopes = fresh.scopes.empty() ? current->scopes : fresh.scopes;
            store::save_tokens(tx, cipher_, user_id, next);
            tx.commit();
            log_.info("access token refreshed", {{"user_id", user_id}});
            return next.access_token;
        } catch (const api::api_error& e) {
            if (e.kind() != api::ErrorKind::invalid_grant) throw;
            // The row is locked by us, so nobody rotated it in between: the grant is dead.
            store::mark_tokens_invalid(tx, user_id, "refresh refused: invalid_grant");
            tx.commit();
            log_.error("refresh token refused; the user must authorize again", {{"user_id", user_id}});
            throw;
        }
    });
}

}  // namespace oura::sync
