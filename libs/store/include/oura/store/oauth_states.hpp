#pragma once
// Pending OAuth authorizations (oura_secret.oauth_states): the state is stored only as its SHA-256
// and the PKCE verifier sealed, so a database read can neither forge a callback nor finish one.

#include <pqxx/pqxx>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "oura/store/tokens.hpp"

namespace oura::store {

struct NewOAuthState {
    std::string state;          // the value sent to Oura (hashed before it is stored)
    std::string code_verifier;  // sealed before it is stored
    std::string redirect_uri;
    std::vector<std::string> scopes;
    std::chrono::seconds ttl{900};
};
void save_oauth_state(pqxx::work& tx, const TokenCipher& cipher, const NewOAuthState& state);

struct TakenOAuthState {
    std::string code_verifier;
    std::string redirect_uri;
    std::vector<std::string> scopes;
};
enum class StateProblem { none, unknown, used, expired };
// Marks the state used (single use) and returns its verifier. Unknown, already used or expired
// states change nothing and say which they were in `problem`.
std::optional<TakenOAuthState> take_oauth_state(pqxx::work& tx, const TokenCipher& cipher, const std::string& state,
                                                StateProblem& problem);

// Deletes states that expired (or were used) more than `grace` ago; returns how many.
long long delete_stale_oauth_states(pqxx::work& tx, std::chrono::seconds grace);

}  // namespace oura::store
