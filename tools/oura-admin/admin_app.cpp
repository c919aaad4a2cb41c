#include "admin_app.hpp"

#include <iomanip>
#include <iostream>

#include "oura/api/catalog.hpp"
#include "oura/api/client.hpp"
#include "oura/api/settings.hpp"
#include "oura/core/cli.hpp"
#include "oura/core/json.hpp"
#include "oura/store/database.hpp"
#include "oura/store/documents.hpp"
#include "oura/store/tokens.hpp"
#include "oura/store/users.hpp"

namespace oura::admin {
namespace {

constexpr auto overview = R"(Usage: oura-admin COMMAND [options]

Commands:
  users add --access-token A --refresh-token R [--expires-in S] [--scopes "daily heartrate ..."]
                       register an Oura account from an OAuth token pair: asks Oura's personal_info
                       for the user id, stores the tokens encrypted; running it again updates the tokens
  users list           every user with token expiry and sync state
  reproject [--user ID] [--resource NAME]
                       rebuild curated tables from the raw documents (after a mapping change)

Run `oura-admin COMMAND --help` for a command's options.
Environment: OURA_DATABASE_URL, OURA_TOKEN_ENCRYPTION_KEY, OURA_API_BASE_URL (each may be NAME_FILE).
Exit codes: 0 done, 1 failed, 2 bad usage or configuration.)";

constexpr auto list_users_sql = R"sql(
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
)sql";

int users_add(const std::vector<std::string>& args, const core::Env& env, const core::Logger& log) {
    core::CommandLine cli("oura-admin users add --access-token A --refresh-token R [--expires-in S] [--scopes LIST]",
                          "Registers an Oura account from an OAuth token pair (or updates its tokens).",
                          {{"access-token", "A", "the OAuth access token"},
                           {"refresh-token", "R", "the OAuth refresh token (single use, rotated on refresh)"},
                           {"expires-in", "S", "seconds until the access token expires (default 86400)"},
                           {"scopes", "LIST", "space-separated scopes the grant holds (default: unknown)"}});
    cli.parse(args);
    if (cli.help_requested()) {
        std::cout << cli.help();
        return core::exit_ok;
    }
    auto access = cli.value("access-token");
    auto refresh = cli.value("refresh-token");
    if (!access || access->empty()) throw core::usage_error("--access-token is required");
    if (!refresh || refresh->empty()) throw core::usage_error("--refresh-token is required");
    auto expires_in = cli.int_or("expires-in", 86400, 1, 10LL * 365 * 86400);

    auto cipher = store::TokenCipher::from_env(env);
    auto url = env.require("OURA_DATABASE_URL");
    api::OuraClient client(api::options_from_env(env, false), log);
    auto info = core::parse_json(client.fetch_personal_info(*access));
    auto oura_id = core::get_string(info, "id");
    if (!oura_id || oura_id->empty()) throw std::runtime_error("personal_info has no id");
    auto email = core::get_string(info, "email").value_or("");

    auto conn = store::connect(url);
    pqxx::work tx(*conn);
    auto user = store::upsert_user(tx, std::string(*oura_id), std::string(email));
    store::StoredTokens tokens;
    tokens.access_token = *access;
    tokens.refresh_token = *refresh;
    tokens.expires_at = std::chrono::system_clock::now() + std::chrono::seconds(expires_in);
    tokens.scopes = api::split_scopes(cli.value_or("scopes", ""));
    store::save_tokens(tx, cipher, user.user_id, tokens);
    tx.commit();
    std::cout << "user " << user.user_id << " (oura id " << user.oura_user_id << (email.empty() ? "" : ", ")
              << email << ") registered; tokens stored encrypted\n";
    return core::exit_ok;
}

int users_list(const core::Env& env) {
    auto conn = store::connect(env.require("OURA_DATABASE_URL"));
    pqxx::nontransaction tx(*conn);
    auto rows = tx.exec(list_users_sql);
    std::cout << std::left << std::setw(8) << "USER" << std::setw(38) << "OURA ID" << std::setw(28) << "EMAIL"
              << std::setw(9) << "STATUS" << std::setw(19) << "TOKEN EXPIRES" << std::setw(7) << "GRANT"
              << std::setw(19) << "LAST SYNC" << "FAILING\n";
    for (const auto& r : rows)
        std::cout << std::setw(8) << r[0].as<std::string>() << std::setw(38) << r[1].as<std::string>() << std::setw(28)
                  << r[2].as<std::string>() << std::setw(9) << r[3].as<std::string>() << std::setw(19)
                  << r[4].as<std::string>() << std::setw(7) << r[5].as<std::string>() << std::setw(19)
                  << r[6].as<std::string>() << r[7].as<std::string>() << "\n";
    if (rows.empty()) std::cout << "(no users yet: oura-admin users add --access-token … --refresh-token …)\n";
    return core::exit_ok;
}

int reproject(const std::vector<std::string>& args, const core::Env& env) {
    core::CommandLine cli("oura-admin reproject [--user ID] [--resource NAME]",
                          "Rebuilds curated tables from oura.oura_documents in one transaction.",
                          {{"user", "ID", "only this user (internal id)"}, {"resource", "NAME", "only this resource"}});
    cli.parse(args);
    if (cli.help_requested()) {
        std::cout << cli.help();
        return core::exit_ok;
    }
    auto resource = cli.value_or("resource", "");
    if (!resource.empty() && !api::find_resource(resource))
        throw core::usage_error("--resource: unknown resource '" + resource + "'");
    auto conn = store::connect(env.require("OURA_DATABASE_URL"));
    pqxx::work tx(*conn);
    auto done = store::reproject(tx, cli.int_or("user", 0, 1, 1LL << 62), resource);
    tx.commit();
    std::cout << "reprojected " << done.size() << " resource(s)\n";
    return core::exit_ok;
}

}  // namespace

int run(const std::vector<std::string>& args, const core::Env& env, const core::Logger& log) {
    return core::run_command("oura-admin", [&] {
        if (args.empty() || args[0] == "--help" || args[0] == "help") {
            std::cout << overview << "\n";
            return args.empty() ? core::exit_usage : core::exit_ok;
        }
        std::vector<std::string> rest(args.begin() + 1, args.end());
        if (args[0] == "users" && !rest.empty() && rest[0] == "add")
            return users_add({rest.begin() + 1, rest.end()}, env, log);
        if (args[0] == "users" && !rest.empty() && rest[0] == "list") return users_list(env);
        if (args[0] == "reproject") return reproject(rest, env);
        throw core::usage_error("unknown command '" + args[0] + (rest.empty() ? "" : " " + rest[0]) + "' (see --help)");
    });
}

}  // namespace oura::admin
