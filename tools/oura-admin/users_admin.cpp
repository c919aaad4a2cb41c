#include "users_admin.hpp"

#include <iostream>

#include "oura/core/cli.hpp"
#include "oura/core/text.hpp"
#include "oura/store/database.hpp"
#include "oura/store/read_api.hpp"

namespace oura::admin {

int users_change(const std::string& action, const std::vector<std::string>& args, const core::Env& env) {
    std::string usage = "oura-admin users " + action + " USER_ID" + (action == "erase" ? " --yes" : "");
    std::string what = action == "disable"      ? "Stop syncing the user (status paused); every row is kept."
                       : action == "disconnect" ? "Forget the user's OAuth tokens (status revoked); the data is kept. "
                                                  "The grant is not revoked at Oura: the person can withdraw it in the Oura app."
                                                : "Delete every row of the user (health data, raw documents, pipeline state, tokens, "
                                                  "webhook deliveries, the user) in one transaction, and print the rows per table.";
    std::vector<core::Flag> flags;
    if (action == "erase") flags.push_back({"yes", "", "confirm: the rows cannot be brought back"});
    core::CommandLine cli(usage, what, flags, "Environment: OURA_DATABASE_URL (may be OURA_DATABASE_URL_FILE).");
    cli.parse(args);
    if (cli.help_requested()) {
        std::cout << cli.help();
        return core::exit_ok;
    }
    if (cli.positional().size() != 1) throw core::usage_error("expected one USER_ID (see --help)");
    auto id = core::parse_int(cli.positional()[0], 1, std::numeric_limits<long long>::max());
    if (!id) throw core::usage_error("USER_ID must be a positive integer, not '" + cli.positional()[0] + "'");
    if (action == "erase" && !cli.has("yes")) throw core::usage_error("erase needs --yes: the rows cannot be brought back");

    store::Pool pool(env.require("OURA_DATABASE_URL"), 1);
    if (action == "erase") {
        auto counts = pool.transact([&](store::Transaction& tx) { return store::erase_user(tx, *id); });
        if (counts.empty()) {
            std::cerr << "oura-admin: no user " << *id << "\n";
            return core::exit_failure;
        }
        long long total = 0;
        for (const auto& [table, n] : counts) {
            std::cout << table << "\t" << n << "\n";
            total += n;
        }
        std::cout << "erased user " << *id << ": " << total << " row(s)\n";
        return core::exit_ok;
    }
    bool ok = pool.transact([&](store::Transaction& tx) {
        return action == "disable" ? store::disable_user(tx, *id) : store::disconnect_user(tx, *id);
    });
    if (!ok) {
        std::cerr << "oura-admin: no user " << *id << "\n";
        return core::exit_failure;
    }
    std::cout << "user " << *id << (action == "disable" ? " disabled (paused)\n" : " disconnected (tokens forgotten, revoked)\n");
    return core::exit_ok;
}

}  // namespace oura::admin
