#include "sim_query.hpp"

#include <catch2/catch.hpp>

#include "oura/core/json.hpp"
#include "oura/core/time.hpp"

using namespace oura::sim;

namespace {

std::chrono::sys_days day(const char* s) {
    return *oura::core::parse_date(s);
}

Document doc(std::string id, std::string d, std::int64_t ts) {
    return Document{id, d, ts, "{\"id\":\"" + id + "\",\"day\":\"" + d + "\",\"score\":1,\"extra\":[1,2]}"};
}

}  // namespace

TEST_CASE("a date window defaults to yesterday and today", "[unit][sim]") {
    auto w = parse_date_window({}, day("2024-03-10"));
    REQUIRE(std::holds_alternative<DateWindow>(w));
    CHECK(std::get<DateWindow>(w).start_day == "2024-03-09");
    CHECK(std::get<DateWindow>(w).end_day == "2024-03-10");
}

TEST_CASE("a date window takes the date part of a date-time", "[unit][sim]") {
    auto w =
        parse_date_window({{"start_date", "2024-03-01T23:00:00+02:00"}, {"end_date", "2024-03-05"}}, day("2024-03-10"));
    REQUIRE(std::holds_alternative<DateWindow>(w));
    CHECK(std::get<DateWindow>(w).start_day == "2024-03-01");
}

TEST_CASE("start_date after end_date is a 422 with the observed detail", "[unit][sim]") {
    auto w = parse_date_window({{"start_date", "2024-03-06"}, {"end_date", "2024-03-05"}}, day("2024-03-10"));
    REQUIRE(std::holds_alternative<ApiError>(w));
    const auto& e = std::get<ApiError>(w);
    CHECK(e.status == 422);
    CHECK(
        e.body ==
        R"({"detail":[{"type":"value_error","loc":["query","start_date"],"msg":"Start date must be before end date"}]})");
}

TEST_CASE("a malformed date is a 422 naming the parameter", "[unit][sim]") {
    auto w = parse_date_window({{"end_date", "yesterday"}}, day("2024-03-10"));
    REQUIRE(std::holds_alternative<ApiError>(w));
    CHECK(std::get<ApiError>(w).status == 422);
    auto body = oura::core::parse_json(std::get<ApiError>(w).body);
    CHECK(std::string(body["detail"][0]["loc"][1].GetString()) == "end_date");
}

TEST_CASE("a datetime window accepts %2B, a decoded '+' and Z", "[unit][sim]") {
    std::int64_t now = 1710000000;
    for (const char* start : {"2024-03-01T00:00:00+01:00", "2024-03-01T00:00:00 01:00"}) {
        auto w = parse_time_window({{"start_datetime", start}, {"end_datetime", "2024-03-02T00:00:00Z"}}, now);
        REQUIRE(std::holds_alternative<TimeWindow>(w));
        CHECK(std::get<TimeWindow>(w).start == 1709247600);  // 2024-02-29T23:00:00Z
        CHECK(std::get<TimeWindow>(w).end == 1709337600);
    }
}

TEST_CASE("a datetime window defaults to the last 24 hours", "[unit][sim]") {
    auto w = parse_time_window({}, 1710000000);
    REQUIRE(std::holds_alternative<TimeWindow>(w));
    CHECK(std::get<TimeWindow>(w).end == 1710000000);
    CHECK(std::get<TimeWindow>(w).start == 1710000000 - 86400);
    CHECK_FALSE(std::get<TimeWindow>(w).given);
}

TEST_CASE("a datetime window over 30 days is a 400, exactly 30 days is fine", "[unit][sim]") {
    auto ok =
        parse_time_window({{"start_datetime", "2024-01-01T00:00:00Z"}, {"end_datetime", "2024-01-31T00:00:00Z"}}, 0);
    CHECK(std::holds_alternative<TimeWindow>(ok));
    auto bad =
        parse_time_window({{"start_datetime", "2024-01-01T00:00:00Z"}, {"end_datetime", "2024-01-31T00:00:01Z"}}, 0);
    REQUIRE(std::holds_alternative<ApiError>(bad));
    CHECK(std::get<ApiError>(bad).status == 400);
}

