// What a user of the simulated data would notice: numbers that add up, clocks that move on the
// right dates, rows where they belong, and the same bytes for the same seed.

#include "dataset.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <charconv>
#include <chrono>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace {

using namespace std::chrono;
namespace sim = oura::sim;

constexpr std::int64_t day_seconds = 86400;

sim::GeneratorOptions options_with(std::uint64_t seed, int days = 30) {
    sim::GeneratorOptions o;
    o.seed = seed;
    o.users = 5;
    o.days = days;
    o.end_day = sys_days{year{2024} / December / 31};
    return o;
}

std::int64_t epoch_day(year_month_day ymd) {
    return sys_days{ymd}.time_since_epoch().count();
}
sys_days as_day(std::int64_t d) {
    return sys_days{days{d}};
}

std::string date_of(std::int64_t d) {
    const year_month_day ymd{as_day(d)};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    return buf;
}

// Generated days, cached across test cases: (seed, user, first day) -> consecutive days.
const std::vector<sim::DayDocuments>& run(std::uint64_t seed, int user, std::int64_t first, int count) {
    static std::map<std::tuple<std::uint64_t, int, std::int64_t, int>, std::vector<sim::DayDocuments>> cache;
    auto key = std::make_tuple(seed, user, first, count);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    std::vector<sim::DayDocuments> days;
    const auto o = options_with(seed, count);
    for (int i = 0; i < count; ++i) days.push_back(sim::generate_day(o, user, as_day(first + i)));
    return cache.emplace(key, std::move(days)).first->second;
}

const std::int64_t jan_2024 = epoch_day(year{2024} / January / 1);

rapidjson::Document parse(const std::string& json) {
    rapidjson::Document d;
    d.Parse(json.c_str());
    REQUIRE_FALSE(d.HasParseError());
    return d;
}

const std::vector<sim::Document>& docs_of(const sim::DayDocuments& day, std::string_view resource) {
    static const std::vector<sim::Document> none;
    auto it = day.find(resource);
    return it == day.end() ? none : it->second;
}

int number(std::string_view s, std::size_t at, std::size_t n) {
    int v = 0;
    std::from_chars(s.data() + at, s.data() + at + n, v);
    return v;
}

// A timestamp as the API writes it: "YYYY-MM-DDTHH:MM:SS+HH:MM".
struct Stamp {
    std::int64_t utc;
    int offset;
    std::int64_t local_day;
    std::int64_t clock;  // seconds after local midnight
};

Stamp stamp(std::string_view s) {
    REQUIRE(s.size() == 25);
    const std::int64_t d = epoch_day(year{number(s, 0, 4)} / number(s, 5, 2) / number(s, 8, 2));
    const std::int64_t clock = number(s, 11, 2) * 3600 + number(s, 14, 2) * 60 + number(s, 17, 2);
    const int offset = (s[19] == '-' ? -1 : 1) * (number(s, 20, 2) * 3600 + number(s, 23, 2) * 60);
    return {d * day_seconds + clock - offset, offset, d, clock};
}

std::string_view str(const rapidjson::Value& v) {
    return {v.GetString(), v.GetStringLength()};
}
std::string_view offset_text(const rapidjson::Value& v) {
    return str(v).substr(19);
}

std::int64_t count_char(std::string_view s, char c) {
    return std::count(s.begin(), s.end(), c);
}

// Sleep documents of some days, parsed.
std::vector<rapidjson::Document> sleeps(const std::vector<sim::DayDocuments>& days, bool include_deleted = false) {
    std::vector<rapidjson::Document> out;
    for (const auto& day : days)
        for (const auto& doc : docs_of(day, "sleep")) {
            rapidjson::Document d = parse(doc.json);
            if (include_deleted || str(d["type"]) != "deleted") out.push_back(std::move(d));
        }
    return out;
}

}  // namespace

TEST_CASE("the same seed gives the same bytes", "[unit][sim]") {
    const auto o = options_with(7);
    for (int user = 0; user < 3; ++user) {
        for (int i = 0; i < 4; ++i) {
            const auto day = as_day(jan_2024 + 80 + i);
            const auto a = sim::generate_day(o, user, day);
            const auto b = sim::generate_day(o, user, day);
            REQUIRE(a.size() == b.size());
            for (const auto& [resource, docs] : a) {
                const auto& other = b.at(resource);
                REQUIRE(docs.size() == other.size());
                for (std::size_t k = 0; k < docs.size(); ++k) {
                    CHECK(docs[k].json == other[k].json);
                    CHECK(docs[k].id == other[k].id);
                    CHECK(docs[k].ts == other[k].ts);
                }
            }
        }
    }
    CHECK(sim::generate_users(o)[1].personal_info_json == sim::generate_users(o)[1].personal_info_json);
    CHECK(sim::generate_ring_configurations(o, 2)[0].json == sim::generate_ring_configurations(o, 2)[0].json);
}

