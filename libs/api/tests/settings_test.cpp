#include "oura/api/settings.hpp"

#include <catch2/catch.hpp>

using namespace oura;

TEST_CASE("the Oura client reads its settings from the environment", "[unit][settings]") {
    auto o = api::options_from_env(core::Env::from({{"OURA_API_BASE_URL", "http://sim:8080/"},
                                                    {"OURA_CLIENT_ID", "app"},
                                                    {"OURA_CLIENT_SECRET", "shh"},
                                                    {"OURA_HTTP_TIMEOUT", "5s"}}),
                                   true);
    CHECK(o.api_base_url == "http://sim:8080");
    CHECK(o.token_url == "http://sim:8080/oauth/token");
    CHECK(o.auth_base_url == "https://cloud.ouraring.com");
    CHECK(o.client_id == "app");
    CHECK(o.http.read_timeout == std::chrono::seconds(5));
}

TEST_CASE("a bad Oura setting stops the start with the variable's name", "[unit][settings]") {
    auto message = [](std::map<std::string, std::string, std::less<>> vars, bool require_client) -> std::string {
        try {
            api::options_from_env(core::Env::from(std::move(vars)), require_client);
        } catch (const core::config_error& e) {
            return e.what();
        }
        return "";
    };
    CHECK_THAT(message({{"OURA_API_BASE_URL", "ftp://x"}}, false), Catch::Contains("OURA_API_BASE_URL"));
    CHECK_THAT(message({}, true), Catch::Contains("OURA_CLIENT_ID"));
    CHECK_THAT(message({{"OURA_HTTP_TIMEOUT", "99999999999999999999h"}}, false), Catch::Contains("OURA_HTTP_TIMEOUT"));
    CHECK(message({}, false).empty());
}
