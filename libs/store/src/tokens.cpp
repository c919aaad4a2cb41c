#include "oura/store/tokens.hpp"

#include "oura/core/config.hpp"
#include "oura/core/crypto.hpp"
#include "statement.hpp"

namespace oura::store {
namespace {

constexpr Statement upsert_tokens{"upsert_tokens", R"sql(
    INSERT INTO oura_secret.oauth_tokens (user_id, access_token, refresh_token, key_version, expires_at, scopes)
    VALUES ($1, $2, $3, $4, to_timestamp($5), COALESCE(string_to_array(NULLIF($6, ''), ' '), '{}'))
    ON CONFLICT (user_id) DO UPDATE
       SET access_token = EXCLUDED.access_token, refresh_token = EXCLUDED.refresh_token,
           key_version = EXCLUDED.key_version, expires_at = EXCLUDED.expires_at,
           -- A refresh answer that names no scopes keeps what the grant had.
           scopes = CASE WHEN cardinality(EXCLUDED.scopes) = 0 THEN oauth_tokens.scopes ELSE EXCLUDED.scopes END,
           refreshed_at = now(), refresh_count = oauth_tokens.refresh_count + 1,
           invalid_at = NULL, last_error = NULL, updated_at = now()
)sql"};

constexpr Statement select_tokens{"select_tokens", R"sql(
    SELECT access_token, refresh_token, key_version, COALESCE(extract(epoch FROM expires_at)::bigint, 0),
           array_to_string(scopes, ' '), invalid_at IS NOT NULL
      FROM oura_secret.oauth_tokens WHERE user_id = $1
)sql"};

constexpr Statement select_tokens_for_update{"select_tokens_for_update", R"sql(
    SELECT access_token, refresh_token, key_version, COALESCE(extract(epoch FROM expires_at)::bigint, 0),
           array_to_string(scopes, ' '), invalid_at IS NOT NULL
      FROM oura_secret.oauth_tokens WHERE user_id = $1 FOR UPDATE
)sql"};

constexpr Statement invalidate_tokens{"invalidate_tokens", R"sql(
    UPDATE oura_secret.oauth_tokens SET invalid_at = now(), last_error = $2, updated_at = now() WHERE user_id = $1
)sql"};

// Everyone who reads a token row to replace it, or writes one, queues here first. The row lock
// alone is not fair: when a refresher rolls back after invalid_grant, its own re-read can take the
// freed row before a writer that was waiting for it (a re-consent), and declare a grant dead that
// the writer is about to replace. Advisory locks are handed to waiters in arrival order on
// release, so the writer goes first and the re-read sees its pair. Two-key form: its key space is
// apart from the single-key run and migration locks; users past 2^31 share a slot, which only
// serialises their token writes.
constexpr int token_writer_lock_class = 7001;
constexpr Statement queue_token_writer{"queue_token_writer", R"sql(
    SELECT pg_advisory_xact_lock($1, ($2 % 2147483647)::integer)
)sql"};

constexpr Statement select_stale_token_users{"select_stale_token_users", R"sql(
    SELECT user_id FROM oura_secret.oauth_tokens WHERE key_version <> $1 ORDER BY user_id
)sql"};

constexpr Statement count_tokens_on_version{"count_tokens_on_version", R"sql(
    SELECT count(*) FROM oura_secret.oauth_tokens WHERE key_version = $1
)sql"};

constexpr Statement lock_sealed_tokens{"lock_sealed_tokens", R"sql(
    SELECT access_token, refresh_token, key_version FROM oura_secret.oauth_tokens WHERE user_id = $1 FOR UPDATE
)sql"};

// Only the seal changes: the grant's refresh bookkeeping (refreshed_at, refresh_count) stays.
constexpr Statement reseal_tokens{"reseal_tokens", R"sql(
    UPDATE oura_secret.oauth_tokens SET access_token = $2, refresh_token = $3, key_version = $4, updated_at = now()
     WHERE user_id = $1
)sql"};

constexpr Statement count_invalid_grants{"count_invalid_grants", R"sql(
    SELECT count(*) FROM oura_secret.oauth_tokens WHERE invalid_at IS NOT NULL
)sql"};

void queue_for_token_row(pqxx::work& tx, long long user_id) {
    exec(tx, queue_token_writer, token_writer_lock_class, user_id);
}

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

TokenCipher::TokenCipher(std::string key32, int key_version)
    : TokenCipher(std::map<int, std::string>{{key_version, std::move(key32)}}) {}

TokenCipher::TokenCipher(std::map<int, std::string> keys) : keys_(std::move(keys)) {
    if (keys_.empty()) throw std::invalid_argument("no token encryption key");
    for (const auto& [version, key] : keys_) {
        if (key.size() != 32) throw std::invalid_argument("token encryption key must be 32 bytes");
        if (version < 1) throw std::invalid_argument("token encryption key version must be at least 1");
    }
}

TokenCipher TokenCipher::from_env(const core::Env& env) {
    auto ring = env.get("OURA_TOKEN_ENCRYPTION_KEYS");
    auto single = env.get("OURA_TOKEN_ENCRYPTION_KEY");
    if (ring) {
        // Two sources of truth for the newest key would let one binary seal with a key another cannot open.
        if (single || env.get("OURA_TOKEN_ENCRYPTION_KEY_VERSION"))
            throw core::config_error(
                "OURA_TOKEN_ENCRYPTION_KEYS is set, so OURA_TOKEN_ENCRYPTION_KEY and OURA_TOKEN_ENCRYPTION_KEY_VERSION "
                "must not be: put every key into OURA_TOKEN_ENCRYPTION_KEYS as VERSION:KEY");
        return TokenCipher(core::parse_versioned_keys(*ring, "OURA_TOKEN_ENCRYPTION_KEYS"));
    }
    if (!single)
        throw core::config_error(
            "OURA_TOKEN_ENCRYPTION_KEY (or OURA_TOKEN_ENCRYPTION_KEYS for several versions) is required");
    auto key = core::decode_key32(*single);
    if (!key)
        throw core::config_error(
            "OURA_TOKEN_ENCRYPTION_KEY must be 32 bytes as 64 hex digits or base64 (e.g. `openssl rand -hex 32`)");
    auto version = static_cast<int>(env.get_int("OURA_TOKEN_ENCRYPTION_KEY_VERSION", 1, 1, 1000000));
    return TokenCipher(*key, version);
}

std::string TokenCipher::seal(long long user_id, std::string_view column, std::string_view plaintext) const {
    const auto& [version, key] = *keys_.rbegin();
    return core::aes256gcm_encrypt(key, plaintext, aad(user_id, column, version));
}

std::string TokenCipher::open(long long user_id, std::string_view column, int key_version, std::string_view blob) const {
    auto key = keys_.find(key_version);
    if (key == keys_.end()) {
        std::string held;
        for (const auto& [version, k] : keys_) held += (held.empty() ? "" : ", ") + std::to_string(version);
        throw token_error("tokens of user " + std::to_string(user_id) + " are sealed with key version " +
                          std::to_string(key_version) + ", which is not configured (key versions held: " + held +
                          "); add it to OURA_TOKEN_ENCRYPTION_KEYS or connect the account again");
    }
    try {
        return core::aes256gcm_decrypt(key->second, blob, aad(user_id, column, key_version));
    } catch (const std::exception&) {
        throw token_error("tokens of user " + std::to_string(user_id) + " do not decrypt with the configured key version " +
                          std::to_string(key_version));
    }
}

void save_tokens(pqxx::work& tx, const TokenCipher& cipher, long long user_id, const StoredTokens& t) {
    queue_for_token_row(tx, user_id);  // returns at once when this transaction holds it already (lock_tokens)
    auto access = cipher.seal(user_id, "access_token", t.access_token);
    auto refresh = cipher.seal(user_id, "refresh_token", t.refresh_token);
    pqxx::binarystring access_bytes(access.data(), access.size());
    pqxx::binarystring refresh_bytes(refresh.data(), refresh.size());
    auto expires = std::chrono::duration_cast<std::chrono::seconds>(t.expires_at.time_since_epoch()).count();
    exec(tx, upsert_tokens, user_id, access_bytes, refresh_bytes, cipher.key_version(), expires,
                   join_words(t.scopes));
}

std::optional<StoredTokens> load_tokens(pqxx::transaction_base& tx, const TokenCipher& cipher, long long user_id) {
    auto r = exec(tx, select_tokens, user_id);
    if (r.empty()) return std::nullopt;
    return decode(cipher, user_id, r[0]);
}

std::optional<StoredTokens> lock_tokens(pqxx::work& tx, const TokenCipher& cipher, long long user_id) {
    queue_for_token_row(tx, user_id);
    auto r = exec(tx, select_tokens_for_update, user_id);
    if (r.empty()) return std::nullopt;
    return decode(cipher, user_id, r[0]);
}

void mark_tokens_invalid(pqxx::work& tx, long long user_id, const std::string& error) {
    exec(tx, invalidate_tokens, user_id, error);
}

RekeyReport rekey_tokens(pqxx::connection& conn, const TokenCipher& cipher) {
    RekeyReport report;
    report.key_version = cipher.key_version();
    std::vector<long long> stale;
    {
        pqxx::nontransaction tx(conn);
        for (const auto& r : exec(tx, select_stale_token_users, report.key_version)) stale.push_back(r[0].as<long long>());
    }
    for (auto user_id : stale) {
        pqxx::work tx(conn);
        queue_for_token_row(tx, user_id);
        auto rows = exec(tx, lock_sealed_tokens, user_id);
        if (rows.empty()) continue;  // the user was deleted meanwhile
        const auto& r = rows[0];
        int version = r[2].as<int>();
        if (version == report.key_version) continue;  // a refresh re-sealed it while we listed
        try {
            auto access = cipher.seal(user_id, "access_token",
                                      cipher.open(user_id, "access_token", version, pqxx::binarystring(r[0]).str()));
            pqxx::binarystring access_bytes(access.data(), access.size());
            if (r[1].is_null()) {
                exec(tx, reseal_tokens, user_id, access_bytes, nullptr, report.key_version);
            } else {
                auto refresh = cipher.seal(user_id, "refresh_token",
                                           cipher.open(user_id, "refresh_token", version, pqxx::binarystring(r[1]).str()));
                pqxx::binarystring refresh_bytes(refresh.data(), refresh.size());
                exec(tx, reseal_tokens, user_id, access_bytes, refresh_bytes, report.key_version);
            }
            tx.commit();
            ++report.resealed;
        } catch (const token_error& e) {
            report.unreadable.emplace_back(user_id, e.what());
        }
    }
    pqxx::nontransaction tx(conn);
    report.current = exec(tx, count_tokens_on_version, report.key_version)[0][0].as<long long>() - report.resealed;
    return report;
}

long long count_dead_grants(pqxx::transaction_base& tx) {
    return exec(tx, count_invalid_grants)[0][0].as<long long>();
}

}  // namespace oura::store