TEST_CASE("a day is the same whether a run covers 10 days or 100", "[unit][sim]") {
    auto narrow = options_with(11, 10);
    narrow.end_day = as_day(jan_2024 + 45);
    auto wide = options_with(11, 100);
    wide.end_day = as_day(jan_2024 + 120);
    for (int user = 0; user < 2; ++user) {
        for (std::int64_t d = jan_2024 + 36; d <= jan_2024 + 45; ++d) {
            const auto a = sim::generate_day(narrow, user, as_day(d));
            const auto b = sim::generate_day(wide, user, as_day(d));
            for (const auto& [resource, docs] : a) {
                INFO(resource << " on " << date_of(d));
                const auto& other = b.at(resource);
                REQUIRE(docs.size() == other.size());
                for (std::size_t k = 0; k < docs.size(); ++k) CHECK(docs[k].json == other[k].json);
            }
        }
    }
}

TEST_CASE("different seeds give different users and different nights", "[unit][sim]") {
    const auto a = options_with(1), b = options_with(2);
    CHECK(sim::generate_users(a)[0].oura_user_id != sim::generate_users(b)[0].oura_user_id);
    int differing = 0;
    for (int i = 0; i < 5; ++i) {
        const auto day = as_day(jan_2024 + i);
        const auto x = sim::generate_day(a, 0, day).at("sleep");
        const auto y = sim::generate_day(b, 0, day).at("sleep");
        if (x.empty() || y.empty() || x[0].json != y[0].json) ++differing;
    }
    CHECK(differing == 5);
    // Users of one run differ from each other too.
    CHECK(sim::generate_day(a, 0, as_day(jan_2024)).at("daily_activity")[0].json !=
          sim::generate_day(a, 2, as_day(jan_2024)).at("daily_activity")[0].json);
}

TEST_CASE("document ids are UUID-shaped and never repeat", "[unit][sim]") {
    std::set<std::string> ids;
    std::size_t total = 0;
    for (int user = 0; user < 3; ++user) {
        for (const auto& day : run(3, user, jan_2024, 60)) {
            for (const auto& [resource, docs] : day) {
                for (const auto& doc : docs) {
                    const bool series = resource == "heartrate" || resource == "ring_battery_level";
                    if (series) {
                        CHECK(doc.id.empty());
                        continue;
                    }
                    INFO(resource << " " << doc.id);
                    REQUIRE(doc.id.size() == 36);
                    for (std::size_t i = 0; i < 36; ++i) {
                        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                        CHECK((dash ? doc.id[i] == '-' : std::isxdigit(static_cast<unsigned char>(doc.id[i])) != 0));
                    }
                    CHECK(doc.id[14] == '4');
                    CHECK(str(parse(doc.json)["id"]) == doc.id);
                    ids.insert(doc.id);
                    ++total;
                }
            }
        }
    }
    CHECK(total > 1000);
    CHECK(ids.size() == total);
}

TEST_CASE("a night's stage durations add up to its time in bed", "[unit][sim]") {
    const auto nights = sleeps(run(3, 0, jan_2024, 120));
    REQUIRE(nights.size() > 100);
    for (const auto& s : nights) {
        INFO(str(s["bedtime_start"]) << " " << str(s["type"]));
        const std::int64_t in_bed = s["time_in_bed"].GetInt64();
        const std::int64_t total = s["total_sleep_duration"].GetInt64();
        CHECK(in_bed == stamp(str(s["bedtime_end"])).utc - stamp(str(s["bedtime_start"])).utc);
        CHECK(in_bed % 300 == 0);
        CHECK(total == s["deep_sleep_duration"].GetInt64() + s["light_sleep_duration"].GetInt64() +
                           s["rem_sleep_duration"].GetInt64());
        CHECK(s["awake_time"].GetInt64() == in_bed - total);
        CHECK(s["efficiency"].GetInt64() ==
              std::lround(100.0 * static_cast<double>(total) / static_cast<double>(in_bed)));
        CHECK(s["latency"].GetInt64() < in_bed);
        CHECK(total > 0);
    }
}

