// Which database errors are a document's fault and which are worth retrying (oura::store).
#include <catch2/catch.hpp>

#include "oura/store/database.hpp"

using oura::store::is_data_error;
using oura::store::is_retryable;

TEST_CASE("only data exceptions and CHECK violations are a document's mapping failure", "[unit][store]") {
    for (std::string state : {"22P02", "22003", "22007", "22008", "22023", "23514"}) {
        INFO(state);
        CHECK(is_data_error(state));
        CHECK_FALSE(is_retryable(state));
    }
    // A missing NOT NULL or a duplicate key says the mapping or the code is wrong, not the value.
    for (std::string state : {"23502", "23505", "23503", "42P01", "42703", "42501", "40P01", "55P03", ""}) {
        INFO(state);
        CHECK_FALSE(is_data_error(state));
    }
}

TEST_CASE("deadlocks, serialization failures, timeouts and lost connections are retryable", "[unit][store]") {
    for (std::string state : {"40001", "40P01", "55P03", "57014", "57P01", "53300", "08006"}) {
        INFO(state);
        CHECK(is_retryable(state));
    }
    for (std::string state : {"42P01", "42501", "23505", "XX000", ""}) {
        INFO(state);
        CHECK_FALSE(is_retryable(state));
    }
}
