// oura-sim's data API as a client sees it: documents, windows, pages, errors and the control API.

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>

#include "oura/core/crypto.hpp"
#include "oura/core/time.hpp"
#include "sim_support.hpp"

using namespace oura;
using namespace oura::test::sim;

namespace {

const std::vector<std::string> date_resources = {"daily_activity",
                                                 "daily_cardiovascular_age",
                                                 "daily_readiness",
                                                 "daily_resilience",
                                                 "daily_sleep",
                                                 "daily_spo2",
                                                 "daily_stress",
                                                 "enhanced_tag",
                                                 "rest_mode_period",
                                                 "session",
                                                 "sleep",
                                                 "sleep_time",
                                                 "tag",
                                                 "vO2_max",
                                                 "workout"};
const std::vector<std::string> series_resources = {"heartrate", "ring_battery_level"};

std::string enc(const std::string& s) {
    return http::percent_encode(s);
}

std::string detail_of(const std::string& body) {
    auto doc = json(body);
    return doc["detail"].IsString() ? doc["detail"].GetString() : core::to_json(doc["detail"]);
}

// Follows next_token to the end; returns every item and counts the pages.
std::vector<std::string> all_pages(Sim& sim, const std::string& path_and_query, const std::string& token,
                                   int* pages = nullptr) {
    std::vector<std::string> out;
    std::string next;
    int n = 0;
    do {
        std::string target = path_and_query;
        if (!next.empty()) target += (target.find('?') == std::string::npos ? "?" : "&") + ("next_token=" + enc(next));
        auto r = sim.get(target, token);
        REQUIRE(r.status == 200);
        auto page = items(r.body);
        out.insert(out.end(), page.begin(), page.end());
        auto doc = json(r.body);
        REQUIRE(doc.HasMember("next_token"));
        next = doc["next_token"].IsNull() ? "" : doc["next_token"].GetString();
        ++n;
        REQUIRE(n < 10000);
    } while (!next.empty());
    if (pages) *pages = n;
    return out;
}

const char* const base_args[] = {"--end-date", "2024-03-31"};

std::vector<std::string> args(std::initializer_list<std::string> more) {
    std::vector<std::string> out(std::begin(base_args), std::end(base_args));
    out.insert(out.end(), more);
    return out;
}

}  // namespace

TEST_CASE("oura-sim: --help lists its flags and a bad flag exits 2", "[sim]") {
    auto help = core::run_process({test::binary("oura-sim"), "--help"});
    CHECK(help.exit_code == 0);
    for (const char* flag :
         {"--port", "--users", "--days", "--seed", "--end-date", "--fixtures", "--page-size", "--client-id",
          "--client-secret", "--token-expires-in", "--threads", "--fault", "--rate-limit-per-token",
          "--rate-limit-per-app", "--webhook-retry-base-ms", "--authorize-user", "oura-sim-client", "oura-sim-secret"})
        CHECK(help.out.find(flag) != std::string::npos);
    auto bad = core::run_process({test::binary("oura-sim"), "--no-such-flag"});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("no-such-flag") != std::string::npos);
    auto bad_fault = core::run_process({test::binary("oura-sim"), "--fault", "418"});
    CHECK(bad_fault.exit_code == 2);
}

TEST_CASE("oura-sim: the simulator stops cleanly on SIGTERM", "[sim]") {
    Sim sim(args({"--users", "1", "--days", "3"}));
    CHECK(sim.get("/_sim/health").status == 200);
    CHECK(sim.process().stop(SIGTERM, std::chrono::seconds(10)) == std::optional<int>(0));
}

