#include "oura/store/tokens.hpp"

#include "oura/core/config.hpp"
#include "oura/core/crypto.hpp"

namespace oura::store {
namespace {

constexpr auto upsert_tokens = R"sql(
    INSERT INTO oura_secret.oauth_tokens (user_id, access_token, refresh_token, key_version, expires_at, scopes)
    VALUES ($1, $2, $3, $4, to_timestamp($5), COALESCE(string_to_array(NULLIF($6, ''), ' '), '{}'))
    ON CONFLICT (user_id) DO UPDATE
       SET access_token = EXCLUDED.access_token, refresh_token = EXCLUDED.refresh_token,
           key_version = EXCLUDED.key_version, expires_at = EXCLUDED.expires_at,
           -- A refresh answer that names no scopes keeps what the grant had.
           scopes = CASE WHEN cardinality(EXCLUDED.scopes) = 0 THEN oauth_tokens.scopes ELSE EXCLUDED.scopes END,
           refreshed_at = now(), refresh_count = oauth_tokens.refresh_count + 1,
           invalid_at = NULL, last_error = NULL, updated_at = now()
)sql";

constexpr auto select_tokens = R"sql(
    SELECT access_token, refresh_token, key_version, COALESCE(extract(epoch FROM expires_at)::bigint, 0),
           array_to_string(scopes, ' '), invalid_at IS NOT NULL
      FROM oura_secret.oauth_tokens WHERE user_id = $1
)sql";

constexpr auto invalidate_tokens = R"sql(
    UPDATE oura_secret.oauth_tokens SET invalid_at = now(), last_error = $2, updated_at = now() WHERE user_id = $1
)sql";

std::string aad(long long user_id, std::string_view column, int version) {
    return "oura/v1;user=" + std::to_string(user_id) + ";column=" + std::string(column) + ";key=" + std::to_string(version);
}

std::vector<std::string> split_words(const std::string& s) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < s.size()) {
        auto end = s.find(' ', pos);
        if (end == std::string::npos) end = s.size();
        if (end > pos) out.push_back(s.substr(pos, end - pos));
        pos = end + 1;
    }
    return out;
}

std::string join_words(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
    return out;
}

StoredTokens decode(const TokenCipher& cipher, long long user_id, const pqxx::row& r) {
    StoredTokens t;
    int version = r[2].as<int>();
    pqxx::binarystring access(r[0]);
    t.access_token = cipher.open(user_id, "access_token", version, access.str());
    if (!r[1].is_null()) t.refresh_token = cipher.open(user_id, "refresh_token", version, pqxx::binarystring(r[1]).str());
    t.expires_at = std::chrono::system_clock::time_point(std::chrono::seconds(r[3].as<long long>()));
    t.scopes = split_words(r[4].as<std::string>(""));
    t.invalid = r[5].as<bool>();
    return t;
}

}  // namespace

TokenCipher::TokenCipher(std::string key32, int key_version) : key_(std::move(key32)), version_(key_version) {
    if (key_.size() != 32) throw std::invalid_argument("token encryption key must be 32 bytes");
    if (version_ < 1) throw std::invalid_argument("token encryption key version must be at least 1");
}

TokenCipher TokenCipher::from_env(const core::Env& env) {
    auto text = env.require("OURA_TOKEN_ENCRYPTION_KEY");
    auto key = core::decode_key32(text);
    if (!key)
        throw core::config_error(
            "OURA_TOKEN_ENCRYPTION_KEY must be 32 bytes as 64 hex digits or base64 (e.g. `openssl rand -hex 32`)");
    auto version = static_cast<int>(env.get_int("OURA_TOKEN_ENCRYPTION_KEY_VERSION", 1, 1, 1000000));
    return TokenCipher(*key, version);
}

std::string TokenCipher::seal(long long user_id, std::string_view column, std::string_view plaintext) const {
    return core::aes256gcm_encrypt(key_, plaintext, aad(user_id, column, version_));
}

std::string TokenCipher::open(long long user_id, std::string_view column, int key_version, std::string_view blob) const {
    if (key_version != version_)
        throw token_error("tokens of user " + std::to_string(user_id) + " are sealed with key version " +
                          std::to_string(key_version) + " but OURA_TOKEN_ENCRYPTION_KEY_VERSION is " +
                          std::to_string(version_));
    try {
        return core::aes256gcm_decrypt(key_, blob, aad(user_id, column, key_version));
    } catch (const std::exception&) {
        throw token_error("tokens of user " + std::to_string(user_id) +
                          " do not decrypt with the configured OURA_TOKEN_ENCRYPTION_KEY");
    }
}

void save_tokens(pqxx::work& tx, const TokenCipher& cipher, long long user_id, const StoredTokens& t) {
    auto access = cipher.seal(user_id, "access_token", t.access_token);
    auto refresh = cipher.seal(user_id, "refresh_token", t.refresh_token);
    pqxx::binarystring access_bytes(access.data(), access.size());
    pqxx::binarystring refresh_bytes(refresh.data(), refresh.size());
    auto expires = std::chrono::duration_cast<std::chrono::seconds>(t.expires_at.time_since_epoch()).count();
    tx.exec_params(upsert_tokens, user_id, access_bytes, refresh_bytes, cipher.key_version(), expires,
                   join_words(t.scopes));
}

std::optional<StoredTokens> load_tokens(pqxx::connection& conn, const TokenCipher& cipher, long long user_id) {
    pqxx::nontransaction tx(conn);
    auto r = tx.exec_params(select_tokens, user_id);
    if (r.empty()) return std::nullopt;
    return decode(cipher, user_id, r[0]);
}

std::optional<StoredTokens> lock_tokens(pqxx::work& tx, const TokenCipher& cipher, long long user_id) {
    auto r = tx.exec_params(std::string(select_tokens) + " FOR UPDATE", user_id);
    if (r.empty()) return std::nullopt;
    return decode(cipher, user_id, r[0]);
}

void mark_tokens_invalid(pqxx::work& tx, long long user_id, const std::string& error) {
    tx.exec_params(invalidate_tokens, user_id, error);
}

}  // namespace oura::store