TEST_CASE("the hypnograms match the stage durations epoch for epoch", "[unit][sim]") {
    for (const auto& s : sleeps(run(3, 1, jan_2024, 120))) {
        INFO(str(s["bedtime_start"]));
        const std::int64_t in_bed = s["time_in_bed"].GetInt64();
        const std::string_view five = str(s["sleep_phase_5_min"]);
        const std::string_view thirty = str(s["sleep_phase_30_sec"]);
        const std::string_view movement = str(s["movement_30_sec"]);
        REQUIRE(static_cast<std::int64_t>(five.size()) == in_bed / 300);
        REQUIRE(static_cast<std::int64_t>(thirty.size()) == in_bed / 30);
        REQUIRE(static_cast<std::int64_t>(movement.size()) == in_bed / 30);
        CHECK(count_char(five, '1') * 300 == s["deep_sleep_duration"].GetInt64());
        CHECK(count_char(five, '2') * 300 == s["light_sleep_duration"].GetInt64());
        CHECK(count_char(five, '3') * 300 == s["rem_sleep_duration"].GetInt64());
        CHECK(count_char(five, '4') * 300 == s["awake_time"].GetInt64());
        for (std::size_t i = 0; i < thirty.size(); ++i) REQUIRE(thirty[i] == five[i / 10]);
        CHECK(movement.find_first_not_of("1234") == std::string_view::npos);
        CHECK(str(s["app_sleep_phase_5_min"]) == five);
        // Latency is the time before the first epoch asleep.
        CHECK(s["latency"].GetInt64() == static_cast<std::int64_t>(five.find_first_not_of('4')) * 300);
    }
}

TEST_CASE("sleep heart rate covers the night and the lowest heart rate is below every sample", "[unit][sim]") {
    std::size_t items = 0, nulls = 0;
    for (const auto& s : sleeps(run(3, 2, jan_2024, 120))) {
        INFO(str(s["bedtime_start"]));
        const std::int64_t in_bed = s["time_in_bed"].GetInt64();
        for (const char* key : {"heart_rate", "hrv"}) {
            const auto& sample = s[key];
            CHECK(sample["interval"].GetDouble() == 300.0);
            CHECK(str(sample["timestamp"]) == str(s["bedtime_start"]));
            REQUIRE(static_cast<std::int64_t>(sample["items"].Size()) == in_bed / 300);
        }
        const int lowest = s["lowest_heart_rate"].GetInt();
        for (const auto& v : s["heart_rate"]["items"].GetArray()) {
            ++items;
            if (v.IsNull()) {
                ++nulls;
                continue;
            }
            CHECK(lowest <= v.GetDouble());
            CHECK(v.GetDouble() >= 30);
            CHECK(v.GetDouble() <= 130);
        }
        CHECK(s["average_heart_rate"].GetDouble() > lowest);
    }
    CHECK(nulls > 0);           // an occasional gap, as real nights have
    CHECK(nulls * 20 < items);  // but only occasionally
}

TEST_CASE("the readiness inside the night equals the day's readiness", "[unit][sim]") {
    int compared = 0;
    for (const auto& day : run(3, 0, jan_2024, 60)) {
        const auto& readiness = docs_of(day, "daily_readiness");
        for (const auto& doc : docs_of(day, "sleep")) {
            const auto s = parse(doc.json);
            if (str(s["type"]) != "long_sleep") {
                CHECK(s["readiness"].IsNull());
                continue;
            }
            REQUIRE(readiness.size() == 1);
            const auto r = parse(readiness[0].json);
            const auto& inner = s["readiness"];
            CHECK(inner["contributors"] == r["contributors"]);
            CHECK(inner["score"] == r["score"]);
            CHECK(inner["temperature_deviation"] == r["temperature_deviation"]);
            CHECK(inner["temperature_trend_deviation"] == r["temperature_trend_deviation"]);
            CHECK(str(r["day"]) == str(s["day"]));
            ++compared;
        }
    }
    CHECK(compared > 50);
}

TEST_CASE("every worn night has a daily sleep score that follows its total sleep", "[unit][sim]") {
    std::vector<std::pair<std::int64_t, int>> total_vs_contributor;
    for (const auto& day : run(3, 3, jan_2024, 120)) {
        const sim::Document* night = nullptr;
        for (const auto& doc : docs_of(day, "sleep"))
            if (str(parse(doc.json)["type"]) == "long_sleep") night = &doc;
        const auto& daily = docs_of(day, "daily_sleep");
        const auto& readiness = docs_of(day, "daily_readiness");
        const auto& spo2 = docs_of(day, "daily_spo2");
        INFO(docs_of(day, "daily_activity")[0].day);
        CHECK(daily.size() == (night ? 1u : 0u));
        CHECK(readiness.size() == daily.size());
        CHECK(spo2.size() == daily.size());
        if (!night) continue;
        const auto s = parse(night->json);
        const auto d = parse(daily[0].json);
        CHECK(str(d["day"]) == str(s["day"]));
        CHECK(d["score"].GetInt() >= 1);
        CHECK(d["score"].GetInt() <= 100);
        for (const auto& c : d["contributors"].GetObject()) {
            CHECK(c.value.GetInt() >= 1);
            CHECK(c.value.GetInt() <= 100);
        }
        total_vs_contributor.emplace_back(s["total_sleep_duration"].GetInt64(),
                                          d["contributors"]["total_sleep"].GetInt());
    }
    REQUIRE(total_vs_contributor.size() > 100);
    std::sort(total_vs_contributor.begin(), total_vs_contributor.end());
    for (std::size_t i = 1; i < total_vs_contributor.size(); ++i)
        CHECK(total_vs_contributor[i - 1].second <= total_vs_contributor[i].second);
    CHECK(total_vs_contributor.front().second < total_vs_contributor.back().second);
}

