// ingest-webhook: wiring only; behaviour lives in ingest_webhook_app.
#include "ingest_webhook_app.hpp"
#include "oura/core/cli.hpp"

int main(int argc, char** argv) {
    using namespace oura;
    core::ShutdownSignals signals;  // first, so every thread started below leaves SIGTERM to run()
    return core::run_command("ingest-webhook", [&] {
        auto env = core::Env::process();
        auto log = core::make_logger("ingest-webhook", env);
        auto settings = ingest_webhook::load_settings(env, argc, argv);
        if (!settings) return core::exit_ok;  // --help
        ingest_webhook::App app(std::move(*settings), log);
        return app.run(signals);
    });
}
