#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "oura/core/config.hpp"
#include "oura/core/log.hpp"

using oura::core::config_error;
using oura::core::Env;

TEST_CASE("a variable is read directly or from the file its _FILE twin names", "[unit][config]") {
    auto path = std::string(std::tmpnam(nullptr));
    std::ofstream(path) << "s3cret\n";
    CHECK(Env::from({{"OURA_CLIENT_SECRET", "direct"}}).get("OURA_CLIENT_SECRET") == "direct");
    CHECK(Env::from({{"OURA_CLIENT_SECRET_FILE", path}}).get("OURA_CLIENT_SECRET") == "s3cret");
    CHECK_FALSE(Env::from({}).get("OURA_CLIENT_SECRET").has_value());
    std::remove(path.c_str());
}

TEST_CASE("config errors name the variable and never the secret", "[unit][config]") {
    auto path = std::string(std::tmpnam(nullptr));
    std::ofstream(path) << "topsecret";
    try {
        Env::from({{"OURA_CLIENT_SECRET", "topsecret"}, {"OURA_CLIENT_SECRET_FILE", path}}).get("OURA_CLIENT_SECRET");
        FAIL("both set must be refused");
    } catch (const config_error& e) {
        std::string what = e.what();
        CHECK(what.find("OURA_CLIENT_SECRET") != std::string::npos);
        CHECK(what.find("topsecret") == std::string::npos);
    }
    std::remove(path.c_str());
    CHECK_THROWS_WITH(Env::from({}).require("OURA_DATABASE_URL"), Catch::Contains("OURA_DATABASE_URL is required"));
    CHECK_THROWS_WITH(Env::from({{"OURA_HTTP_PORT", "80a"}}).get_int("OURA_HTTP_PORT", 8080, 1, 65535),
                      Catch::Contains("OURA_HTTP_PORT must be an integer from 1 to 65535, got '80a'"));
    CHECK_THROWS_WITH(Env::from({{"X_FILE", "/nonexistent/file"}}).get("X"), Catch::Contains("X_FILE: cannot read"));
}

TEST_CASE("integers, booleans and durations parse or are refused", "[unit][config]") {
    auto env = Env::from({{"N", "42"}, {"B", "yes"}, {"D", "250ms"}, {"D2", "5m"}, {"BAD", "soon"}});
    CHECK(env.get_int("N", 0, 0, 100) == 42);
    CHECK(env.get_int("MISSING", 7, 0, 100) == 7);
    CHECK_THROWS_AS(env.get_int("N", 0, 0, 10), config_error);
    CHECK(env.get_bool("B", false));
    CHECK(env.get_duration("D", {}) == std::chrono::milliseconds(250));
    CHECK(env.get_duration("D2", {}) == std::chrono::minutes(5));
    CHECK_THROWS_WITH(env.get_duration("BAD", {}), Catch::Contains("BAD must be a duration"));
}

TEST_CASE("a URL setting must be http or https with a host and a sane port", "[unit][config]") {
    using oura::core::Env;
    auto env = [](std::string v) { return Env::from({{"OURA_PUSHGATEWAY_URL", std::move(v)}}); };
    CHECK(env("http://pushgateway:9091").get_url("OURA_PUSHGATEWAY_URL", "") == "http://pushgateway:9091");
    CHECK(env("https://[::1]:9091/base").get_url("OURA_PUSHGATEWAY_URL", "") == "https://[::1]:9091/base");
    CHECK(Env::from({}).get_url("OURA_PUSHGATEWAY_URL", "") == "");
    for (auto bad : {"pushgateway:9091", "ftp://host", "http://", "http://:9091", "http://host:0", "http://host:99999",
                     "http://host:", "http://[::1", "http://user@host"}) {
        INFO(bad);
        CHECK_THROWS_WITH(env(bad).get_url("OURA_PUSHGATEWAY_URL", ""), Catch::Contains("OURA_PUSHGATEWAY_URL"));
    }
}

TEST_CASE("an instant setting needs a date, a time and an offset", "[unit][config]") {
    using oura::core::Env;
    auto env = [](std::string v) { return Env::from({{"OURA_NOW", std::move(v)}}); };
    CHECK(env("2026-01-15T23:30:00Z").get_instant("OURA_NOW") ==
          std::chrono::sys_days{std::chrono::year{2026} / 1 / 15} + std::chrono::hours(23) + std::chrono::minutes(30));
    CHECK(env("2026-01-16T12:30:00+13:00").get_instant("OURA_NOW") == env("2026-01-15T23:30:00Z").get_instant("OURA_NOW"));
    CHECK_FALSE(Env::from({}).get_instant("OURA_NOW"));
    for (auto bad : {"2026-01-15", "2026-01-15T23:30:00", "tomorrow", "2026-01-15T25:00:00Z"}) {
        INFO(bad);
        CHECK_THROWS_WITH(env(bad).get_instant("OURA_NOW"), Catch::Contains("OURA_NOW"));
    }
}

TEST_CASE("OURA_LOG_LEVEL is a level or an error naming it, also from a file", "[unit][config]") {
    using oura::core::Env;
    CHECK(oura::core::log_level(Env::from({})) == oura::core::Level::info);
    CHECK(oura::core::log_level(Env::from({{"OURA_LOG_LEVEL", "debug"}})) == oura::core::Level::debug);
    CHECK_THROWS_WITH(oura::core::log_level(Env::from({{"OURA_LOG_LEVEL", "verbose"}})), Catch::Contains("OURA_LOG_LEVEL"));
    CHECK_THROWS_WITH(oura::core::log_level(Env::from({{"OURA_LOG_LEVEL_FILE", "/nonexistent/level"}})),
                      Catch::Contains("OURA_LOG_LEVEL_FILE"));
}

TEST_CASE("a file setting names a file this process can read", "[unit][config]") {
    using oura::core::Env;
    CHECK(Env::from({}).get_readable_file("OURA_CA_FILE").empty());
    auto path = std::string(std::tmpnam(nullptr));
    std::ofstream(path) << "-----BEGIN CERTIFICATE-----\n";
    CHECK(Env::from({{"OURA_CA_FILE", path}}).get_readable_file("OURA_CA_FILE") == path);
    std::remove(path.c_str());
    CHECK_THROWS_WITH(Env::from({{"OURA_CA_FILE", "/nonexistent/ca.pem"}}).get_readable_file("OURA_CA_FILE"),
                      Catch::Contains("OURA_CA_FILE"));
}