TEST_CASE("oura-sim: two simulators with the same seed serve the same bytes — another seed differs", "[sim]") {
    Sim a(args({"--users", "2", "--days", "10", "--seed", "5"}));
    Sim b(args({"--users", "2", "--days", "10", "--seed", "5"}));
    Sim c(args({"--users", "2", "--days", "10", "--seed", "6"}));
    auto ta = a.token(1), tb = b.token(1), tc = c.token(1);
    CHECK(a.user_id(1) == b.user_id(1));
    for (std::string q :
         {"/v2/usercollection/sleep?start_date=2024-03-20&end_date=2024-03-31",
          "/v2/usercollection/daily_activity?start_date=2024-03-20&end_date=2024-03-31",
          "/v2/usercollection/"
          "heartrate?start_datetime=2024-03-29T00%3A00%3A00%2B00%3A00&end_datetime=2024-03-31T00%3A00%3A00%2B00%3A00",
          "/v2/usercollection/personal_info", "/v2/usercollection/ring_configuration"}) {
        auto ra = a.get(q, ta), rb = b.get(q, tb), rc = c.get(q, tc);
        REQUIRE(ra.status == 200);
        CHECK(ra.body == rb.body);
        if (q.find("personal_info") == std::string::npos) CHECK(ra.body != rc.body);
    }
    CHECK(a.truth_body(0, "daily_readiness") == b.truth_body(0, "daily_readiness"));
}

TEST_CASE("oura-sim: following next_token with page size 7 yields exactly the ground truth", "[sim]") {
    Sim sim(args({"--users", "1", "--days", "20", "--page-size", "7"}));
    auto token = sim.token(0);
    for (const auto& r : date_resources) {
        int pages = 0;
        auto got =
            all_pages(sim, "/v2/usercollection/" + r + "?start_date=2024-01-01&end_date=2024-12-31", token, &pages);
        auto truth = items(sim.truth_body(0, r));
        INFO(r);
        CHECK(got == truth);
        CHECK(pages == std::max<int>(1, static_cast<int>((truth.size() + 6) / 7)));
        std::set<std::string> ids;
        for (const auto& item : got) ids.insert(core::get_string(json(item), "id").value_or("").data());
        CHECK(ids.size() == got.size());
    }
    for (const auto& r : series_resources) {
        auto got = all_pages(sim,
                             "/v2/usercollection/" + r + "?start_datetime=" + enc("2024-03-10T00:00:00+00:00") +
                                 "&end_datetime=" + enc("2024-04-02T00:00:00+00:00"),
                             token);
        INFO(r);
        CHECK(got == items(sim.truth_body(0, r)));
        CHECK(got.size() > 7);
    }
    CHECK(all_pages(sim, "/v2/usercollection/ring_configuration", token) == items(sim.truth_body(0, "ring_configuration")));
}

TEST_CASE("oura-sim: a next_token is refused with other parameters or when tampered with", "[sim]") {
    Sim sim(args({"--users", "1", "--days", "20", "--page-size", "3"}));
    auto token = sim.token(0);
    auto first = sim.get("/v2/usercollection/daily_sleep?start_date=2024-03-01&end_date=2024-03-31", token);
    REQUIRE(first.status == 200);
    std::string next = json(first.body)["next_token"].GetString();
    auto other = sim.get(
        "/v2/usercollection/daily_sleep?start_date=2024-03-02&end_date=2024-03-31&next_token=" + enc(next), token);
    CHECK(other.status == 400);
    CHECK(detail_of(other.body) == "Invalid next_token.");
    CHECK(sim.get("/v2/usercollection/daily_sleep?start_date=2024-03-01&end_date=2024-03-31&next_token=abc", token)
              .status == 400);
    CHECK(sim.get("/v2/usercollection/daily_sleep?start_date=2024-03-01&end_date=2024-03-31&next_token=" + enc(next),
                  token)
              .status == 200);
}

