#include <catch2/catch.hpp>

#include <sstream>

#include "oura/core/json.hpp"
#include "oura/core/log.hpp"

using namespace oura::core;

TEST_CASE("a log line is one JSON object with level, service, message and fields", "[unit][log]") {
    std::ostringstream out;
    Logger log("poller", Level::info, &out);
    log.info("run finished", {{"rows", 42}, {"resource", "sleep"}, {"ok", true}});
    log.debug("not shown");
    auto line = out.str();
    REQUIRE(std::count(line.begin(), line.end(), '\n') == 1);
    auto doc = parse_json(line);
    CHECK(*get_string(doc, "level") == "info");
    CHECK(*get_string(doc, "service") == "poller");
    CHECK(*get_string(doc, "msg") == "run finished");
    CHECK(*get_int(doc, "rows") == 42);
    CHECK(*get_string(doc, "resource") == "sleep");
}

TEST_CASE("fields that may hold secrets are redacted whatever their value", "[unit][log]") {
    std::ostringstream out;
    Logger log("x", Level::debug, &out);
    log.warn("refresh", {{"refresh_token", "abc123"}, {"client_secret", "s"}, {"Authorization", "Bearer z"}});
    auto line = out.str();
    CHECK(line.find("abc123") == std::string::npos);
    CHECK(line.find("Bearer z") == std::string::npos);
    CHECK(line.find("[redacted]") != std::string::npos);
}

TEST_CASE("database URLs lose their passwords before they are shown", "[unit][log]") {
    CHECK(redact_url("postgresql://app:hunter2@db:5432/oura") == "postgresql://app:***@db:5432/oura");
    CHECK(redact_url("host=db password=hunter2 dbname=oura") == "host=db password=*** dbname=oura");
    CHECK(redact_url("postgresql://app@db/oura") == "postgresql://app@db/oura");
}

TEST_CASE("control characters and quotes are escaped in log lines", "[unit][log]") {
    std::string s;
    append_json_string(s, "a\"b\n\x01");
    CHECK(s == "\"a\\\"b\\n\\u0001\"");
}
