#include "oura/store/users.hpp"

namespace oura::store {
namespace {

constexpr auto upsert_user_sql = R"sql(
    INSERT INTO oura.users (oura_user_id, email) VALUES ($1, NULLIF($2, ''))
    ON CONFLICT (oura_user_id) DO UPDATE
       SET email = COALESCE(EXCLUDED.email, users.email),
           updated_at = CASE WHEN users.email IS DISTINCT FROM COALESCE(EXCLUDED.email, users.email)
                             THEN now() ELSE users.updated_at END
    RETURNING user_id, oura_user_id, COALESCE(email, ''), status
)sql";

constexpr auto select_user_columns = "SELECT user_id, COALESCE(oura_user_id, ''), COALESCE(email, ''), status FROM oura.users ";

User to_user(const pqxx::row& r) {
    return User{r[0].as<long long>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<std::string>()};
}

}  // namespace

User upsert_user(pqxx::work& tx, const std::string& oura_user_id, const std::string& email) {
    return to_user(tx.exec_params1(upsert_user_sql, oura_user_id, email));
}

std::optional<User> find_user(pqxx::connection& conn, long long user_id) {
    pqxx::nontransaction tx(conn);
    auto r = tx.exec_params(std::string(select_user_columns) + "WHERE user_id = $1", user_id);
    if (r.empty()) return std::nullopt;
    return to_user(r[0]);
}

std::optional<User> find_user_by_oura_id(pqxx::connection& conn, const std::string& oura_user_id) {
    pqxx::nontransaction tx(conn);
    auto r = tx.exec_params(std::string(select_user_columns) + "WHERE oura_user_id = $1", oura_user_id);
    if (r.empty()) return std::nullopt;
    return to_user(r[0]);
}

std::vector<User> list_users(pqxx::connection& conn, bool active_only) {
    pqxx::nontransaction tx(conn);
    std::vector<User> out;
    for (const auto& r : tx.exec(std::string(select_user_columns) +
                                 (active_only ? "WHERE status = 'active' " : "") + "ORDER BY user_id"))
        out.push_back(to_user(r));
    return out;
}

}  // namespace oura::store