TEST_CASE("oura-sim: date windows are inclusive, default to yesterday and today, and refuse start after end", "[sim]") {
    Sim sim(args({"--users", "1", "--days", "20"}));
    auto token = sim.token(0);
    auto truth = json(sim.truth_body(0, "daily_sleep"));
    auto days_of = [&](const std::string& body) {
        std::vector<std::string> out;
        auto doc = json(body);
        for (const auto& item : doc["data"].GetArray()) out.push_back(item["day"].GetString());
        return out;
    };
    auto one = sim.get("/v2/usercollection/daily_sleep?start_date=2024-03-20&end_date=2024-03-20", token);
    REQUIRE(one.status == 200);
    CHECK(days_of(one.body) == std::vector<std::string>{"2024-03-20"});
    auto two = sim.get("/v2/usercollection/daily_sleep?start_date=2024-03-19&end_date=2024-03-20", token);
    CHECK(days_of(two.body) == std::vector<std::string>{"2024-03-19", "2024-03-20"});
    auto by_datetime = sim.get(
        "/v2/usercollection/daily_sleep?start_date=" + enc("2024-03-19T22:00:00+02:00") + "&end_date=2024-03-20",
        token);
    CHECK(by_datetime.body == two.body);
    auto defaults = sim.get("/v2/usercollection/daily_sleep", token);
    CHECK(days_of(defaults.body) == std::vector<std::string>{"2024-03-30", "2024-03-31"});

    auto reversed = sim.get("/v2/usercollection/daily_sleep?start_date=2024-03-21&end_date=2024-03-20", token);
    CHECK(reversed.status == 422);
    CHECK(
        reversed.body ==
        R"({"detail":[{"type":"value_error","loc":["query","start_date"],"msg":"Start date must be before end date"}]})");
    auto malformed = sim.get("/v2/usercollection/daily_sleep?start_date=March", token);
    CHECK(malformed.status == 422);
    CHECK(std::string(json(malformed.body)["detail"][0]["loc"][1].GetString()) == "start_date");
}

TEST_CASE("oura-sim: heartrate refuses windows over 30 days and serves latest", "[sim]") {
    Sim sim(args({"--users", "1", "--days", "5"}));
    auto token = sim.token(0);
    auto too_long = sim.get("/v2/usercollection/heartrate?start_datetime=" + enc("2024-02-01T00:00:00+00:00") +
                                "&end_datetime=" + enc("2024-03-03T00:00:00+00:00"),
                            token);
    CHECK(too_long.status == 400);
    CHECK(detail_of(too_long.body).find("30 days") != std::string::npos);
    auto thirty = sim.get("/v2/usercollection/heartrate?start_datetime=" + enc("2024-03-01T00:00:00+00:00") +
                              "&end_datetime=" + enc("2024-03-31T00:00:00+00:00"),
                          token);
    CHECK(thirty.status == 200);
    // A '+' sent unencoded arrives as a space; it is read as the offset sign.
    auto raw_plus = sim.get(
        "/v2/usercollection/heartrate?start_datetime=2024-03-29T00:00:00+01:00&end_datetime=2024-03-30T00:00:00+01:00",
        token);
    auto encoded = sim.get("/v2/usercollection/heartrate?start_datetime=" + enc("2024-03-29T00:00:00+01:00") +
                               "&end_datetime=" + enc("2024-03-30T00:00:00+01:00"),
                           token);
    REQUIRE(raw_plus.status == 200);
    CHECK(raw_plus.body == encoded.body);
    CHECK(!items(encoded.body).empty());

    auto latest =
        sim.get("/v2/usercollection/heartrate?latest=true&start_datetime=" + enc("2024-03-29T00:00:00+01:00") +
                    "&end_datetime=" + enc("2024-03-30T00:00:00+01:00"),
                token);
    REQUIRE(latest.status == 200);
    REQUIRE(items(latest.body).size() == 1);
    CHECK(items(latest.body)[0] == items(encoded.body).back());
    CHECK(sim.get("/v2/usercollection/heartrate/anything", token).status == 404);
}

