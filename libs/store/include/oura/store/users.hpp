#pragma once
// Oura accounts the platform copies.

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <vector>

namespace oura::store {

struct User {
    long long user_id = 0;
    std::string oura_user_id;  // empty until personal_info was read
    std::string email;
    std::string status;  // active | paused | revoked
};

// Creates the user for `oura_user_id`, or returns the existing one (idempotent). Never throws on a repeat.
User upsert_user(pqxx::work& tx, const std::string& oura_user_id, const std::string& email);
std::optional<User> find_user(pqxx::connection& conn, long long user_id);
std::optional<User> find_user_by_oura_id(pqxx::connection& conn, const std::string& oura_user_id);
// Every user, or only active ones, ordered by user_id.
std::vector<User> list_users(pqxx::connection& conn, bool active_only);

// What an operator's user listing shows: each user with the token's state and how syncing goes.
struct UserOverview {
    User user;
    std::string token_expires_at;  // "YYYY-MM-DD HH:MMZ", or "-" without tokens
    std::string grant;             // ok | dead (must re-consent) | none (no tokens stored)
    std::string last_success_at;   // newest successful sync of any resource, or "never"
    long long failing_resources = 0;  // resources whose last sync did not succeed
};
// Every user, ordered by user_id.
std::vector<UserOverview> user_overview(pqxx::transaction_base& tx);

}  // namespace oura::store
