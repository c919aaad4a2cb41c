// The queue's backoff, without a database.
#include <catch2/catch.hpp>

#include "oura/store/jobs.hpp"

using namespace std::chrono_literals;
using oura::store::retry_delay;

TEST_CASE("the retry delay ceiling doubles with each attempt until the cap", "[unit][jobs]") {
    CHECK(retry_delay(1, 1000ms, 60s, 1.0) == 1000ms);
    CHECK(retry_delay(2, 1000ms, 60s, 1.0) == 2000ms);
    CHECK(retry_delay(3, 1000ms, 60s, 1.0) == 4000ms);
    CHECK(retry_delay(6, 1000ms, 60s, 1.0) == 32000ms);
    CHECK(retry_delay(7, 1000ms, 60s, 1.0) == 60000ms);
    // An attempt count far beyond any table stays at the cap instead of overflowing.
    CHECK(retry_delay(5000, 1000ms, 60s, 1.0) == 60000ms);
}

TEST_CASE("full jitter spreads the retry delay over zero to the ceiling", "[unit][jobs]") {
    CHECK(retry_delay(4, 1000ms, 60s, 0.0) == 0ms);
    CHECK(retry_delay(4, 1000ms, 60s, 0.5) == 4000ms);
    CHECK(retry_delay(4, 1000ms, 60s, 0.25) == 2000ms);
    // A random source that strays outside [0, 1] cannot push a delay below zero or past the cap.
    CHECK(retry_delay(4, 1000ms, 60s, -3.0) == 0ms);
    CHECK(retry_delay(4, 1000ms, 60s, 7.0) == 8000ms);
    CHECK(retry_delay(0, 1000ms, 60s, 1.0) == 1000ms);
}
