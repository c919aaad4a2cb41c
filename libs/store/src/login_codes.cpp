#include "oura/store/login_codes.hpp"

#include "oura/core/crypto.hpp"
#include "oura/store/database.hpp"
#include "statement.hpp"

namespace oura::store {
namespace {

constexpr Statement prune_login_codes{"prune_login_codes", R"sql(
    DELETE FROM oura_secret.status_login_codes WHERE expires_at < now() - interval '1 day'
)sql"};

constexpr Statement insert_login_code{"insert_login_code", R"sql(
    INSERT INTO oura_secret.status_login_codes (code_sha256, expires_at)
    VALUES ($1, now() + make_interval(secs => $2))
)sql"};

constexpr Statement spend_login_code{"spend_login_code", R"sql(
    UPDATE oura_secret.status_login_codes SET used_at = now()
     WHERE code_sha256 = $1 AND used_at IS NULL AND expires_at > now()
    RETURNING 1
)sql"};

}  // namespace

std::string create_login_code(Pool& pool, std::chrono::seconds ttl) {
    auto code = core::base64url(core::random_bytes(32));
    pool.transact([&](Transaction& tx) {
        exec(static_cast<pqxx::work&>(tx), prune_login_codes);
        exec(static_cast<pqxx::work&>(tx), insert_login_code, core::sha256_hex(code), static_cast<double>(ttl.count()));
        tx.commit();
    });
    return code;
}

bool redeem_login_code(Pool& pool, const std::string& code) {
    if (code.empty() || code.size() > 128) return false;
    return pool.transact([&](Transaction& tx) {
        bool spent = !exec(static_cast<pqxx::work&>(tx), spend_login_code, core::sha256_hex(code)).empty();
        tx.commit();
        return spent;
    });
}

}  // namespace oura::store
