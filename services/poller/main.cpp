// poller: one reconciliation pass, then exit. Wiring only; behaviour lives in poller_app.
#include "oura/core/cli.hpp"
#include "poller_app.hpp"

int main(int argc, char** argv) {
    using namespace oura;
    auto log = core::make_logger("poller");
    return core::run_command("poller", [&] {
        auto settings = poller::load_settings(core::Env::process(), argc, argv);
        if (!settings) return core::exit_ok;  // --help
        poller::App app(std::move(*settings), log);
        return app.run_once();
    });
}
