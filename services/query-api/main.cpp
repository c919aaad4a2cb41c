// query-api: wiring only; behaviour lives in query_api_app.
#include "oura/core/cli.hpp"
#include "query_api_app.hpp"

int main(int argc, char** argv) {
    using namespace oura;
    core::ShutdownSignals signals;  // first, so every thread started below leaves SIGTERM to run()
    return core::run_command("query-api", [&] {
        auto env = core::Env::process();
        auto log = core::make_logger("query-api", env);
        auto settings = query_api::load_settings(env, argc, argv);
        if (!settings) return core::exit_ok;  // --help
        query_api::App app(std::move(*settings), log);
        return app.run(signals);
    });
}
