#include "oura/store/users.hpp"

#include "statement.hpp"

namespace oura::store {
namespace {

constexpr Statement upsert_user_sql{"upsert_user", R"sql(
    INSERT INTO oura.users (oura_user_id, email) VALUES ($1, NULLIF($2, ''))
    ON CONFLICT (oura_user_id) DO UPDATE
       SET email = COALESCE(EXCLUDED.email, users.email),
           updated_at = CASE WHEN users.email IS DISTINCT FROM COALESCE(EXCLUDED.email, users.email)
                             THEN now() ELSE users.updated_at END
    RETURNING user_id, oura_user_id, COALESCE(email, ''), status
)sql"};

constexpr Statement select_user_by_id{"select_user_by_id", R"sql(
    SELECT user_id, COALESCE(oura_user_id, ''), COALESCE(email, ''), status FROM oura.users WHERE user_id = $1
)sql"};

constexpr Statement select_user_by_oura_id{"select_user_by_oura_id", R"sql(
    SELECT user_id, COALESCE(oura_user_id, ''), COALESCE(email, ''), status FROM oura.users WHERE oura_user_id = $1
)sql"};

constexpr Statement select_users{"select_users", R"sql(
    SELECT user_id, COALESCE(oura_user_id, ''), COALESCE(email, ''), status FROM oura.users
     WHERE NOT $1 OR status = 'active' ORDER BY user_id
)sql"};

constexpr Statement select_user_overview{"select_user_overview", R"sql(
    SELECT u.user_id, COALESCE(u.oura_user_id, ''), COALESCE(u.email, ''), u.status,
           COALESCE(to_char(t.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI"Z"'), '-'),
           CASE WHEN t.invalid_at IS NOT NULL THEN 'dead' WHEN t.user_id IS NULL THEN 'none' ELSE 'ok' END,
           COALESCE(to_char(max(s.last_success_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI"Z"'), 'never'),
           count(*) FILTER (WHERE s.status NOT IN ('ok', 'never'))
      FROM oura.users u
      LEFT JOIN oura_secret.oauth_tokens t ON t.user_id = u.user_id
      LEFT JOIN oura.sync_state s ON s.user_id = u.user_id
     GROUP BY u.user_id, t.user_id, t.expires_at, t.invalid_at
     ORDER BY u.user_id
)sql"};

User to_user(const pqxx::row& r) {
    return User{r[0].as<long long>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<std::string>()};
}

}  // namespace

User upsert_user(pqxx::work& tx, const std::string& oura_user_id, const std::string& email) {
    return to_user(exec1(tx, upsert_user_sql, oura_user_id, email));
}

std::optional<User> find_user(pqxx::connection& conn, long long user_id) {
    pqxx::nontransaction tx(conn);
    auto r = exec(tx, select_user_by_id, user_id);
    if (r.empty()) return std::nullopt;
    return to_user(r[0]);
}

std::optional<User> find_user_by_oura_id(pqxx::connection& conn, const std::string& oura_user_id) {
    pqxx::nontransaction tx(conn);
    auto r = exec(tx, select_user_by_oura_id, oura_user_id);
    if (r.empty()) return std::nullopt;
    return to_user(r[0]);
}

std::vector<User> list_users(pqxx::connection& conn, bool active_only) {
    pqxx::nontransaction tx(conn);
    std::vector<User> out;
    for (const auto& r : exec(tx, select_users, active_only)) out.push_back(to_user(r));
    return out;
}

std::vector<UserOverview> user_overview(pqxx::transaction_base& tx) {
    std::vector<UserOverview> out;
    for (const auto& r : exec(tx, select_user_overview)) {
        UserOverview o;
        o.user = to_user(r);
        o.token_expires_at = r[4].as<std::string>();
        o.grant = r[5].as<std::string>();
        o.last_success_at = r[6].as<std::string>();
        o.failing_resources = r[7].as<long long>();
        out.push_back(std::move(o));
    }
    return out;
}

}  // namespace oura::store
