// Every document the simulator generates must match Oura's published schema, field for field.

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataset.hpp"
#include "spec_validator.hpp"

namespace {

using namespace std::chrono;
namespace sim = oura::sim;

// Item schema per resource, as API-NOTES §1 lists them (our own catalog, not read from the spec).
const std::map<std::string, std::string, std::less<>> item_schemas = {
    {"daily_activity", "PublicDailyActivity"},
    {"daily_cardiovascular_age", "PublicDailyCardiovascularAge"},
    {"daily_readiness", "PublicDailyReadiness"},
    {"daily_resilience", "DailyResilienceModel"},
    {"daily_sleep", "PublicDailySleep"},
    {"daily_spo2", "PublicDailySpO2"},
    {"daily_stress", "PublicDailyStress"},
    {"enhanced_tag", "EnhancedTagModel"},
    {"heartrate", "PublicHeartRateRow"},
    {"personal_info", "PersonalInfoResponse"},
    {"rest_mode_period", "PublicRestModePeriod"},
    {"ring_battery_level", "PublicRingBatteryLevelRow"},
    {"ring_configuration", "PublicRingConfiguration"},
    {"session", "PublicSession"},
    {"sleep", "PublicModifiedSleepModel"},
    {"sleep_time", "PublicSleepTime"},
    {"tag", "TagModel"},
    {"vO2_max", "PublicVO2Max"},
    {"workout", "PublicWorkout"},
};

std::vector<std::string> spec_candidates() {
    if (const char* env = std::getenv("OURA_OPENAPI_SPEC"); env && *env) return {env};
    std::vector<std::string> paths;
#ifdef OURA_SOURCE_DIR
    paths.push_back(std::string(OURA_SOURCE_DIR) + "/../shared/oura/openapi-1.37.json");
#endif
    paths.push_back("../shared/oura/openapi-1.37.json");
    return paths;
}

// The spec, loaded once; nullptr when it is not available here.
const rapidjson::Document* spec() {
    static const std::unique_ptr<rapidjson::Document> loaded = []() -> std::unique_ptr<rapidjson::Document> {
        for (const std::string& path : spec_candidates()) {
            std::error_code ec;
            if (std::filesystem::is_regular_file(path, ec))
                return std::make_unique<rapidjson::Document>(oura::sim::spec::load_spec(path));
        }
        return nullptr;
    }();
    return loaded.get();
}

bool skip_without_spec() {
    if (spec()) return false;
    std::string where;
    for (const std::string& p : spec_candidates()) where += (where.empty() ? "" : ", ") + p;
    if (oura::sim::spec::spec_required())
        FAIL("the Oura spec is required in CI (CI=true) but is not at " << where
                                                                      << " (set OURA_OPENAPI_SPEC to its path)");
    WARN("SKIPPED: spec not found at " << where << " (set OURA_OPENAPI_SPEC to its path)");
    return true;
}

rapidjson::Document parse(const std::string& json) {
    rapidjson::Document d;
    d.Parse(json.c_str());
    return d;
}

// Validates one document, adding "<resource> <day> <id>: <error>" lines to `report`.
void check_document(std::string_view resource, const sim::Document& doc, std::vector<std::string>& report,
                    std::size_t& checked) {
    ++checked;
    const rapidjson::Document d = parse(doc.json);
    const std::string where = std::string(resource) + " " + doc.day + " " + doc.id;
    if (d.HasParseError()) {
        report.push_back(where + ": not JSON: " + doc.json.substr(0, 80));
        return;
    }
    for (const std::string& e : oura::sim::spec::validate(*spec(), item_schemas.find(resource)->second, d))
        report.push_back(where + ": " + e);
}

std::string first_lines(const std::vector<std::string>& lines, std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < lines.size() && i < n; ++i) s += lines[i] + "\n";
    if (lines.size() > n) s += "... and " + std::to_string(lines.size() - n) + " more\n";
    return s;
}

}  // namespace

