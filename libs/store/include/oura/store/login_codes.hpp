#pragma once
// Single-use login codes for query-api's /status page: a link that logs a browser in once, within
// minutes, so a person never types or pastes a lasting token into a URL. Only the SHA-256 of a code
// is stored (oura_secret.status_login_codes, migration 0019).

#include <chrono>
#include <string>

namespace oura::store {

class Pool;

// A fresh code (32 random bytes, base64url) valid for `ttl` from the database's now; expired codes
// are pruned in the same transaction.
std::string create_login_code(Pool& pool, std::chrono::seconds ttl);

// Spends `code`: true when it existed, had not expired and had not been used; it can never be used
// again either way. Constant work whatever the code (one indexed lookup of its hash).
bool redeem_login_code(Pool& pool, const std::string& code);

}  // namespace oura::store
