#include "oura/sync/token_provider.hpp"

namespace oura::sync {

TokenProvider::TokenProvider(store::Pool& pool, store::TokenCipher cipher, api::OuraClient& client,
                             const core::Logger& log)
    : pool_(pool), cipher_(std::move(cipher)), client_(client), log_(log) {}

std::string TokenProvider::access_token(long long user_id) {
    auto tokens = pool_.transact([&](store::Transaction& tx) { return store::load_tokens(tx, cipher_, user_id); });
    if (!tokens) throw api::api_error(api::ErrorKind::expired_token, 401, "user " + std::to_string(user_id) + " has no tokens");
    if (tokens->invalid) throw dead_grant(user_id);
    return tokens->access_token;
}

std::string TokenProvider::refresh_after_rejection(long long user_id, const std::string& rejected) {
    for (int round = 1;; ++round) {
        // The 429 pause is waited out here, holding neither a pooled connection nor the row lock,
        // so other users' work and the other refreshers of this user are not held up behind it.
        client_.wait_for_rate_gate();
        std::optional<std::string> spent;  // the refresh token Oura refused with invalid_grant
        // Committed when the lambda returns; nothing is written on the paths that return nullopt.
        bool refreshed = false;
        auto token = pool_.transact([&](store::Transaction& tx) -> std::optional<std::string> {
            refreshed = false;
            auto current = store::lock_tokens(tx, cipher_, user_id);
            if (!current) throw api::api_error(api::ErrorKind::expired_token, 401, "user has no tokens");
            if (current->invalid) throw dead_grant(user_id);
            if (current->access_token != rejected) return current->access_token;  // refreshed while we waited
            api::TokenSet fresh;
            try {
                fresh = client_.refresh(current->refresh_token, api::RateLimitWait::throw_at_once);
            } catch (const api::api_error& e) {
                // A 429 spent nothing: let go of the lock and the connection, wait, try again.
                if (e.kind() == api::ErrorKind::rate_limited && round < max_rate_limited_rounds) return std::nullopt;
                if (e.kind() == api::ErrorKind::invalid_grant) {
                    spent = current->refresh_token;
                    return std::nullopt;
                }
                throw;
            }
            store::StoredTokens next;
            next.access_token = fresh.access_token;
            next.refresh_token = fresh.refresh_token;
            next.expires_at = std::chrono::system_clock::now() + fresh.expires_in;
            next.scopes = fresh.scopes.empty() ? current->scopes : fresh.scopes;
            store::save_tokens(tx, cipher_, user_id, next);
            refreshed = true;
            return next.access_token;
        });
        if (refreshed) log_.info("access token refreshed", {{"user_id", user_id}});
        if (token) return *token;
        if (spent) return after_invalid_grant(user_id, rejected, *spent);
    }
}

std::string TokenProvider::after_invalid_grant(long long user_id, const std::string& rejected, const std::string& spent) {
    // The lock was released with the refused call; a writer that queued behind it (a re-consent
    // through `oura-admin users add`, another process's refresh) has its turn before this read.
    // nullopt: the grant was marked dead (committed with the unit of work, before the throw below).
    auto token = pool_.transact([&](store::Transaction& tx) -> std::optional<std::string> {
        auto now = store::lock_tokens(tx, cipher_, user_id);
        if (!now) throw api::api_error(api::ErrorKind::expired_token, 401, "user has no tokens");
        if (now->invalid) throw dead_grant(user_id);
        if (now->refresh_token != spent || now->access_token != rejected) return now->access_token;
        store::mark_tokens_invalid(tx, user_id, "refresh refused: invalid_grant");
        return std::nullopt;
    });
    if (token) {
        log_.info("refresh refused, but another process stored a new token pair meanwhile; using it", {{"user_id", user_id}});
        return *token;
    }
    log_.error("refresh token refused; the user must connect the account again", {{"user_id", user_id}});
    throw dead_grant(user_id);
}

api::api_error TokenProvider::dead_grant(long long user_id) {
    return api::api_error(api::ErrorKind::invalid_grant, 400,
                          "the grant of user " + std::to_string(user_id) +
                              " is dead: the user must connect the account again (oura-admin users add)");
}

}  // namespace oura::sync