TEST_CASE("oura-sim: tokens: missing, unknown, expired and short of a scope are distinct 401s", "[sim]") {
    Sim sim(args({"--users", "2", "--days", "3"}));
    auto r = sim.get("/v2/usercollection/daily_sleep");
    CHECK(r.status == 401);
    CHECK(detail_of(r.body) == "Not authenticated");
    r = sim.get("/v2/usercollection/daily_sleep", "not-a-token");
    CHECK(r.status == 401);
    CHECK(detail_of(r.body) == "Invalid access token.");
    auto expired = sim.token(0, R"({"expires_in":0})");
    r = sim.get("/v2/usercollection/daily_sleep", expired);
    CHECK(r.status == 401);
    CHECK(detail_of(r.body) == "Access token has expired.");

    auto good = sim.token(0);
    CHECK(sim.get("/v2/usercollection/daily_sleep", good).status == 200);
    CHECK(sim.post("/_sim/tokens/expire", R"({"access_token":")" + good + "\"}").status == 200);
    CHECK(detail_of(sim.get("/v2/usercollection/daily_sleep", good).body) == "Access token has expired.");

    auto daily_only = sim.token(1, R"({"scopes":["daily"]})");
    CHECK(sim.get("/v2/usercollection/daily_stress", daily_only).status == 200);
    r = sim.get("/v2/usercollection/heartrate", daily_only);
    CHECK(r.status == 401);
    CHECK(detail_of(r.body) == "Token is not authorized access heartrate scope.");
    CHECK(detail_of(sim.get("/v2/usercollection/daily_resilience", daily_only).body) ==
          "Token is not authorized access stress scope.");
    CHECK(detail_of(sim.get("/v2/usercollection/vO2_max", daily_only).body) ==
          "Token is not authorized access heart_health scope.");
    CHECK(detail_of(sim.get("/v2/usercollection/ring_battery_level", daily_only).body) ==
          "Token is not authorized access ring_configuration scope.");

    // Narrowing the user's granted scopes applies to tokens already issued.
    auto all = sim.token(1);
    CHECK(sim.get("/v2/usercollection/workout", all).status == 200);
    CHECK(sim.post("/_sim/users/1/scopes", R"(["daily","heartrate"])").status == 200);
    r = sim.get("/v2/usercollection/workout", all);
    CHECK(r.status == 401);
    CHECK(detail_of(r.body) == "Token is not authorized access workout scope.");
}

TEST_CASE("oura-sim: personal_info shows fields by scope — the id always", "[sim]") {
    Sim sim(args({"--users", "1", "--days", "2"}));
    auto full = json(sim.get("/v2/usercollection/personal_info", sim.token(0)).body);
    CHECK(std::string(full["id"].GetString()) == sim.user_id(0));
    CHECK(full.HasMember("email"));
    CHECK(full.HasMember("age"));
    auto bare = json(sim.get("/v2/usercollection/personal_info", sim.token(0, R"({"scopes":["daily"]})")).body);
    CHECK(std::string(bare["id"].GetString()) == sim.user_id(0));
    for (const char* hidden : {"email", "age", "weight", "height", "biological_sex"})
        CHECK_FALSE(bare.HasMember(hidden));
    auto email_only = json(sim.get("/v2/usercollection/personal_info", sim.token(0, R"({"scopes":"email"})")).body);
    CHECK(email_only.HasMember("email"));
    CHECK_FALSE(email_only.HasMember("age"));
}

TEST_CASE("oura-sim: single documents, unknown routes, fields and the sandbox", "[sim]") {
    Sim sim(args({"--users", "1", "--days", "5"}));
    auto token = sim.token(0);
    auto list =
        items(sim.get("/v2/usercollection/daily_readiness?start_date=2024-03-28&end_date=2024-03-31", token).body);
    REQUIRE(!list.empty());
    std::string id = core::get_string(json(list[0]), "id")->data();
    auto one = sim.get("/v2/usercollection/daily_readiness/" + id, token);
    CHECK(one.status == 200);
    CHECK(core::to_json(json(one.body)) == list[0]);
    auto missing = sim.get("/v2/usercollection/daily_readiness/nope", token);
    CHECK(missing.status == 404);
    CHECK(missing.body == R"({"detail":"Document not found."})");
    auto unknown = sim.get("/v2/usercollection/daily_cycle_phases", token);
    CHECK(unknown.status == 404);
    CHECK(unknown.body == R"({"detail":"Not Found"})");

    auto projected =
        json(sim.get("/v2/usercollection/daily_readiness?start_date=2024-03-28&end_date=2024-03-31&fields=score", token)
                 .body);
    for (const auto& item : projected["data"].GetArray()) {
        for (const auto& m : item.GetObject()) {
            std::string name = m.name.GetString();
            CHECK((name == "id" || name == "day" || name == "timestamp" || name == "score"));
        }
        CHECK(item.HasMember("id"));
    }

    http::Headers any;
    any.set("Authorization", "whatever");
    auto sandbox = sim.http().request(
        "GET", sim.url() + "/v2/sandbox/usercollection/daily_readiness?start_date=2024-03-28&end_date=2024-03-31", any);
    CHECK(sandbox.status == 200);
    CHECK(items(sandbox.body) == list);
}

