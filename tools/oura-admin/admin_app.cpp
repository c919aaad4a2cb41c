#include "admin_app.hpp"

#include <unistd.h>

#include <chrono>
#include <iomanip>
#include <iostream>

#include "oura/api/catalog.hpp"
#include "oura/api/client.hpp"
#include "oura/core/cli.hpp"
#include "oura/core/json.hpp"
#include "oura/store/database.hpp"
#include "oura/store/documents.hpp"
#include "oura/store/tokens.hpp"
#include "oura/store/users.hpp"
#include "oura/sync/settings.hpp"

namespace oura::admin {
namespace {

constexpr auto overview = R"(Usage: oura-admin COMMAND [options]

Commands:
  users add --access-token A --refresh-token R [--expires-in S] [--scopes "daily heartrate ..."]
                       register an Oura account from an OAuth token pair: asks Oura's personal_info
                       for the user id, stores the tokens encrypted; running it again updates the tokens
  users list           every user with token expiry and sync state
  reproject [--user ID] [--resource NAME] [--batch-size N]
                       rebuild curated tables from the raw documents (after a mapping change), in
                       batches; exit 1 when a document could not be projected (each is named)

Run `oura-admin COMMAND --help` for a command's options.
Environment: OURA_DATABASE_URL, OURA_TOKEN_ENCRYPTION_KEY, OURA_API_BASE_URL (each may be NAME_FILE).
Exit codes: 0 done, 1 failed, 2 bad usage or configuration.)";

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
    api::OuraClient client(sync::api_options_from_env(env, false), log);
    auto info = core::parse_json(client.fetch_personal_info(*access));
    auto oura_id = core::get_string(info, "id");
    if (!oura_id || oura_id->empty()) throw std::runtime_error("personal_info has no id");
    auto email = core::get_string(info, "email").value_or("");

    store::StoredTokens tokens;
    tokens.access_token = *access;
    tokens.refresh_token = *refresh;
    tokens.expires_at = std::chrono::system_clock::now() + std::chrono::seconds(expires_in);
    tokens.scopes = api::split_scopes(cli.value_or("scopes", ""));
    store::Pool pool(url, 1);
    auto user = pool.transact([&](store::Transaction& tx) {
        auto u = store::upsert_user(tx, std::string(*oura_id), std::string(email));
        store::save_tokens(tx, cipher, u.user_id, tokens);
        return u;
    });
    std::cout << "user " << user.user_id << " (oura id " << user.oura_user_id << (email.empty() ? "" : ", ")
              << email << ") registered; tokens stored encrypted\n";
    return core::exit_ok;
}

int users_list(const core::Env& env) {
    store::Pool pool(env.require("OURA_DATABASE_URL"), 1);
    auto users = pool.transact([](store::Transaction& tx) { return store::user_overview(tx); });
    std::cout << std::left << std::setw(8) << "USER" << std::setw(38) << "OURA ID" << std::setw(28) << "EMAIL"
              << std::setw(9) << "STATUS" << std::setw(19) << "TOKEN EXPIRES" << std::setw(7) << "GRANT"
              << std::setw(19) << "LAST SYNC" << "FAILING\n";
    for (const auto& u : users)
        std::cout << std::setw(8) << u.user.user_id << std::setw(38) << u.user.oura_user_id << std::setw(28)
                  << u.user.email << std::setw(9) << u.user.status << std::setw(19) << u.token_expires_at << std::setw(7)
                  << u.grant << std::setw(19) << u.last_success_at << u.failing_resources << "\n";
    if (users.empty()) std::cout << "(no users yet: oura-admin users add --access-token … --refresh-token …)\n";
    return core::exit_ok;
}

// "1234/5678 documents (22%), 950/s" on one terminal line, redrawn in place.
void show_progress(long long done, long long total, std::chrono::steady_clock::time_point started) {
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cerr << "\rreproject: " << done << "/" << total << " documents";
    if (total > 0) std::cerr << " (" << done * 100 / total << "%)";
    if (seconds > 0) std::cerr << ", " << static_cast<long long>(static_cast<double>(done) / seconds) << "/s";
    std::cerr << "   " << std::flush;
}

int reproject(const std::vector<std::string>& args, const core::Env& env) {
    core::CommandLine cli("oura-admin reproject [--user ID] [--resource NAME] [--batch-size N]",
                          "Rebuilds curated tables from oura.oura_documents, in batches of documents, each batch its own "
                          "transaction. A document whose fields do not cast is reported and keeps only its raw row; "
                          "exit code 1 when any did.",
                          {{"user", "ID", "only this user (internal id)"},
                           {"resource", "NAME", "only this resource"},
                           {"batch-size", "N", "documents per transaction (default 1000)"}});
    cli.parse(args);
    if (cli.help_requested()) {
        std::cout << cli.help();
        return core::exit_ok;
    }
    store::ReprojectOptions options;
    options.resource = cli.value_or("resource", "");
    if (!options.resource.empty() && !api::find_resource(options.resource))
        throw core::usage_error("--resource: unknown resource '" + options.resource + "'");
    options.user_id = cli.int_or("user", 0, 1, 1LL << 62);
    options.batch_size = static_cast<std::size_t>(cli.int_or("batch-size", 1000, 1, 1000000));
    const auto started = std::chrono::steady_clock::now();
    // Progress only for a person watching; logs and pipes get the summary alone.
    const bool terminal = isatty(STDERR_FILENO) == 1;
    if (terminal) options.progress = [&](long long done, long long total) { show_progress(done, total, started); };

    store::Pool pool(env.require("OURA_DATABASE_URL"), 1);
    auto report = store::reproject(pool, options);
    if (terminal) std::cerr << "\n";

    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cout << "reprojected " << report.documents << " document(s) of " << report.resources.size() << " resource(s) in "
              << std::fixed << std::setprecision(1) << seconds << " s; " << report.failed << " failed\n";
    for (const auto& [resource, count] : report.failed_by_resource)
        std::cout << "  " << resource << ": " << count << " document(s) failed\n";
    for (const auto& f : report.failures) std::cout << "  " << f.resource << " " << f.document_id << ": " << f.problem << "\n";
    if (report.failed > static_cast<long long>(report.failures.size()))
        std::cout << "  (" << report.failed - static_cast<long long>(report.failures.size()) << " more not listed)\n";
    for (const auto& e : report.cleanup_errors) std::cout << "  " << e << "\n";
    return report.failed > 0 || !report.cleanup_errors.empty() ? core::exit_failure : core::exit_ok;
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