TEST_CASE("latest must be a boolean", "[unit][sim]") {
    CHECK(std::get<TimeWindow>(parse_time_window({{"latest", "true"}}, 100000)).latest);
    auto bad = parse_time_window({{"latest", "maybe"}}, 100000);
    REQUIRE(std::holds_alternative<ApiError>(bad));
    CHECK(std::get<ApiError>(bad).status == 422);
}

TEST_CASE("date and time ranges are inclusive on both ends", "[unit][sim]") {
    std::vector<Document> docs{doc("a", "2024-01-01", 10), doc("b", "2024-01-02", 20), doc("c", "2024-01-02", 30),
                               doc("d", "2024-01-04", 40)};
    CHECK(date_range(docs, "2024-01-02", "2024-01-03") == std::pair<std::size_t, std::size_t>{1, 3});
    CHECK(date_range(docs, "2024-01-01", "2024-01-04") == std::pair<std::size_t, std::size_t>{0, 4});
    CHECK(date_range(docs, "2024-01-05", "2024-01-09") == std::pair<std::size_t, std::size_t>{4, 4});
    CHECK(time_range(docs, 20, 30) == std::pair<std::size_t, std::size_t>{1, 3});
}

TEST_CASE("a page token round-trips and refuses other queries", "[unit][sim]") {
    Params p{{"start_date", "2024-01-01"}, {"end_date", "2024-01-31"}};
    auto fp = query_fingerprint("user-a", "sleep", p);
    auto token = encode_page_token(200, fp);
    CHECK(decode_page_token(token, fp) == std::optional<std::size_t>(200));
    Params reordered{{"end_date", "2024-01-31"}, {"start_date", "2024-01-01"}, {"next_token", token}};
    CHECK(query_fingerprint("user-a", "sleep", reordered) == fp);
    CHECK_FALSE(decode_page_token(token, query_fingerprint("user-a", "sleep", {{"start_date", "2024-01-02"}})));
    CHECK_FALSE(decode_page_token(token, query_fingerprint("user-b", "sleep", p)));
    CHECK_FALSE(decode_page_token(token, query_fingerprint("user-a", "workout", p)));
    CHECK_FALSE(decode_page_token("not a token!", fp));
}

TEST_CASE("the envelope concatenates items and writes next_token last", "[unit][sim]") {
    std::vector<Document> docs{doc("a", "2024-01-01", 10), doc("b", "2024-01-02", 20)};
    CHECK(build_envelope(docs, std::nullopt) ==
          "{\"data\":[" + docs[0].json + "," + docs[1].json + "],\"next_token\":null}");
    CHECK(build_envelope({}, std::string("abc")) == R"({"data":[],"next_token":"abc"})");
}

TEST_CASE("fields projects items but keeps id, day and timestamp", "[unit][sim]") {
    CHECK(parse_fields(std::string_view("score, extra,,score")) == std::vector<std::string>{"score", "extra"});
    auto projected =
        project_fields(R"({"id":"x","contributors":{"a":1},"day":"2024-01-01","score":5,"timestamp":"t"})", {"score"});
    CHECK(projected == R"({"id":"x","day":"2024-01-01","score":5,"timestamp":"t"})");
}

TEST_CASE("base64 decodes both alphabets, with or without padding", "[unit][sim]") {
    CHECK(base64_decode("aGVsbG8") == std::optional<std::string>("hello"));
    CHECK(base64_decode("aGVsbG8=") == std::optional<std::string>("hello"));
    CHECK(base64_decode("-_8") == base64_decode("+/8"));
    CHECK_FALSE(base64_decode("a"));
    CHECK_FALSE(base64_decode("a*b"));
}

TEST_CASE("append_query adds to an existing query and drops a fragment", "[unit][sim]") {
    CHECK(append_query("http://x/cb", {{"code", "a b"}}) == "http://x/cb?code=a%20b");
    CHECK(append_query("http://x/cb?k=1#frag", {{"state", "s"}}) == "http://x/cb?k=1&state=s");
}
