// oura-sim's fault injection and rate limits as a client notices them: statuses, headers, time,
// broken connections.

#include "sim_support.hpp"

using namespace oura;
using namespace oura::test::sim;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> small = {"--users", "2", "--days", "2", "--end-date", "2024-03-31"};

std::vector<std::string> with(std::vector<std::string> more) {
    auto out = small;
    out.insert(out.end(), more.begin(), more.end());
    return out;
}

void add_fault(Sim& sim, const std::string& json_body) {
    REQUIRE(sim.post("/_sim/faults", json_body).status == 200);
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

TEST_CASE("oura-sim: an injected 429 carries Retry-After and the four X-RateLimit headers", "[sim][fault]") {
    Sim sim(small);
    auto token = sim.token(0);
    add_fault(sim, R"({"route":"/v2/usercollection/sleep","kind":"429","count":1,"retry_after":2})");
    CHECK(sim.get("/v2/usercollection/daily_sleep", token).status == 200);  // another route
    auto r = sim.get("/v2/usercollection/sleep", token);
    REQUIRE(r.status == 429);
    CHECK(r.headers.get("Retry-After") == std::optional<std::string_view>("2"));
    CHECK(r.headers.get("X-RateLimit-Limit"));
    CHECK(r.headers.get("X-RateLimit-Window"));
    CHECK(r.headers.get("X-RateLimit-Tier"));
    auto reset = std::stoll(std::string(r.headers.get("X-RateLimit-Reset").value_or("0")));
    CHECK(std::abs(reset - (unix_now() + 2)) <= 2);
    CHECK(sim.get("/v2/usercollection/sleep", token).status == 200);  // count 1: only once
}

TEST_CASE("oura-sim: scripted 5xx faults answer in order, then the route recovers", "[sim][fault]") {
    Sim sim(with({"--fault", "503:route=/v2/usercollection/workout,count=1"}));
    auto token = sim.token(0);
    CHECK(sim.get("/v2/usercollection/workout", token).status == 503);  // from the --fault flag
    add_fault(
        sim,
        R"([{"route":"/v2/usercollection/*","kind":500,"count":1},{"route":"/v2/usercollection/*","kind":502,"count":2}])");
    std::vector<int> statuses;
    for (int i = 0; i < 4; ++i) statuses.push_back(sim.get("/v2/usercollection/workout", token).status);
    CHECK(statuses == std::vector<int>{500, 502, 502, 200});
    auto stats = json(sim.get("/_sim/stats").body);
    CHECK(stats["routes"]["GET /v2/usercollection/workout"]["502"].GetInt() == 2);
}

TEST_CASE("oura-sim: a global fault never touches the control API and can be cleared", "[sim][fault]") {
    Sim sim(small);
    auto token = sim.token(0);
    add_fault(sim, R"({"route":"*","kind":"500"})");
    CHECK(sim.get("/v2/usercollection/sleep", token).status == 500);
    CHECK(sim.get("/_sim/health").status == 200);
    CHECK(sim.request("DELETE", "/_sim/faults").status == 200);
    CHECK(sim.get("/v2/usercollection/sleep", token).status == 200);
}

TEST_CASE("oura-sim: latency delays a normal answer measurably", "[sim][fault]") {
    Sim sim(small);
    auto token = sim.token(0);
    auto normal = sim.get("/v2/usercollection/sleep", token);
    add_fault(sim, R"({"route":"/v2/usercollection/sleep","kind":"latency","latency_ms":400,"count":1})");
    auto start = std::chrono::steady_clock::now();
    auto slow = sim.get("/v2/usercollection/sleep", token);
    auto took = std::chrono::steady_clock::now() - start;
    CHECK(took >= 400ms);
    CHECK(slow.status == 200);
    CHECK(slow.body == normal.body);
}

TEST_CASE("oura-sim: a truncated body and a reset connection are transport errors", "[sim][fault]") {
    Sim sim(small);
    auto token = sim.token(0);
    add_fault(sim, R"({"route":"/v2/usercollection/daily_activity","kind":"truncate","count":1})");
    CHECK_THROWS_AS(sim.get("/v2/usercollection/daily_activity", token), http::transport_error);
    add_fault(sim, R"({"route":"/v2/usercollection/daily_activity","kind":"reset","count":1})");
    // A fresh client: ours retries a reset on a reused keep-alive connection once, by design.
    http::Client fresh;
    http::Headers h;
    h.set("Authorization", "Bearer " + token);
    try {
        fresh.request("GET", sim.url() + "/v2/usercollection/daily_activity", h);
        FAIL("a reset connection answered");
    } catch (const http::transport_error& e) {
        CHECK(e.kind() == http::TransportError::reset);
    }
    CHECK(sim.get("/v2/usercollection/daily_activity", token).status == 200);
}

TEST_CASE("oura-sim: a hang outlasts the client's read timeout", "[sim][fault]") {
    Sim sim(small);
    auto token = sim.token(0);
    add_fault(sim, R"({"route":"/v2/usercollection/heartrate","kind":"hang","latency_ms":1200,"count":1})");
    http::ClientOptions o;
    o.read_timeout = 300ms;
    http::Client impatient(o);
    http::Headers h;
    h.set("Authorization", "Bearer " + token);
    auto start = std::chrono::steady_clock::now();
    try {
        impatient.request("GET", sim.url() + "/v2/usercollection/heartrate", h);
        FAIL("the hang answered within the timeout");
    } catch (const http::transport_error& e) {
        CHECK(e.kind() == http::TransportError::timeout);
    }
    CHECK(std::chrono::steady_clock::now() - start < 1000ms);
}

TEST_CASE("oura-sim: probabilistic faults repeat with the seed", "[sim][fault]") {
    auto pattern = [](const std::string& seed) {
        Sim sim(with({"--seed", seed, "--fault", "503:probability=0.5"}));
        auto token = sim.token(0);
        std::string out;
        for (int i = 0; i < 24; ++i) out += sim.get("/v2/usercollection/sleep", token).status == 503 ? 'x' : '.';
        return out;
    };
    auto a = pattern("9");
    CHECK(a == pattern("9"));
    CHECK(a.find('x') != std::string::npos);
    CHECK(a.find('.') != std::string::npos);
}

TEST_CASE("oura-sim: the per-token rate limit answers 429 with correct headers", "[sim][fault]") {
    Sim sim(with({"--rate-limit-per-token", "3/60"}));
    auto a = sim.token(0), b = sim.token(1);
    for (int i = 0; i < 3; ++i) REQUIRE(sim.get("/v2/usercollection/sleep", a).status == 200);
    auto refused = sim.get("/v2/usercollection/sleep", a);
    REQUIRE(refused.status == 429);
    CHECK(refused.headers.get("X-RateLimit-Limit") == std::optional<std::string_view>("3"));
    CHECK(refused.headers.get("X-RateLimit-Window") == std::optional<std::string_view>("60"));
    CHECK(refused.headers.get("X-RateLimit-Tier") == std::optional<std::string_view>("token"));
    auto retry = std::stoi(std::string(refused.headers.get("Retry-After").value_or("0")));
    CHECK(retry >= 1);
    CHECK(retry <= 60);
    auto reset = std::stoll(std::string(refused.headers.get("X-RateLimit-Reset").value_or("0")));
    CHECK(std::abs(reset - (unix_now() + retry)) <= 2);
    CHECK(sim.get("/v2/usercollection/sleep", b).status == 200);  // another token, its own budget
}

TEST_CASE("oura-sim: the per-app rate limit counts every token", "[sim][fault]") {
    Sim sim(with({"--rate-limit-per-app", "4/60"}));
    auto a = sim.token(0), b = sim.token(1);
    for (int i = 0; i < 2; ++i) {
        REQUIRE(sim.get("/v2/usercollection/sleep", a).status == 200);
        REQUIRE(sim.get("/v2/usercollection/sleep", b).status == 200);
    }
    auto refused = sim.get("/v2/usercollection/sleep", b);
    REQUIRE(refused.status == 429);
    CHECK(refused.headers.get("X-RateLimit-Tier") == std::optional<std::string_view>("application"));
    CHECK(sim.get("/_sim/health").status == 200);
}
