// oura-migrate: applies the schema migrations this build carries (or those in --dir).
// Runs as the Helm pre-install/pre-upgrade hook Job and in every test harness.

#include <iostream>

#include "oura/core/cli.hpp"
#include "oura/core/config.hpp"
#include "oura/core/log.hpp"
#include "oura/store/database.hpp"
#include "oura/store/migrations.hpp"

namespace {

oura::core::CommandLine command_line() {
    return oura::core::CommandLine(
        "oura-migrate [--status] [--dir DIR]",
        "Brings the database named by OURA_DATABASE_URL to the schema this build expects. Each pending\n"
        "migration runs in its own transaction; an advisory lock makes concurrent runs wait for each\n"
        "other; a migration edited after it was applied is refused. Running it again changes nothing.",
        {{"status", "", "list applied and pending migrations; change nothing"},
         {"dir", "DIR", "read migrations from DIR instead of those built in"}},
        "Environment:\n"
        "  OURA_DATABASE_URL   libpq URI of the database (or OURA_DATABASE_URL_FILE)\n"
        "  OURA_LOG_LEVEL      debug, info (default), warn or error\n"
        "Exit codes: 0 up to date, 1 a migration was refused or failed, 2 bad usage or database unreachable.");
}

}  // namespace

int main(int argc, char** argv) {
    using namespace oura;
    auto cli = command_line();
    return core::run_command("oura-migrate", [&] {
        auto env = core::Env::process();
        auto log = core::make_logger("oura-migrate", env);
        cli.parse(argc, argv);
        if (cli.help_requested()) {
            std::cout << cli.help();
            return core::exit_ok;
        }
        // A stray word (`oura-migrate up`) is a mistake to report, not a request to migrate.
        if (!cli.positional().empty()) throw core::usage_error("unexpected argument '" + cli.positional()[0] + "'");
        auto url = env.require("OURA_DATABASE_URL");
        auto files = cli.value("dir") ? store::load_migrations(*cli.value("dir")) : store::embedded_migrations();
        auto conn = store::connect(url);
        if (cli.has("status")) {
            bool clean = true;
            for (const auto& s : store::migration_status(*conn, files)) {
                std::cout << s.name << "  " << store::to_string(s.state)
                          << (s.applied_at.empty() ? "" : "  " + s.applied_at) << "\n";
                clean = clean && (s.state == store::MigrationState::applied || s.state == store::MigrationState::pending);
            }
            return clean ? core::exit_ok : core::exit_failure;
        }
        auto applied = store::migrate(*conn, files, [&](const std::string& name) {
            log.info("applying migration", {{"migration", name}});
        });
        log.info(applied.empty() ? "schema is up to date" : "migrations applied",
                 {{"applied", applied.size()}, {"version", files.empty() ? "" : files.back().name}});
        return core::exit_ok;
    });
}
