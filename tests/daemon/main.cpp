// oura-test-daemon: wiring only, as every daemon's main.cpp; behaviour lives in the app.
#include "oura/core/cli.hpp"
#include "test_daemon_app.hpp"

int main() {
    using namespace oura;
    core::ShutdownSignals signals;  // first, so every thread started below leaves SIGTERM to run()
    auto log = core::make_logger("oura-test-daemon");
    return core::run_command("oura-test-daemon", [&] {
        test_daemon::App app(test_daemon::load_settings(core::Env::process()), log);
        return app.run(signals);
    });
}
