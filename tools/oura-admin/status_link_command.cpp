#include "status_link_command.hpp"

#include <iostream>

#include "oura/core/cli.hpp"
#include "oura/store/database.hpp"
#include "oura/store/login_codes.hpp"

namespace oura::admin {

int status_link_command(const std::vector<std::string>& args, const core::Env& env) {
    core::CommandLine cli("oura-admin status-link [--ttl DURATION] [--base-url URL]",
                          "Prints a single-use code that logs a browser into query-api's /status page once, "
                          "within DURATION. With --base-url (query-api's address, e.g. https://oura.example.org) "
                          "it prints the whole link: BASE/status/login?code=CODE. Only the code's SHA-256 is stored.",
                          {{"ttl", "DURATION", "how long the code stays valid: 30s, 10m, 1h (default 10m, at most 1h)"},
                           {"base-url", "URL", "query-api's public address; print a link instead of the bare code"}},
                          "Environment: OURA_DATABASE_URL.\nExit codes: 0 printed, 1 the database failed, 2 bad usage.\n");
    cli.parse(args);
    if (cli.help_requested()) {
        std::cout << cli.help();
        return core::exit_ok;
    }
    if (!cli.positional().empty()) throw core::usage_error("unexpected argument '" + cli.positional()[0] + "'");
    auto ttl = core::parse_duration(cli.value_or("ttl", "10m"));
    if (!ttl || *ttl < std::chrono::seconds(1) || *ttl > std::chrono::hours(1))
        throw core::usage_error("--ttl: give a duration from 1s to 1h, like 10m");
    std::string base = cli.value_or("base-url", "");
    while (!base.empty() && base.back() == '/') base.pop_back();
    if (!base.empty() && !core::is_http_url(base)) throw core::usage_error("--base-url: give an http:// or https:// URL");
    store::Pool pool(env.require("OURA_DATABASE_URL"), 1);
    auto code = store::create_login_code(pool, std::chrono::duration_cast<std::chrono::seconds>(*ttl));
    std::cout << (base.empty() ? code : base + "/status/login?code=" + code) << "\n";
    return core::exit_ok;
}

}  // namespace oura::admin
