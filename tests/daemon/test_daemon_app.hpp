#pragma once
// A daemon built only for tests of libs/service: the shape every real daemon has (thin main, an
// app holding the runtime, routes and a worker), plus hooks a test synchronises on through its
// stdout and a FIFO instead of timing.

#include <string>

#include "oura/core/config.hpp"
#include "oura/core/log.hpp"
#include "oura/core/signals.hpp"
#include "oura/service/runtime.hpp"

namespace oura::test_daemon {

struct Settings {
    service::Settings runtime;
    // OURA_TEST_DAEMON_RELEASE_FIFO: GET /slow blocks until a line arrives on this FIFO.
    std::string release_fifo;
};

// Throws core::config_error naming the variable.
Settings load_settings(const core::Env& env);

class App {
public:
    App(Settings settings, const core::Logger& log);
    // Prints the base URL on stdout once listening, then serves until SIGTERM; the exit code.
    int run(const core::ShutdownSignals& signals);

private:
    Settings settings_;
    service::Runtime runtime_;
};

}  // namespace oura::test_daemon