TEST_CASE("oura-sim: advance adds days — revise and delete show in the API and the truth — reset undoes them",
          "[sim]") {
    Sim sim(args({"--users", "1", "--days", "5"}));
    auto token = sim.token(0);
    auto before = items(sim.truth_body(0, "daily_activity"));
    auto adv = sim.post("/_sim/advance", R"({"days":2})");
    REQUIRE(adv.status == 200);
    CHECK(std::string(json(adv.body)["today"].GetString()) == "2024-04-02");
    CHECK(std::string(json(sim.get("/_sim/clock").body)["today"].GetString()) == "2024-04-02");
    auto after = items(sim.truth_body(0, "daily_activity"));
    CHECK(after.size() > before.size());
    auto fresh = items(sim.get("/v2/usercollection/daily_activity", token).body);  // default window: the new today
    REQUIRE(!fresh.empty());
    CHECK(std::string(json(fresh.back())["day"].GetString()) == "2024-04-02");

    auto sleep_list = json(sim.truth_body(0, "daily_sleep"));
    std::string id = sleep_list["data"][0]["id"].GetString();
    auto old_doc = sim.get("/v2/usercollection/daily_sleep/" + id, token).body;
    auto revised = sim.post("/_sim/documents/0/daily_sleep/" + id + "/revise");
    REQUIRE(revised.status == 200);
    CHECK(revised.body != old_doc);
    CHECK(sim.get("/v2/usercollection/daily_sleep/" + id, token).body == revised.body);
    CHECK(sim.truth_body(0, "daily_sleep").find(revised.body) != std::string::npos);
    auto set = sim.post("/_sim/documents/0/daily_sleep/" + id + "/revise", R"({"set":{"score":42}})");
    CHECK(json(set.body)["score"].GetInt() == 42);

    CHECK(sim.post("/_sim/documents/0/daily_sleep/" + id + "/delete").status == 200);
    CHECK(sim.get("/v2/usercollection/daily_sleep/" + id, token).status == 404);
    CHECK(sim.truth_body(0, "daily_sleep").find(id) == std::string::npos);
    CHECK(sim.post("/_sim/documents/0/daily_sleep/" + id + "/delete").status == 404);

    CHECK(sim.post("/_sim/reset").status == 200);
    CHECK(items(sim.truth_body(0, "daily_activity")) == before);
    CHECK(sim.get("/v2/usercollection/daily_sleep/" + id, token).body == old_doc);  // tokens survive a reset
}

TEST_CASE("oura-sim: fixture mode replays recorded payloads", "[sim]") {
    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / ("sim-fixtures-" + core::to_hex(core::random_bytes(6)));
    fs::create_directories(dir / "alice");
    std::ofstream(dir / "alice" / "personal_info.json") << R"({"id":"recorded-user","email":"r@example.test"})";
    std::ofstream(dir / "alice" / "daily_readiness.json")
        << R"({"data":[{"id":"r1","contributors":{},"day":"2024-03-30","score":77,"timestamp":"2024-03-30T00:00:00+00:00"}]})";
    {
        Sim sim({"--fixtures", dir.string(), "--end-date", "2024-03-31"});
        CHECK(sim.user_id(0) == "recorded-user");
        auto token = sim.token(0);
        auto r = sim.get("/v2/usercollection/daily_readiness", token);
        CHECK(
            r.body ==
            R"({"data":[{"id":"r1","contributors":{},"day":"2024-03-30","score":77,"timestamp":"2024-03-30T00:00:00+00:00"}],"next_token":null})");
        CHECK(sim.get("/v2/usercollection/sleep", token).body == R"({"data":[],"next_token":null})");
    }
    fs::remove_all(dir);
}

