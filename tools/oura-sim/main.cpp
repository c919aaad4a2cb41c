// oura-sim: the Oura Cloud API v2 simulator. Wiring only; behaviour lives in src/sim_*.

#include <cstdio>
#include <iostream>
#include <optional>

#include "oura/core/cli.hpp"
#include "oura/core/config.hpp"
#include "oura/core/log.hpp"
#include "oura/core/signals.hpp"
#include "oura/http/server.hpp"
#include "sim_app.hpp"

int main(int argc, char** argv) {
    using namespace oura;
    core::ShutdownSignals signals;  // first, so every thread started below leaves SIGTERM to wait()
    auto cli = sim::command_line();
    sim::SimOptions options;
    std::optional<core::Logger> logger;
    try {
        logger.emplace(core::make_logger("oura-sim"));
        cli.parse(argc, argv);
        if (cli.help_requested()) {
            std::cout << cli.help();
            return core::exit_ok;
        }
        options = sim::options_from(cli);
    } catch (const core::usage_error& e) {
        std::cerr << "oura-sim: " << e.what() << "\n";
        return core::exit_usage;
    } catch (const core::config_error& e) {
        std::cerr << "oura-sim: " << e.what() << "\n";
        return core::exit_usage;
    }
    const core::Logger& log = *logger;
    try {
        auto started = std::chrono::steady_clock::now();
        sim::App app(options, log);
        auto generated_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
        http::ServerOptions server_options;
        server_options.address = options.host;
        server_options.port = options.port;
        server_options.threads = options.threads;
        http::Server server(server_options, [&app](const http::Request& r) { return app.handle(r); });
        server.start();
        std::string host = options.host == "0.0.0.0" || options.host == "::" ? "127.0.0.1" : options.host;
        std::cout << "http://" << host << ":" << server.port() << std::endl;  // the one stdout line, flushed
        log.info("oura-sim listening", {{"port", server.port()},
                                        {"users", app.store().user_count()},
                                        {"today", core::format_date(app.store().today())},
                                        {"mode", options.store.fixtures_dir.empty() ? "generated" : "fixtures"},
                                        {"startup_ms", generated_ms}});
        int sig = signals.wait();
        log.info("shutting down", {{"signal", sig}});
        server.stop(std::chrono::seconds(2));
        app.stop();
        return core::exit_ok;
    } catch (const std::system_error& e) {
        std::cerr << "oura-sim: cannot listen on " << options.host << ":" << options.port << ": " << e.what() << "\n";
        return core::exit_usage;
    } catch (const std::exception& e) {
        std::cerr << "oura-sim: " << e.what() << "\n";
        return core::exit_usage;
    }
}
