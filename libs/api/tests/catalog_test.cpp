#include "oura/api/catalog.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "oura/api/webhook.hpp"

using namespace oura::api;

TEST_CASE("the catalog lists every collection of spec 1.37 exactly once", "[unit][api]") {
    const std::set<std::string> expected{"daily_activity",
                                         "daily_cardiovascular_age",
                                         "daily_readiness",
                                         "daily_resilience",
                                         "daily_sleep",
                                         "daily_spo2",
                                         "daily_stress",
                                         "enhanced_tag",
                                         "heartrate",
                                         "personal_info",
                                         "rest_mode_period",
                                         "ring_battery_level",
                                         "ring_configuration",
                                         "session",
                                         "sleep",
                                         "sleep_time",
                                         "tag",
                                         "vO2_max",
                                         "workout"};
    std::set<std::string> listed;
    for (const auto& r : resources()) {
        CHECK(listed.insert(std::string(r.name)).second);
        CHECK(r.path == "/v2/usercollection/" + std::string(r.name));
        CHECK_FALSE(r.scope.empty());
        CHECK(find_resource(r.name) == &r);
    }
    CHECK(listed == expected);
    CHECK(find_resource("vo2_max") == nullptr);  // REST names are case-sensitive
    CHECK(find_resource("interbeat_interval") == nullptr);
}

TEST_CASE("vO2_max is fetched with a capital O and announced by webhooks without", "[unit][api]") {
    const auto* r = find_resource("vO2_max");
    REQUIRE(r);
    CHECK(r->path == "/v2/usercollection/vO2_max");
    CHECK(r->webhook_type == "vo2_max");
    CHECK(find_by_webhook_type("vo2_max") == r);
    CHECK(find_by_webhook_type("vO2_max") == nullptr);
}

TEST_CASE("heart rate and ring battery are time series fetched by datetime in windows of at most 30 days",
          "[unit][api]") {
    for (auto name : {"heartrate", "ring_battery_level"}) {
        const auto* r = find_resource(name);
        REQUIRE(r);
        CHECK(r->mode == DateMode::datetime);
        CHECK(r->time_series);
        CHECK(r->max_window_days <= 30);
        CHECK(r->max_window_days >= 1);
        CHECK_FALSE(r->single_document_route);
        CHECK(r->webhook_type.empty());
    }
}

TEST_CASE("single-document routes exist for every document collection and nothing else", "[unit][api]") {
    for (const auto& r : resources()) {
        bool expected = r.name != "heartrate" && r.name != "ring_battery_level" && r.name != "personal_info";
        INFO(r.name);
        CHECK(r.single_document_route == expected);
    }
}

TEST_CASE("personal_info is one bare object and ring_configuration has no window", "[unit][api]") {
    CHECK(find_resource("personal_info")->mode == DateMode::single);
    CHECK(find_resource("ring_configuration")->mode == DateMode::none);
    CHECK(find_resource("ring_configuration")->webhook_type == "ring_configuration");
    for (const auto& r : resources())
        if (r.mode == DateMode::date) {
            INFO(r.name);
            CHECK_FALSE(r.day_field.empty());
            CHECK(r.max_window_days >= 3);
        }
    CHECK(find_resource("enhanced_tag")->day_field == "start_day");
    CHECK(find_resource("rest_mode_period")->day_field == "start_day");
    CHECK(find_resource("sleep")->start_field == "bedtime_start");
}

TEST_CASE("every webhook data type maps to its collection, except meal which has none", "[unit][api]") {
    for (auto type : webhook_data_types()) {
        INFO(type);
        if (type == "meal")
            CHECK(find_by_webhook_type(type) == nullptr);
        else
            CHECK(find_by_webhook_type(type) != nullptr);
    }
    CHECK(find_by_webhook_type("heartrate") == nullptr);
    CHECK(find_by_webhook_type("") == nullptr);
}

TEST_CASE("collections added to the spec are discovered with their date mode", "[unit][api]") {
    const std::string spec = R"({"paths": {
        "/v2/usercollection/sleep": {"get": {"parameters": [{"name": "start_date"}]}},
        "/v2/usercollection/sleep/{document_id}": {"get": {}},
        "/v2/usercollection/interbeat_interval": {"get": {"parameters": [{"name": "start_datetime"}]}},
        "/v2/usercollection/daily_cycle_phases": {"get": {"parameters": [{"name": "start_date"}, {"name": "end_date"}]}},
        "/v2/sandbox/usercollection/new_thing": {"get": {}},
        "/v2/webhook/subscription": {"get": {}}
    }})";
    CHECK(discover_collections(spec) == std::vector<std::string>{"daily_cycle_phases", "interbeat_interval"});
    auto found = discover_resources(spec);
    REQUIRE(found.size() == 2);
    CHECK(found[0].mode == DateMode::date);
    CHECK(found[0].path == "/v2/usercollection/daily_cycle_phases");
    CHECK(found[1].mode == DateMode::datetime);
    CHECK(found[1].max_window_days <= 30);
}

TEST_CASE("a discovered resource keeps its strings after the caller's buffer is gone", "[unit][api]") {
    Resource r;
    {
        std::string name = "brand_new";
        r = make_discovered(name);
        name.assign("xxxxxxxxx");
    }
    CHECK(r.name == "brand_new");
    CHECK(r.path == "/v2/usercollection/brand_new");
    CHECK(r.mode == DateMode::date);
    CHECK(make_discovered("brand_new").name.data() == r.name.data());
    CHECK_THROWS_AS(make_discovered("../etc"), std::invalid_argument);
}

TEST_CASE("the real spec 1.37 holds no collection the catalog does not know", "[unit][api]") {
    std::string path = std::string(OURA_SOURCE_DIR) + "/../shared/oura/openapi-1.37.json";
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
        WARN("spec not found at " << path << "; skipped");
        return;
    }
    std::string text;
    char buf[65536];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
    std::fclose(f);
    CHECK(discover_collections(text).empty());
}
