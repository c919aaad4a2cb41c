// backfill-worker: `run` is the daemon; the other subcommands are the operator's (kubectl exec).
// Wiring only; behaviour lives in backfill_worker_app (daemon) and commands (operator).
#include <iostream>

#include "backfill_worker_app.hpp"
#include "commands.hpp"
#include "oura/core/cli.hpp"

int main(int argc, char** argv) {
    using namespace oura;
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && args[0] == "run") {
        core::ShutdownSignals signals;  // before any thread, so only run() receives SIGTERM
        return core::run_command("backfill-worker", [&] {
            auto env = core::Env::process();
            auto log = core::make_logger("backfill-worker", env);
            if (backfill_worker::wants_help({args.begin() + 1, args.end()})) {
                std::cout << backfill_worker::run_help();
                return core::exit_ok;
            }
            backfill_worker::App app(backfill_worker::load_settings(env), log);
            return app.run(signals);
        });
    }
    return core::run_command("backfill-worker", [&] {
        auto env = core::Env::process();
        auto log = core::make_logger("backfill-worker", env);
        return backfill_worker::run_command(args, env, log);
    });
}
