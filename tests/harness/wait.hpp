#pragma once
// Waiting for something another thread or process does. A test never sleeps a guessed time: on a
// fast machine that passes without the thing having happened, on a loaded one it flakes. It polls
// the condition instead, and fails naming what it waited for when the deadline passes first.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <thread>
#include <utility>

namespace oura::test {

// Generous: a deadline is only reached when the awaited thing never happens, never by being slow.
inline constexpr std::chrono::seconds default_wait_deadline{30};

// Polls `condition` until it is true (returns true) or `deadline` has passed (returns false), for a
// caller that must clean up before failing. `condition` is called at least once.
template <class Condition>
bool poll_until(Condition&& condition, std::chrono::milliseconds deadline = default_wait_deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    auto pause = std::chrono::milliseconds(1);
    while (!condition()) {
        if (std::chrono::steady_clock::now() > until) return false;
        // Polling, not synchronising: the pause only bounds how often the condition is asked.
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
    return true;
}

// Returns once `condition()` is true; fails the test with "timed out after N ms waiting until <what>"
// otherwise.
template <class Condition>
void wait_until(std::string_view what, Condition&& condition,
                std::chrono::milliseconds deadline = default_wait_deadline) {
    const auto start = std::chrono::steady_clock::now();
    if (!poll_until(std::forward<Condition>(condition), deadline))
        FAIL("timed out after "
             << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count()
             << " ms waiting until " << what);
}

}  // namespace oura::test