TEST_CASE("most nights are long sleeps from the evening before to the morning of the day, with naps now and then",
          "[unit][sim]") {
    std::map<std::string, int> types;
    int days_with_night = 0, days = 0;
    for (int user = 0; user < 3; ++user) {
        const auto& run_days = run(5, user, jan_2024, 366);
        for (std::size_t i = 0; i < run_days.size(); ++i) {
            const std::int64_t d = jan_2024 + static_cast<std::int64_t>(i);
            ++days;
            bool night = false;
            std::set<std::int64_t> periods;
            for (const auto& doc : docs_of(run_days[i], "sleep")) {
                const auto s = parse(doc.json);
                const std::string type(str(s["type"]));
                ++types[type];
                INFO(type << " " << str(s["bedtime_start"]));
                CHECK(doc.day == date_of(d));
                CHECK(str(s["day"]) == date_of(d));
                periods.insert(s["period"].GetInt64());
                const Stamp start = stamp(str(s["bedtime_start"])), end = stamp(str(s["bedtime_end"]));
                const std::int64_t length = end.utc - start.utc;
                if (type == "long_sleep") {
                    night = true;
                    CHECK(end.local_day == d);
                    CHECK((start.local_day == d - 1 || start.local_day == d));
                    CHECK(length > 3 * 3600);
                    CHECK(length <= 10 * 3600);
                } else if (type == "sleep") {
                    CHECK(length >= 15 * 60);
                    CHECK(length <= 3 * 3600);
                } else if (type == "late_nap") {
                    // Ended after the 6 pm day change of the previous day.
                    CHECK(end.local_day == d - 1);
                    CHECK(end.clock >= 18 * 3600);
                }
            }
            CHECK(periods.size() == docs_of(run_days[i], "sleep").size());
            days_with_night += night;
        }
    }
    CHECK(days_with_night > days * 9 / 10);
    CHECK(days_with_night < days);  // a forgotten ring now and then
    CHECK(types["sleep"] > 20);
    CHECK(types["late_nap"] > 0);
    CHECK(types["rest"] > 0);
    CHECK(types["deleted"] > 0);
    CHECK(types["late_nap"] < types["sleep"]);
}

TEST_CASE("daily activity accounts for every second of the day", "[unit][sim]") {
    int workout_days_with_high_or_medium = 0;
    for (int user : {0, 4}) {
        for (const auto& day : run(3, user, jan_2024, 60)) {
            const auto& list = docs_of(day, "daily_activity");
            REQUIRE(list.size() == 1);
            const auto a = parse(list[0].json);
            INFO(str(a["day"]));
            const std::int64_t sum = a["high_activity_time"].GetInt64() + a["medium_activity_time"].GetInt64() +
                                     a["low_activity_time"].GetInt64() + a["sedentary_time"].GetInt64() +
                                     a["resting_time"].GetInt64() + a["non_wear_time"].GetInt64();
            CHECK(sum == 86400);
            const auto& met = a["met"];
            CHECK(met["interval"].GetDouble() == 60.0);
            CHECK(met["items"].Size() == 1440);
            CHECK(str(met["timestamp"]) == str(a["timestamp"]));
            CHECK(stamp(str(a["timestamp"])).clock == 4 * 3600);  // the activity day starts at 4 a.m.
            const std::string_view classes = str(a["class_5_min"]);
            CHECK(classes.size() == 288);
            CHECK(classes.find_first_not_of("012345") == std::string_view::npos);
            if (!docs_of(day, "daily_sleep").empty())
                CHECK(classes.find('1') != std::string_view::npos);  // the night is rest
            const std::int64_t steps = a["steps"].GetInt64();
            CHECK(steps > 1000);
            const double per_step =
                static_cast<double>(a["equivalent_walking_distance"].GetInt64()) / static_cast<double>(steps);
            CHECK(per_step > 0.6);
            CHECK(per_step < 0.8);
            CHECK(a["total_calories"].GetInt64() > a["active_calories"].GetInt64());
            CHECK(a["score"].GetInt() >= 1);
            CHECK(a["score"].GetInt() <= 100);
            for (const auto& c : a["contributors"].GetObject()) {
                CHECK(c.value.GetInt() >= 1);
                CHECK(c.value.GetInt() <= 100);
            }
            if (!docs_of(day, "workout").empty() &&
                a["high_activity_time"].GetInt64() + a["medium_activity_time"].GetInt64() >= 20 * 60)
                ++workout_days_with_high_or_medium;
        }
    }
    CHECK(workout_days_with_high_or_medium > 5);
}

