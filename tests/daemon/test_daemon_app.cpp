#include "test_daemon_app.hpp"

#include <condition_variable>
#include <fstream>
#include <iostream>
#include <mutex>

namespace oura::test_daemon {
namespace {

// Lines on stdout are the test's view of what happened inside; one writer at a time.
void say(const std::string& line) {
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    std::cout << line << std::endl;
}

}  // namespace

Settings load_settings(const core::Env& env) {
    Settings s;
    s.runtime = service::load_settings(env, "oura-test-daemon");
    s.release_fifo = env.get_or("OURA_TEST_DAEMON_RELEASE_FIFO", "");
    return s;
}

App::App(Settings settings, const core::Logger& log) : settings_(std::move(settings)), runtime_(settings_.runtime, log) {
    runtime_.router().add("GET", "/slow", [this](const http::Request&, const service::PathParams&) {
        say("slow: started");
        std::string line;
        if (!settings_.release_fifo.empty()) {
            std::ifstream fifo(settings_.release_fifo);  // blocks until the test opens it for writing
            std::getline(fifo, line);
        }
        return http::json_response(200, R"({"slow":"done"})");
    });
    // Stands for a job consumer: idles until told to stop, and says when it was told.
    runtime_.add_worker("idler", [](std::stop_token stop) {
        std::mutex mutex;
        std::condition_variable_any cv;
        std::unique_lock lock(mutex);
        cv.wait(lock, stop, [] { return false; });
        say("worker: stop requested");
    });
}

int App::run(const core::ShutdownSignals& signals) {
    runtime_.start();
    say("http://127.0.0.1:" + std::to_string(runtime_.port()));
    return runtime_.run(signals);
}

}  // namespace oura::test_daemon
