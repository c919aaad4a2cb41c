#include "oura/core/signals.hpp"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <ctime>

namespace oura::core {
namespace {
sigset_t shutdown_set() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}
}  // namespace

ShutdownSignals::ShutdownSignals() {
    sigset_t set = shutdown_set();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    // Writing to a peer that closed must be an error return, not a dead process.
    signal(SIGPIPE, SIG_IGN);
}

int ShutdownSignals::wait() const {
    sigset_t set = shutdown_set();
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
    return sig;
}

std::optional<int> ShutdownSignals::wait_for(std::chrono::milliseconds timeout) const {
    sigset_t set = shutdown_set();
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    ts.tv_nsec = static_cast<long>(timeout.count() % 1000) * 1000000L;
    int sig = sigtimedwait(&set, nullptr, &ts);
    if (sig < 0) return std::nullopt;
    return sig;
}

}  // namespace oura::core