TEST_CASE("heart rate rows are ordered, in UTC, in milliseconds, and never overlap between days", "[unit][sim]") {
    for (int user : {1, 2}) {
        std::int64_t previous = 0;
        const auto& days = run(3, user, jan_2024, 60);
        for (std::size_t i = 0; i < days.size(); ++i) {
            const auto& rows = docs_of(days[i], "heartrate");
            REQUIRE(rows.size() > 100);
            for (const auto& row : rows) {
                REQUIRE(row.ts > previous);  // ordered within a day and across days
                previous = row.ts;
                const auto r = parse(row.json);
                const std::string_view ts = str(r["timestamp"]);
                CHECK(ts.substr(19) == "+00:00");
                CHECK(stamp(ts).utc == row.ts);
                CHECK(r["timestamp_unix"].GetInt64() == row.ts * 1000);
                CHECK(row.day == date_of(jan_2024 + static_cast<std::int64_t>(i)));
                if (user == 2)
                    CHECK((row.ts + 3600) / day_seconds == jan_2024 + static_cast<std::int64_t>(i));  // +01:00
            }
        }
    }
}

TEST_CASE("heart rate is sampled every few minutes awake and every few seconds in a workout", "[unit][sim]") {
    std::map<std::string, int> sources;
    std::vector<std::int64_t> awake_gaps;
    int workouts = 0;
    for (const auto& day : run(3, 0, jan_2024, 60)) {
        std::vector<std::pair<std::int64_t, std::string>> rows;
        for (const auto& row : docs_of(day, "heartrate")) {
            const auto r = parse(row.json);
            rows.emplace_back(row.ts, std::string(str(r["source"])));
            ++sources[rows.back().second];
            const int bpm = r["bpm"].GetInt();
            CHECK(bpm >= 30);
            CHECK(bpm <= 220);
        }
        for (std::size_t i = 1; i < rows.size(); ++i)
            if (rows[i].second == "awake" && rows[i - 1].second == "awake")
                awake_gaps.push_back(rows[i].first - rows[i - 1].first);
        for (const auto& doc : docs_of(day, "workout")) {
            const auto w = parse(doc.json);
            const std::int64_t from = stamp(str(w["start_datetime"])).utc, to = stamp(str(w["end_datetime"])).utc;
            if (stamp(str(w["end_datetime"])).local_day != stamp(str(w["start_datetime"])).local_day) continue;
            std::vector<std::int64_t> in;
            for (const auto& [t, source] : rows)
                if (t >= from && t < to) {
                    CHECK(source == "workout");
                    in.push_back(t);
                }
            REQUIRE(in.size() >= 2);
            for (std::size_t i = 1; i < in.size(); ++i) {
                CHECK(in[i] - in[i - 1] >= 5);
                CHECK(in[i] - in[i - 1] <= 10);
            }
            CHECK(static_cast<std::int64_t>(in.size()) >= (to - from) / 10);
            ++workouts;
        }
    }
    REQUIRE(awake_gaps.size() > 1000);
    std::sort(awake_gaps.begin(), awake_gaps.end());
    const std::int64_t median = awake_gaps[awake_gaps.size() / 2];
    CHECK(median >= 240);
    CHECK(median <= 360);
    CHECK(workouts > 5);
    for (const char* s : {"awake", "sleep", "workout"}) CHECK(sources[s] > 100);
    CHECK(sources["session"] + sources["live"] + sources["rest"] > 0);
}

TEST_CASE("sleep heart rate rows are the night's 5-minute samples", "[unit][sim]") {
    const auto& days = run(3, 1, jan_2024, 40);
    std::map<std::int64_t, std::pair<int, std::string>> rows;  // all rows of the run by time
    for (const auto& day : days)
        for (const auto& row : docs_of(day, "heartrate")) {
            const auto r = parse(row.json);
            rows[row.ts] = {r["bpm"].GetInt(), std::string(str(r["source"]))};
        }
    int nights = 0;
    for (std::size_t i = 1; i < days.size(); ++i) {
        for (const auto& doc : docs_of(days[i], "sleep")) {
            const auto s = parse(doc.json);
            if (str(s["type"]) != "long_sleep") continue;
            const std::int64_t start = stamp(str(s["bedtime_start"])).utc;
            const auto& items = s["heart_rate"]["items"];
            for (rapidjson::SizeType k = 0; k < items.Size(); ++k) {
                auto it = rows.find(start + 300 * static_cast<std::int64_t>(k));
                if (items[k].IsNull()) {
                    CHECK((it == rows.end() || it->second.second != "sleep"));
                    continue;
                }
                REQUIRE(it != rows.end());
                CHECK(it->second.first == static_cast<int>(items[k].GetDouble()));
                CHECK(it->second.second == "sleep");
            }
            ++nights;
        }
    }
    CHECK(nights > 30);
}

