#include "oura/store/oauth_states.hpp"

#include "oura/core/crypto.hpp"
#include "oura/core/text.hpp"
#include "oura/store/documents.hpp"
#include "statement.hpp"

namespace oura::store {
namespace {

constexpr Statement insert_oauth_state{"insert_oauth_state", R"sql(
    INSERT INTO oura_secret.oauth_states (state_sha256, code_verifier, key_version, redirect_uri, requested_scopes, expires_at)
    VALUES ($1, $2, $3, $4, $5::text[], now() + $6::bigint * interval '1 second')
)sql"};

// FOR UPDATE: two callbacks racing with one state are served one after the other; the second finds it used.
constexpr Statement lock_oauth_state{"lock_oauth_state", R"sql(
    SELECT code_verifier, key_version, redirect_uri, requested_scopes::text, used_at IS NOT NULL, expires_at <= now()
      FROM oura_secret.oauth_states WHERE state_sha256 = $1
       FOR UPDATE
)sql"};

constexpr Statement use_oauth_state{"use_oauth_state", R"sql(
    UPDATE oura_secret.oauth_states SET used_at = now() WHERE state_sha256 = $1
)sql"};

constexpr Statement delete_oauth_states{"delete_oauth_states", R"sql(
    DELETE FROM oura_secret.oauth_states
     WHERE expires_at < now() - $1::bigint * interval '1 second'
        OR used_at < now() - $1::bigint * interval '1 second'
)sql"};

// The AAD of a sealed verifier: bound to its state, so a verifier copied to another row does not open.
constexpr long long state_aad_user = 0;
std::string verifier_column(const std::string& state_hash_hex) { return "code_verifier:" + state_hash_hex; }

std::vector<std::string> parse_text_array(std::string text) {
    // {a,b} of scope words (no quoting needed: scopes are [a-z_]).
    if (text.size() >= 2 && text.front() == '{' && text.back() == '}') text = text.substr(1, text.size() - 2);
    return core::split_list(text, ",");
}

}  // namespace

void save_oauth_state(pqxx::work& tx, const TokenCipher& cipher, const NewOAuthState& s) {
    auto hash = core::sha256_raw(s.state);
    auto sealed = cipher.seal(state_aad_user, verifier_column(core::to_hex(hash)), s.code_verifier);
    pqxx::binarystring hash_bytes(hash.data(), hash.size());
    pqxx::binarystring sealed_bytes(sealed.data(), sealed.size());
    exec(tx, insert_oauth_state, hash_bytes, sealed_bytes, cipher.key_version(), s.redirect_uri, to_pg_array(s.scopes),
         static_cast<long long>(s.ttl.count()));
}

std::optional<TakenOAuthState> take_oauth_state(pqxx::work& tx, const TokenCipher& cipher, const std::string& state,
                                                StateProblem& problem) {
    auto hash = core::sha256_raw(state);
    pqxx::binarystring hash_bytes(hash.data(), hash.size());
    auto r = exec(tx, lock_oauth_state, hash_bytes);
    if (r.empty()) {
        problem = StateProblem::unknown;
        return std::nullopt;
    }
    const auto& row = r[0];
    if (row[4].as<bool>()) {
        problem = StateProblem::used;
        return std::nullopt;
    }
    if (row[5].as<bool>()) {
        problem = StateProblem::expired;
        return std::nullopt;
    }
    pqxx::binarystring sealed(row[0]);
    TakenOAuthState out;
    out.code_verifier = cipher.open(state_aad_user, verifier_column(core::to_hex(hash)), row[1].as<int>(),
                                    std::string(sealed.str()));
    out.redirect_uri = row[2].as<std::string>();
    out.scopes = parse_text_array(row[3].as<std::string>());
    exec(tx, use_oauth_state, hash_bytes);
    problem = StateProblem::none;
    return out;
}

long long delete_stale_oauth_states(pqxx::work& tx, std::chrono::seconds grace) {
    return static_cast<long long>(exec(tx, delete_oauth_states, static_cast<long long>(grace.count())).affected_rows());
}

}  // namespace oura::store
