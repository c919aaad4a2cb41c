#include "admin_app.hpp"
#include "status_link_command.hpp"
#include "webhooks_commands.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <optional>

#include "oura/api/catalog.hpp"
#include "oura/api/client.hpp"
#include "oura/api/settings.hpp"
#include "oura/core/cli.hpp"
#include "oura/core/json.hpp"
#include "oura/store/backfills.hpp"
#include "oura/store/database.hpp"
#include "oura/store/documents.hpp"
#include "oura/store/tokens.hpp"
#include "oura/store/users.hpp"
#include "users_admin.hpp"

namespace oura::admin {
namespace {

const std::string overview = std::string(R"(Usage: oura-admin COMMAND [options]

Commands:
  users add --tokens-file PATH|- [--expires-in S] [--scopes "daily heartrate ..."]
                       register an Oura account from an OAuth token pair read from a file or stdin
                       (the token endpoint's JSON answer, or two lines: access token, refresh token):
                       asks Oura's personal_info for the user id, stores the tokens encrypted;
                       running it again updates the tokens (after a re-consent, too)
  users list           every user with token expiry, grant state and sync state
  users disable ID     stop syncing a user (status paused), data kept
  users disconnect ID  forget a user's tokens (status revoked), data kept
  users erase ID --yes delete every row of a user in one transaction; prints rows per table
  tokens rekey         re-seal every stored token with the newest key of OURA_TOKEN_ENCRYPTION_KEYS
)") + webhooks_overview + status_link_overview + R"(  reproject [--user ID] [--resource NAME] [--batch-size N]
                       rebuild curated tables from the raw documents (after a mapping change), in
                       batches; exit 1 when a document could not be projected (each is named)

Run `oura-admin COMMAND --help` for a command's options.
Environment: OURA_DATABASE_URL, OURA_TOKEN_ENCRYPTION_KEYS or OURA_TOKEN_ENCRYPTION_KEY, OURA_API_BASE_URL,
OURA_INITIAL_BACKFILL_DAYS (history a new user's `users add` queues, default 730; 0 = none)
(each may be NAME_FILE).
Exit codes: 0 done, 1 failed, 2 bad usage or configuration.)";

// What `--tokens-file` holds. Never echoed: messages name the problem, not the content.
struct TokenPair {
    std::string access, refresh;
    std::optional<long long> expires_in;
    std::vector<std::string> scopes;
};

std::string trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    auto e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

// Oura's token endpoint answer ({"access_token","refresh_token","expires_in","scope",…}) as it
// comes, or two lines: the access token, then the refresh token.
TokenPair parse_token_file(std::string_view text, const std::string& source) {
    auto body = trim(text);
    if (body.empty()) throw core::usage_error("--tokens-file: " + source + " is empty");
    TokenPair pair;
    if (body.front() == '{') {
        api::TokenSet t;
        try {
            t = api::parse_token_response(body);
        } catch (const api::api_error& e) {
            // The parser's messages never contain a token ("has no refresh_token", "not a JSON object").
            throw core::usage_error("--tokens-file: " + source + ": " + e.detail());
        }
        pair.access = t.access_token;
        pair.refresh = t.refresh_token;
        if (body.find("\"expires_in\"") != std::string::npos) pair.expires_in = t.expires_in.count();
        pair.scopes = t.scopes;
        return pair;
    }
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos <= body.size()) {
        auto end = std::min(body.find('\n', pos), body.size());
        auto line = trim(std::string_view(body).substr(pos, end - pos));
        if (!line.empty()) lines.push_back(line);
        pos = end + 1;
    }
    if (lines.size() != 2)
        throw core::usage_error("--tokens-file: " + source + " holds " + std::to_string(lines.size()) +
                                " non-empty line(s); expected the token endpoint's JSON answer or two lines "
                                "(access token, refresh token)");
    for (const auto& l : lines)
        if (l.find_first_of(" \t") != std::string::npos)
            throw core::usage_error("--tokens-file: " + source +
                                    ": a token line contains a space; expected one token per line");
    pair.access = lines[0];
    pair.refresh = lines[1];
    return pair;
}

TokenPair read_token_file(const std::string& path) {
    std::string text;
    std::string source = path == "-" ? "standard input" : "'" + path + "'";
    if (path == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw core::usage_error("--tokens-file: cannot read '" + path + "'");
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    // A token response is < 1 KiB; anything far bigger is the wrong file.
    if (text.size() > 64 * 1024) throw core::usage_error("--tokens-file: " + source + " is larger than 64 KiB");
    return parse_token_file(text, source);
}

int users_add(const std::vector<std::string>& args, const core::Env& env, const core::Logger& log) {
    core::CommandLine cli("oura-admin users add --tokens-file PATH|- [--expires-in S] [--scopes LIST]",
                          "Registers an Oura account from an OAuth token pair (or updates its tokens). The pair is "
                          "read from a file or standard input so it never shows in `ps` or the shell history.",
                          {{"tokens-file", "PATH",
                            "file with the token endpoint's JSON answer, or two lines (access token, refresh token); "
                            "- reads standard input"},
                           {"access-token", "A", "the OAuth access token (visible to other users: prefer --tokens-file)"},
                           {"refresh-token", "R", "the OAuth refresh token (visible to other users: prefer --tokens-file)"},
                           {"expires-in", "S", "seconds until the access token expires (default: the file's expires_in, else 86400)"},
                           {"scopes", "LIST", "space-separated scopes the grant holds (default: the file's scope, else unknown)"}});
    cli.parse(args);
    if (cli.help_requested()) {
        std::cout << cli.help();
        return core::exit_ok;
    }
    if (!cli.positional().empty()) throw core::usage_error("unexpected argument '" + cli.positional()[0] + "'");
    TokenPair pair;
    auto file = cli.value("tokens-file");
    if (file) {
        if (cli.has("access-token") || cli.has("refresh-token"))
            throw core::usage_error("--tokens-file and --access-token/--refresh-token exclude each other");
        pair = read_token_file(*file);
    } else {
        auto access = cli.value("access-token");
        auto refresh = cli.value("refresh-token");
        if (!access && !refresh) throw core::usage_error("--tokens-file is required (PATH, or - for standard input)");
        if (!access || access->empty()) throw core::usage_error("--access-token is required with --refresh-token");
        if (!refresh || refresh->empty()) throw core::usage_error("--refresh-token is required with --access-token");
        std::cerr << "oura-admin: warning: tokens given as flags are visible in `ps` and the shell history; "
                     "use --tokens-file PATH or --tokens-file - (standard input)\n";
        pair.access = *access;
        pair.refresh = *refresh;
    }
    constexpr long long max_expires_in = 10LL * 365 * 86400;
    auto expires_in = cli.int_or("expires-in", std::min(pair.expires_in.value_or(86400), max_expires_in), 1, max_expires_in);
    auto scopes = cli.has("scopes") ? api::split_scopes(cli.value_or("scopes", "")) : pair.scopes;

    auto cipher = store::TokenCipher::from_env(env);
    auto url = env.require("OURA_DATABASE_URL");
    api::OuraClient client(api::options_from_env(env, false), log);
    auto info = core::parse_json(client.fetch_personal_info(pair.access));
    auto oura_id = core::get_string(info, "id");
    if (!oura_id || oura_id->empty()) throw std::runtime_error("personal_info has no id");
    auto email = core::get_string(info, "email").value_or("");

    store::StoredTokens tokens;
    tokens.access_token = pair.access;
    tokens.refresh_token = pair.refresh;
    tokens.expires_at = std::chrono::system_clock::now() + std::chrono::seconds(expires_in);
    tokens.scopes = scopes;
    auto initial_days = static_cast<int>(
        env.get_int("OURA_INITIAL_BACKFILL_DAYS", store::default_initial_backfill_days, 0, 3650));
    store::Pool pool(url, 1);
    store::UserConnected connected;
    auto user = pool.transact([&](store::Transaction& tx) {
        auto u = store::upsert_user(tx, std::string(*oura_id), std::string(email));
        store::save_tokens(tx, cipher, u.user_id, tokens);
        // New tokens mend a dead grant: the user's parked chunks resume; a new user's history is queued.
        connected = store::user_connected(tx, u.user_id, initial_days);
        return u;
    });
    std::cout << "user " << user.user_id << " (oura id " << user.oura_user_id << (email.empty() ? "" : ", ")
              << email << ") registered; tokens stored encrypted with key version " << cipher.key_version() << "\n";
    if (connected.initial_backfill)
        std::cout << "initial backfill " << *connected.initial_backfill << " queued: the last " << initial_days
                  << " days (backfill-worker status " << *connected.initial_backfill << ")\n";
    if (connected.resumed_jobs > 0)
        std::cout << connected.resumed_jobs << " job(s) that waited for this user to reconnect resumed\n";
    return core::exit_ok;
}

int tokens_rekey(const std::vector<std::string>& args, const core::Env& env) {
    core::CommandLine cli("oura-admin tokens rekey",
                          "Re-seals every stored token pair with the newest key of OURA_TOKEN_ENCRYPTION_KEYS, so "
                          "older keys can be removed. Users keep their grants; nobody has to connect again.",
                          {});
    cli.parse(args);
    if (cli.help_requested()) {
        std::cout << cli.help();
        return core::exit_ok;
    }
    if (!cli.positional().empty()) throw core::usage_error("unexpected argument '" + cli.positional()[0] + "'");
    auto cipher = store::TokenCipher::from_env(env);
    auto conn = store::connect(env.require("OURA_DATABASE_URL"));
    auto report = store::rekey_tokens(*conn, cipher);
    std::cout << "re-sealed " << report.resealed << " token pair(s) with key version " << report.key_version << "; "
              << report.current << " already used it";
    if (!report.unreadable.empty()) std::cout << "; " << report.unreadable.size() << " unreadable";
    std::cout << "\n";
    for (const auto& [user_id, why] : report.unreadable) std::cerr << "oura-admin: user " << user_id << ": " << why << "\n";
    return report.unreadable.empty() ? core::exit_ok : core::exit_failure;
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
    if (users.empty()) std::cout << "(no users yet: oura-admin users add --tokens-file PATH)\n";
    for (const auto& u : users)
        if (u.grant == "dead")
            std::cout << "user " << u.user.user_id
                      << ": Oura refused the grant; connect the account again (oura-admin users add --tokens-file PATH)\n";
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
        if (args[0] == "users" && !rest.empty() && (rest[0] == "disable" || rest[0] == "disconnect" || rest[0] == "erase"))
            return users_change(rest[0], {rest.begin() + 1, rest.end()}, env);
        if (args[0] == "tokens" && !rest.empty() && rest[0] == "rekey") return tokens_rekey({rest.begin() + 1, rest.end()}, env);
        if (args[0] == "reproject") return reproject(rest, env);
        if (args[0] == "webhooks") return webhooks_command(rest, env, log);
        if (args[0] == "status-link") return status_link_command(rest, env);
        throw core::usage_error("unknown command '" + args[0] + (rest.empty() ? "" : " " + rest[0]) + "' (see --help)");
    });
}

}  // namespace oura::admin