TEST_CASE("ring battery falls between charges and rises in the charger", "[unit][sim]") {
    struct Row {
        std::int64_t ts;
        int level;
        bool charging, in_charger;
    };
    std::vector<Row> rows;
    const auto& days = run(3, 0, jan_2024, 60);
    for (const auto& day : days) {
        const auto& list = docs_of(day, "ring_battery_level");
        CHECK(list.size() >= 40);  // about every 30 minutes
        CHECK(list.size() <= 52);
        for (const auto& doc : list) {
            const auto r = parse(doc.json);
            rows.push_back({doc.ts, r["level"].GetInt(), r["charging"].GetBool(), r["in_charger"].GetBool()});
            CHECK(r["timestamp_unix"].GetInt64() == doc.ts * 1000);
        }
    }
    std::int64_t last_charge = rows.front().ts;
    int charges = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row& b = rows[i];
        CHECK(b.level >= 0);
        CHECK(b.level <= 100);
        if (b.charging) CHECK(b.in_charger);
        if (b.in_charger) {
            if (i > 0 && !rows[i - 1].in_charger) ++charges;
            CHECK(b.ts - last_charge <= 6 * day_seconds);
            last_charge = b.ts;
        }
        if (i == 0) continue;
        const Row& a = rows[i - 1];
        if (!a.in_charger && !b.in_charger) CHECK(b.level <= a.level);
        if (a.charging && b.charging) CHECK(b.level >= a.level);
        CHECK(b.ts - a.ts < 4 * 1800);  // a row now and then goes missing, never hours of them
    }
    CHECK(charges >= 10);
    CHECK(std::any_of(rows.begin(), rows.end(),
                      [](const Row& r) { return r.in_charger && !r.charging && r.level == 100; }));
}

TEST_CASE("workouts, sessions and tags vary and leave some days empty", "[unit][sim]") {
    std::set<std::string> activities, sources, intensities, session_types, tag_codes;
    int days_without_workout = 0, custom = 0, sessions = 0, tag_docs = 0;
    for (int user = 0; user < 3; ++user) {
        for (const auto& day : run(5, user, jan_2024, 366)) {
            const auto& workouts = docs_of(day, "workout");
            if (workouts.empty()) ++days_without_workout;
            for (const auto& doc : workouts) {
                const auto w = parse(doc.json);
                activities.insert(std::string(str(w["activity"])));
                sources.insert(std::string(str(w["source"])));
                intensities.insert(std::string(str(w["intensity"])));
                CHECK(stamp(str(w["end_datetime"])).utc > stamp(str(w["start_datetime"])).utc);
                CHECK(w["calories"].GetDouble() > 0);
            }
            for (const auto& doc : docs_of(day, "session")) {
                const auto s = parse(doc.json);
                session_types.insert(std::string(str(s["type"])));
                const std::int64_t length = stamp(str(s["end_datetime"])).utc - stamp(str(s["start_datetime"])).utc;
                for (const char* key : {"heart_rate", "heart_rate_variability", "motion_count"}) {
                    CHECK(s[key]["interval"].GetDouble() == 5.0);
                    CHECK(static_cast<std::int64_t>(s[key]["items"].Size()) == length / 5);
                }
                ++sessions;
            }
            for (const auto& doc : docs_of(day, "enhanced_tag")) {
                const auto t = parse(doc.json);
                tag_codes.insert(std::string(str(t["tag_type_code"])));
                if (t["custom_name"].IsString()) ++custom;
                CHECK(str(t["start_day"]) == doc.day);
            }
            for (const auto& doc : docs_of(day, "tag")) {
                CHECK(parse(doc.json)["tags"].Size() > 0);
                ++tag_docs;
            }
        }
    }
    for (const char* a : {"walking", "running", "cycling", "strength_training"}) CHECK(activities.count(a) == 1);
    CHECK(sources.size() >= 3);
    CHECK(intensities.size() == 3);
    CHECK(days_without_workout > 100);
    CHECK(session_types.size() >= 4);
    CHECK(sessions > 20);
    CHECK(tag_codes.count("tag_generic_alcohol") == 1);
    CHECK(tag_codes.count("tag_generic_caffeine") == 1);
    CHECK(custom > 0);
    CHECK(tag_docs > 50);
}

