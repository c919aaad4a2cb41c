#include "oura/core/log.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <sstream>

#include "oura/core/json.hpp"

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

TEST_CASE("quotes and newlines and control characters in messages and fields survive a log line", "[unit][log]") {
    std::ostringstream out;
    Logger log("sim", Level::info, &out);
    const std::string name = "Ann \"the ring\" O'Neil\nline two\x01";
    log.info(name, {{"user", name}, {name, 1}});
    auto line = out.str();
    REQUIRE(std::count(line.begin(), line.end(), '\n') == 1);  // the newline inside is escaped
    auto doc = parse_json(line);
    CHECK(*get_string(doc, "msg") == name);
    CHECK(*get_string(doc, "user") == name);
    CHECK(*get_int(doc, name) == 1);
}

TEST_CASE("NaN and infinity in a log field are written as null and never as bare nan", "[unit][log]") {
    std::ostringstream out;
    Logger log("poller", Level::info, &out);
    log.info("odd figures", {{"ratio", std::nan("")},
                             {"rate", std::numeric_limits<double>::infinity()},
                             {"drop", -std::numeric_limits<double>::infinity()},
                             {"seconds", 1.5}});
    auto line = out.str();
    for (const char* bare : {":nan", ":-nan", ":inf", ":-inf"}) CHECK(line.find(bare) == std::string::npos);
    auto doc = parse_json(line);  // throws if the line is not JSON
    CHECK(doc["ratio"].IsNull());
    CHECK(doc["rate"].IsNull());
    CHECK(doc["drop"].IsNull());
    CHECK(*get_double(doc, "seconds") == 1.5);
}

TEST_CASE("an already-serialised JSON field is embedded as a value and not as a string", "[unit][log]") {
    std::ostringstream out;
    Logger log("poller", Level::info, &out);
    log.info("run", {{"summary", JsonText{R"({"users":2})"}}});
    auto doc = parse_json(out.str());
    REQUIRE(doc["summary"].IsObject());
    CHECK(*get_int(doc["summary"], "users") == 2);
}
