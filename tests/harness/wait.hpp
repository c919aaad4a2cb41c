#pragma once
// Waiting for something another thread or process does. A test never sleeps a guessed time: on a
// fast machine that passes without the thing having happened, on a loaded one it flakes. It polls
// the condition instead, and fails naming what it waited for when the deadline passes first.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <thread>

namespace oura::test {

// Generous: a deadline is only reached when the awaited thing never happens, never by being slow.
inline constexpr std::chrono::seconds default_wait_deadline{30};

// Returns once `condition()` is true; fails the test with "timed out after Ns waiting until <what>"
// otherwise. `condition` is called at least once, also when it is already true.
template <class Condition>
void wait_until(std::string_view what, Condition&& condition,
                std::chrono::milliseconds deadline = default_wait_deadline) {
    const auto start = std::chrono::steady_clock::now();
    auto pause = std::chrono::milliseconds(1);
    while (!condition()) {
        const auto waited = std::chrono::steady_clock::now() - start;
        if (waited > deadline)
            FAIL("timed out after " << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()
                                    << " ms waiting until " << what);
        // Polling, not synchronising: the pause only bounds how often the condition is asked.
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
}

}  // namespace oura::test
