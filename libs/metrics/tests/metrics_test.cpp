#include <catch2/catch.hpp>

#include "oura/metrics/api_metrics.hpp"
#include "oura/metrics/poller_metrics.hpp"
#include "oura/metrics/registry.hpp"
#include "oura/metrics/token_metrics.hpp"

using namespace oura::metrics;

TEST_CASE("API calls show up in the exposition by resource and outcome", "[unit][metrics]") {
    Registry registry;
    PrometheusApiMetrics m(registry);
    m.observe("sleep", "ok", 0.2);
    m.observe("sleep", "ok", 0.3);
    m.observe("sleep", "server_error", 1.5);
    m.observe("heartrate", "breaker_open", 0.0);
    m.on_rate_limited();
    auto text = serialize(registry);
    CHECK(text.find(R"(oura_api_requests_total{outcome="ok",resource="sleep"} 2)") != std::string::npos);
    CHECK(text.find(R"(oura_api_requests_total{outcome="server_error",resource="sleep"} 1)") != std::string::npos);
    CHECK(text.find(R"(oura_api_requests_total{outcome="breaker_open",resource="heartrate"} 1)") != std::string::npos);
    CHECK(text.find(R"(oura_api_request_duration_seconds_count{resource="sleep"} 3)") != std::string::npos);
    // A refused call took no time at Oura: no duration series for it.
    CHECK(text.find(R"(oura_api_request_duration_seconds_count{resource="heartrate"})") == std::string::npos);
    CHECK(text.find("oura_api_rate_limited_total 1") != std::string::npos);
    CHECK(text.find("# TYPE oura_api_request_duration_seconds histogram") != std::string::npos);
}

TEST_CASE("a push gateway URL with a path or a bad job name is refused before any request", "[unit][metrics]") {
    Registry registry;
    CHECK_THROWS_AS(push_to_gateway(registry, "http://gw:9091/some/path", "poller"), std::invalid_argument);
    CHECK_THROWS_AS(push_to_gateway(registry, "gw:9091", "poller"), std::invalid_argument);
    CHECK_THROWS_AS(push_to_gateway(registry, "http://gw:9091", "a/b"), std::invalid_argument);
}

TEST_CASE("a poller run's figures show up in the exposition by resource and outcome", "[unit][metrics]") {
    Registry registry;
    PollerRunMetrics m(registry);
    m.record_resource("sleep", {.inserted = 3, .updated = 1, .unchanged = 7, .deleted = 2, .failures = 1});
    m.record_resource("heartrate", {.inserted = 288});
    m.record_run(12.5, 1);
    auto text = serialize(registry);
    CHECK(text.find(R"(oura_poller_rows_written_total{outcome="inserted",resource="sleep"} 3)") != std::string::npos);
    CHECK(text.find(R"(oura_poller_rows_written_total{outcome="deleted",resource="sleep"} 2)") != std::string::npos);
    CHECK(text.find(R"(oura_poller_rows_written_total{outcome="inserted",resource="heartrate"} 288)") !=
          std::string::npos);
    CHECK(text.find(R"(oura_poller_resource_failures{resource="sleep"} 1)") != std::string::npos);
    CHECK(text.find("oura_poller_run_duration_seconds 12.5") != std::string::npos);
    CHECK(text.find("oura_poller_last_run_failures 1") != std::string::npos);
    CHECK(text.find("# TYPE oura_poller_last_run_timestamp_seconds gauge") != std::string::npos);
}

TEST_CASE("users who must connect again show up as one gauge", "[unit][metrics]") {
    Registry registry;
    record_dead_grants(registry, 2);
    auto text = serialize(registry);
    CHECK(text.find("# TYPE oura_tokens_dead_grants gauge") != std::string::npos);
    CHECK(text.find("oura_tokens_dead_grants 2") != std::string::npos);
}