TEST_CASE("rest mode comes every couple of months and sleep time is sometimes unknown", "[unit][sim]") {
    int periods = 0, with_window = 0, without_window = 0;
    const auto& days = run(5, 0, jan_2024, 366);
    for (std::size_t i = 0; i < days.size(); ++i) {
        for (const auto& doc : docs_of(days[i], "rest_mode_period")) {
            const auto r = parse(doc.json);
            CHECK(str(r["start_day"]) == doc.day);
            CHECK(stamp(str(r["start_time"])).local_day == jan_2024 + static_cast<std::int64_t>(i));
            CHECK(stamp(str(r["end_time"])).utc > stamp(str(r["start_time"])).utc);
            CHECK(str(r["end_day"]) > str(r["start_day"]));
            CHECK(r["episodes"].Size() > 0);
            ++periods;
        }
        const auto& st = docs_of(days[i], "sleep_time");
        REQUIRE(st.size() == 1);
        const auto s = parse(st[0].json);
        if (s["optimal_bedtime"].IsNull()) {
            ++without_window;
        } else {
            ++with_window;
            const int tz = s["optimal_bedtime"]["day_tz"].GetInt();
            CHECK((tz == 2 * 3600 || tz == 3 * 3600));  // the EU user's two offsets
            CHECK(s["optimal_bedtime"]["end_offset"].GetInt() > s["optimal_bedtime"]["start_offset"].GetInt());
        }
    }
    CHECK(periods >= 3);
    CHECK(periods <= 8);
    CHECK(with_window > without_window);
    CHECK(without_window > 10);
}

TEST_CASE("the European user's clock moves on the last Sundays of March and October", "[unit][sim]") {
    const auto o = options_with(9);
    auto activity_offset = [&](year_month_day d) {
        return std::string(
            offset_text(parse(sim::generate_day(o, 0, sys_days{d}).at("daily_activity")[0].json)["timestamp"]));
    };
    // 2024: March 31 and October 27; 2025: March 30 and October 26. The activity day starts at 04:00.
    CHECK(activity_offset(year{2024} / March / 30) == "+02:00");
    CHECK(activity_offset(year{2024} / March / 31) == "+03:00");
    CHECK(activity_offset(year{2024} / October / 26) == "+03:00");
    CHECK(activity_offset(year{2024} / October / 27) == "+02:00");
    CHECK(activity_offset(year{2025} / March / 29) == "+02:00");
    CHECK(activity_offset(year{2025} / March / 30) == "+03:00");
    CHECK(activity_offset(year{2025} / October / 25) == "+03:00");
    CHECK(activity_offset(year{2025} / October / 26) == "+02:00");

    // Midnight of the change day still has the old offset; the night across it ends in the new one.
    const auto spring = sim::generate_day(o, 0, sys_days{year{2024} / March / 31});
    REQUIRE(spring.at("daily_readiness").size() == 1);
    CHECK(offset_text(parse(spring.at("daily_readiness").at(0).json)["timestamp"]) == "+02:00");
    for (const auto& doc : spring.at("sleep")) {
        const auto s = parse(doc.json);
        if (str(s["type"]) == "long_sleep") CHECK(offset_text(s["bedtime_end"]) == "+03:00");
    }
    const auto autumn = sim::generate_day(o, 0, sys_days{year{2024} / October / 27});
    REQUIRE(autumn.at("daily_readiness").size() == 1);
    CHECK(offset_text(parse(autumn.at("daily_readiness").at(0).json)["timestamp"]) == "+03:00");
    const auto bedtime = parse(autumn.at("sleep_time").at(0).json);
    CHECK((bedtime["optimal_bedtime"].IsNull() || bedtime["optimal_bedtime"]["day_tz"].GetInt() == 3 * 3600));
    // From 4 a.m. to 4 a.m. the spring day lasts 23 hours and the autumn day 25.
    auto activity_start = [&](year_month_day d) {
        return sim::generate_day(o, 0, sys_days{d}).at("daily_activity")[0].ts;
    };
    CHECK(activity_start(year{2024} / March / 31) - activity_start(year{2024} / March / 30) == 23 * 3600);
    CHECK(activity_start(year{2024} / October / 27) - activity_start(year{2024} / October / 26) == 25 * 3600);
}