TEST_CASE("oura-sim: request counters count routes by status", "[sim]") {
    Sim sim(args({"--users", "1", "--days", "2"}));
    auto token = sim.token(0);
    sim.get("/v2/usercollection/sleep", token);
    sim.get("/v2/usercollection/sleep", token);
    sim.get("/v2/usercollection/sleep");
    auto stats = json(sim.get("/_sim/stats").body);
    CHECK(stats["routes"]["GET /v2/usercollection/sleep"]["200"].GetInt() == 2);
    CHECK(stats["routes"]["GET /v2/usercollection/sleep"]["401"].GetInt() == 1);
}

TEST_CASE("oura-sim: nothing is served later than the simulated now, and advancing by hours fills today in", "[sim]") {
    Sim sim(args({"--users", "2", "--days", "3", "--time-of-day", "06:00"}));
    auto clock = json(sim.get("/_sim/clock").body);
    CHECK(std::string(clock["now"].GetString()).rfind("2024-03-31T06:00:00", 0) == 0);
    const auto today = "/v2/usercollection/heartrate?start_datetime=" + enc("2024-03-31T00:00:00+00:00") +
                       "&end_datetime=" + enc("2024-04-01T00:00:00+00:00");
    // The newest timestamp of a list of samples, and that every one is at or before `now`.
    auto newest = [](const std::vector<std::string>& rows) {
        std::int64_t max = 0;
        for (const auto& row : rows) {
            auto t = core::parse_datetime(std::string(*core::get_string(json(row), "timestamp")));
            REQUIRE(t);
            max = std::max<std::int64_t>(max, t->utc.time_since_epoch().count());
        }
        return max;
    };
    const std::int64_t six = 1711864800;  // 2024-03-31T06:00:00Z
    std::vector<std::size_t> seen;
    for (int user = 0; user < 2; ++user) {
        auto token = sim.token(user);
        auto morning = all_pages(sim, today, token);
        REQUIRE(!morning.empty());
        CHECK(newest(morning) <= six);
        CHECK(newest(items(sim.truth_body(user, "heartrate"))) <= six);
        // Documents still going on at six (a sleep, a workout) are not there yet either.
        for (const auto& resource : {"sleep", "workout", "session"})
            for (const auto& doc : all_pages(
                     sim, std::string("/v2/usercollection/") + resource + "?start_date=2024-03-29&end_date=2024-04-01",
                     token)) {
                auto d = json(doc);
                auto end = core::get_string(d, "bedtime_end");
                if (!end) end = core::get_string(d, "end_datetime");
                REQUIRE(end);
                CHECK(core::parse_datetime(std::string(*end))->utc.time_since_epoch().count() <= six);
            }
        seen.push_back(morning.size());
    }

    auto noon = json(sim.post("/_sim/advance", R"({"hours":6})").body);
    CHECK(std::string(noon["today"].GetString()) == "2024-03-31");
    CHECK(std::string(noon["now"].GetString()).rfind("2024-03-31T12:00:00", 0) == 0);
    for (int user = 0; user < 2; ++user) {
        auto token = sim.token(user);
        auto later = all_pages(sim, today, token);
        CHECK(later.size() > seen[static_cast<std::size_t>(user)]);
        CHECK(newest(later) <= six + 6 * 3600);
        CHECK(newest(later) > six);
    }

    // Past midnight the next day is there, and only its first hours.
    auto next = json(sim.post("/_sim/advance", R"({"hours":14})").body);
    CHECK(std::string(next["today"].GetString()) == "2024-04-01");
    auto token = sim.token(0);
    auto tomorrow = all_pages(sim,
                              "/v2/usercollection/heartrate?start_datetime=" + enc("2024-04-01T00:00:00+00:00") +
                                  "&end_datetime=" + enc("2024-04-02T00:00:00+00:00"),
                              token);
    REQUIRE(!tomorrow.empty());
    CHECK(newest(tomorrow) <= six + 20 * 3600);
    CHECK(sim.post("/_sim/advance", R"({"hours":-1})").status == 400);
}
