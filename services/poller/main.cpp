// poller: one reconciliation pass, then exit. Wiring only; behaviour lives in poller_app.
#include "oura/core/cli.hpp"
#include "poller_app.hpp"

int main(int argc, char** argv) {
    using namespace oura;
    return core::run_command("poller", [&] {
        auto env = core::Env::process();
        auto log = core::make_logger("poller", env);
        auto settings = poller::load_settings(env, argc, argv);
        if (!settings) return core::exit_ok;  // --help
        std::optional<core::ManualClock> fixed;
        if (settings->now) fixed.emplace(*settings->now);
        poller::App app(std::move(*settings), log, fixed ? static_cast<const core::Clock&>(*fixed) : core::system_clock());
        return app.run_once();
    });
}