TEST_CASE("the travelling user's clock jumps to +09:00 for about a week and back", "[unit][sim]") {
    // January to early May 2024: three trips and the US change to daylight time on March 10.
    const auto& days = run(5, 1, jan_2024, 126);
    std::string offsets;  // one letter per day: H home, T travelling
    std::set<std::string> home;
    for (std::size_t i = 0; i < days.size(); ++i) {
        const std::int64_t d = jan_2024 + static_cast<std::int64_t>(i);
        const auto a = parse(days[i].at("daily_activity").at(0).json);
        const std::string off(offset_text(a["timestamp"]));
        if (off == "+09:00") {
            offsets += 'T';
        } else {
            offsets += 'H';
            home.insert(off);
            CHECK(off == (d < epoch_day(year{2024} / March / 10) ? "-05:00" : "-04:00"));
        }
        for (const auto& doc : docs_of(days[i], "sleep")) {
            const auto s = parse(doc.json);
            if (str(s["type"]) == "long_sleep") CHECK(stamp(str(s["bedtime_end"])).local_day == d);
        }
    }
    INFO(offsets);
    CHECK(home.size() == 2);
    int trips = 0;
    for (std::size_t i = 0; i < offsets.size();) {
        if (offsets[i] != 'T') {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < offsets.size() && offsets[j] == 'T') ++j;
        if (i > 0 && j < offsets.size()) {
            CHECK(j - i >= 6);
            CHECK(j - i <= 8);
        }
        ++trips;
        i = j;
    }
    CHECK(trips >= 2);
    CHECK(trips <= 4);
}

TEST_CASE("users with a fixed offset keep it all year", "[unit][sim]") {
    for (auto [user, expected] : {std::pair{2, "+01:00"}, std::pair{3, "+05:30"}, std::pair{4, "-08:00"}}) {
        for (const auto& day : run(3, user, jan_2024 + 60, 40)) {
            for (const char* resource : {"daily_activity", "sleep", "workout", "enhanced_tag"}) {
                for (const auto& doc : docs_of(day, resource)) {
                    INFO(resource << " " << doc.json.substr(0, 120));
                    CHECK(doc.json.find("+00:00") == std::string::npos);
                    CHECK(doc.json.find(std::string(expected) + "\"") != std::string::npos);
                }
            }
        }
    }
}

TEST_CASE("personal info and ring configurations describe each user", "[unit][sim]") {
    const auto o = options_with(21);
    const auto users = sim::generate_users(o);
    REQUIRE(users.size() == 5);
    std::set<std::string> ids;
    for (std::size_t i = 0; i < users.size(); ++i) {
        const auto p = parse(users[i].personal_info_json);
        CHECK(str(p["id"]) == users[i].oura_user_id);
        CHECK(str(p["email"]) == "user" + std::to_string(i + 1) + "@example.test");
        CHECK(p["age"].GetInt() >= 18);
        CHECK(p["height"].GetDouble() > 1.4);
        CHECK(p["height"].GetDouble() < 2.1);
        CHECK(p["weight"].GetDouble() > 40);
        CHECK((str(p["biological_sex"]) == "female" || str(p["biological_sex"]) == "male"));
        ids.insert(users[i].oura_user_id);
        const auto rings = sim::generate_ring_configurations(o, static_cast<int>(i));
        CHECK(!rings.empty());
        CHECK(rings.size() <= 2);
        for (const auto& ring : rings) {
            const auto r = parse(ring.json);
            CHECK(offset_text(r["set_up_at"]) == "+00:00");
            CHECK(stamp(str(r["set_up_at"])).utc == ring.ts);
            CHECK(str(r["id"]) == ring.id);
        }
    }
    CHECK(ids.size() == users.size());
}

TEST_CASE("an unknown user index is refused", "[unit][sim]") {
    const auto o = options_with(1);
    CHECK_THROWS_AS(sim::generate_day(o, o.users, as_day(jan_2024)), std::out_of_range);
    CHECK_THROWS_AS(sim::generate_day(o, -1, as_day(jan_2024)), std::out_of_range);
    CHECK_THROWS_AS(sim::generate_ring_configurations(o, o.users), std::out_of_range);
}

TEST_CASE("three years of one user generate in a few seconds", "[unit][sim]") {
    auto o = options_with(42, 1095);
    const auto started = steady_clock::now();
    std::size_t documents = 0, bytes = 0, heart_rows = 0;
    for (int i = 0; i < o.days; ++i) {
        const auto day = sim::generate_day(o, 0, o.end_day - days{o.days - 1 - i});
        for (const auto& [resource, docs] : day) {
            documents += docs.size();
            for (const auto& d : docs) bytes += d.json.size();
            if (resource == "heartrate") heart_rows += docs.size();
        }
    }
    const double seconds = duration<double>(steady_clock::now() - started).count();
    // Timing is reported, never asserted: machines differ.
    WARN("1095 days, 1 user: " << documents << " documents (" << heart_rows << " heart rate rows), "
                               << bytes / (1024 * 1024) << " MiB of JSON in " << seconds << " s");
    CHECK(documents > 1095 * 300);
}
