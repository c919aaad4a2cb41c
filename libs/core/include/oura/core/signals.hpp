#pragma once
// Graceful shutdown: construct a ShutdownSignals in main() before starting threads, so every thread
// inherits a mask with SIGINT/SIGTERM blocked and only wait() receives them.

#include <chrono>
#include <optional>

namespace oura::core {

class ShutdownSignals {
public:
    ShutdownSignals();   // blocks SIGINT and SIGTERM in the calling thread (and threads it starts)
    int wait() const;    // blocks until one arrives; returns its number
    // Returns the signal if one arrives within `timeout`, nullopt otherwise.
    std::optional<int> wait_for(std::chrono::milliseconds timeout) const;
};

}  // namespace oura::core