TEST_CASE("every generated document matches its schema in the Oura spec", "[unit][sim]") {
    if (skip_without_spec()) return;
    sim::GeneratorOptions options;
    options.seed = 20240331;
    options.users = 3;
    options.days = 60;
    options.end_day = sys_days{year{2024} / April / 20};  // spans the EU and US spring DST changes

    std::vector<std::string> report;
    std::size_t checked = 0;
    std::map<std::string, std::size_t> per_resource;
    for (int user = 0; user < options.users; ++user) {
        for (int i = options.days - 1; i >= 0; --i) {
            const sim::DayDocuments docs = sim::generate_day(options, user, options.end_day - days{i});
            for (const auto& [resource, list] : docs) {
                REQUIRE(item_schemas.count(resource) == 1);
                for (const sim::Document& doc : list) {
                    check_document(resource, doc, report, checked);
                    ++per_resource[resource];
                }
            }
        }
        for (const sim::Document& doc : sim::generate_ring_configurations(options, user)) {
            check_document("ring_configuration", doc, report, checked);
            ++per_resource["ring_configuration"];
        }
    }
    for (const sim::UserProfile& u : sim::generate_users(options)) {
        check_document("personal_info", sim::Document{u.oura_user_id, "-", 0, u.personal_info_json}, report, checked);
        ++per_resource["personal_info"];
    }

    // Every resource was exercised, so a resource that is never generated cannot pass silently.
    for (const auto& [resource, schema] : item_schemas) {
        INFO(resource << " (" << schema << ")");
        CHECK(per_resource[resource] > 0);
    }
    INFO(checked << " documents checked; first errors:\n" << first_lines(report, 25));
    CHECK(report.empty());
}

TEST_CASE("the spec validator refuses unknown fields, wrong types, missing fields and bad enum values", "[unit][sim]") {
    if (skip_without_spec()) return;
    const auto errors = [](std::string_view schema, const char* json) {
        const rapidjson::Document d = parse(json);
        REQUIRE_FALSE(d.HasParseError());
        return oura::sim::spec::validate(*spec(), schema, d);
    };
    const char* good_row =
        R"({"timestamp":"2024-03-31T05:00:00+00:00","timestamp_unix":1711861200000,"bpm":61,"source":"awake"})";
    CHECK(errors("PublicHeartRateRow", good_row).empty());

    CHECK(
        errors(
            "PublicHeartRateRow",
            R"({"timestamp":"2024-03-31T05:00:00+00:00","timestamp_unix":1711861200000,"bpm":61,"source":"awake","bpm_avg":3})")
            .size() == 1);
    CHECK(errors(
              "PublicHeartRateRow",
              R"({"timestamp":"2024-03-31T05:00:00+00:00","timestamp_unix":1711861200000,"bpm":"61","source":"awake"})")
              .size() == 1);
    CHECK(
        errors("PublicHeartRateRow", R"({"timestamp":"2024-03-31T05:00:00+00:00","bpm":61,"source":"awake"})").size() ==
        1);
    CHECK(errors("PublicHeartRateRow",
                 R"({"timestamp":"2024-03-31T05:00:00+00:00","timestamp_unix":1,"bpm":61,"source":"walking"})")
              .size() == 1);
    // A UTC row must not carry a local offset.
    CHECK(errors("PublicHeartRateRow",
                 R"({"timestamp":"2024-03-31T07:00:00+02:00","timestamp_unix":1,"bpm":61,"source":"awake"})")
              .size() == 1);

    // Nullable fields accept null; a nested sample with a string item is refused.
    CHECK(errors("PublicDailyStress",
                 R"({"id":"x","day":"2024-03-31","day_summary":null,"recovery_high":null,"stress_high":null})")
              .empty());
    CHECK_FALSE(errors("PublicSession", R"({"id":"x","day":"2024-03-31","start_datetime":"2024-03-31T07:00:00+02:00",
        "end_datetime":"2024-03-31T07:10:00+02:00","type":"meditation",
        "heart_rate":{"interval":5.0,"items":[60.0,"x"],"timestamp":"2024-03-31T07:00:00+02:00"}})")
                    .empty());
    CHECK_FALSE(errors("PublicDailySleep",
                       R"({"id":"x","contributors":{},"day":"2024-02-30","timestamp":"2024-03-31T00:00:00+02:00"})")
                    .empty());
    CHECK(errors("NoSuchSchema", "{}").size() == 1);
}
