#include <catch2/catch.hpp>

#include "oura/sync/oauth_flow.hpp"

using namespace oura;

TEST_CASE("OAuth result pages escape what they show", "[unit][oauth]") {
    auto page = sync::html_page("Connected <now>", {"Oura answered: <script>alert('x')</script> & more."});
    CHECK(page.find("<script>") == std::string::npos);
    CHECK(page.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more.") != std::string::npos);
    CHECK(page.find("<title>Connected &lt;now&gt;</title>") != std::string::npos);
}

TEST_CASE("OAuth settings default to every scope and refuse a redirect URI that is not a URL", "[unit][oauth]") {
    auto s = sync::oauth_settings_from_env(core::Env::from({}));
    CHECK(s.redirect_uri.empty());
    CHECK(s.scopes.size() > 5);
    CHECK(s.state_ttl == std::chrono::minutes(15));
    CHECK_THROWS_AS(sync::oauth_settings_from_env(core::Env::from({{"OURA_OAUTH_REDIRECT_URI", "not a url"}})),
                    core::config_error);
    auto narrow = sync::oauth_settings_from_env(core::Env::from({{"OURA_OAUTH_SCOPES", "daily heartrate"}}));
    CHECK(narrow.scopes == std::vector<std::string>{"daily", "heartrate"});
}
