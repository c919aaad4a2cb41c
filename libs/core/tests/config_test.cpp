#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "oura/core/config.hpp"

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
