// The Oura API client against an in-process server playing Oura, well and badly behaved.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <sstream>

#include "oura/api/client.hpp"
#include "oura/http/server.hpp"

using namespace oura;
using namespace oura::api;
using namespace std::chrono;

namespace {

// A fake Oura: answers from a script (one response per request, the last one repeating) and
// records what it was asked.
class FakeOura {
public:
    FakeOura() : server_({}, [this](const http::Request& r) { return handle(r); }) { server_.start(); }

    std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
    void on(std::string path, std::vector<http::Response> script) {
        std::lock_guard lock(mutex_);
        scripts_[std::move(path)] = std::deque<http::Response>(script.begin(), script.end());
    }
    void route(std::string path, std::function<http::Response(const http::Request&)> fn) {
        std::lock_guard lock(mutex_);
        routes_[std::move(path)] = std::move(fn);
    }
    std::vector<http::Request> requests(std::string_view path = {}) const {
        std::lock_guard lock(mutex_);
        std::vector<http::Request> out;
        for (const auto& r : seen_)
            if (path.empty() || r.path() == path) out.push_back(r);
        return out;
    }

private:
    http::Response handle(const http::Request& r) {
        auto res = answer(r);
        // Every connection ends with its answer, so no server session is still alive when the
        // server stops (http::Server can leak a session that is cancelled during stop()).
        res.close = true;
        return res;
    }

    http::Response answer(const http::Request& r) {
        std::lock_guard lock(mutex_);
        seen_.push_back(r);
        std::string path(r.path());
        if (auto it = routes_.find(path); it != routes_.end()) return it->second(r);
        auto it = scripts_.find(path);
        if (it == scripts_.end() || it->second.empty()) return http::json_response(404, R"({"detail":"Not Found"})");
        auto res = it->second.front();
        if (it->second.size() > 1) it->second.pop_front();
        return res;
    }

    mutable std::mutex mutex_;
    std::map<std::string, std::deque<http::Response>> scripts_;
    std::map<std::string, std::function<http::Response(const http::Request&)>> routes_;
    std::vector<http::Request> seen_;
    http::Server server_;
};

struct RecordingMetrics : ApiMetrics {
    std::mutex mutex;
    std::vector<std::string> outcomes;
    int rate_limited = 0;
    void observe(std::string_view resource, std::string_view outcome, double) override {
        std::lock_guard lock(mutex);
        outcomes.push_back(std::string(resource) + ":" + std::string(outcome));
    }
    void on_rate_limited() override {
        std::lock_guard lock(mutex);
        ++rate_limited;
    }
};

struct Sleeps {
    std::mutex mutex;
    std::vector<milliseconds> calls;
    milliseconds total() {
        std::lock_guard lock(mutex);
        milliseconds t{0};
        for (auto c : calls) t += c;
        return t;
    }
    std::size_t count() {
        std::lock_guard lock(mutex);
        return calls.size();
    }
    SleepFunction fn() {
        return [this](milliseconds d) {
            std::lock_guard lock(mutex);
            calls.push_back(d);
        };
    }
};

// Everything a test client needs; the clock stands still and sleeping only records.
struct Harness {
    FakeOura oura;
    core::ManualClock clock{system_clock::time_point{sys_days{2025y / 6 / 1}}};
    Sleeps sleeps;
    RecordingMetrics metrics;
    std::ostringstream log_text;
    core::Logger log{"api-test", core::Level::debug, &log_text};

    ApiOptions options() {
        ApiOptions o;
        o.api_base_url = oura.url();
        o.auth_base_url = oura.url();
        o.client_id = "client-id-1";
        o.client_secret = "client-secret-xyz";
        o.http.connect_timeout = seconds(2);
        o.http.read_timeout = seconds(5);
        o.retry.max_attempts = 4;
        o.clock = &clock;
        o.sleep = sleeps.fn();
        o.metrics = &metrics;
        return o;
    }
};

const std::string token = "ACCESS-TOKEN-SECRET-0001";

http::Response page(std::string data, std::string next) {
    return http::json_response(200, R"({"data":)" + data + R"(,"next_token":)" + next + "}");
}

std::vector<std::string> fetch_all(OuraClient& client, const Resource& r, const QueryParams& q) {
    std::vector<std::string> items;
    client.fetch_collection(token, r, q, [&](Page&& p) {
        for (auto& i : p.items) items.push_back(std::move(i));
    });
    return items;
}

// A local port nobody listens on: bound without listen(), so every connect is refused.
std::uint16_t closed_port() {
    static int fd = -1;
    static std::uint16_t port = 0;
    if (fd < 0) {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        socklen_t len = sizeof addr;
        REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port = ntohs(addr.sin_port);
    }
    return port;
}

ErrorKind kind_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const api_error& e) {
        return e.kind();
    }
    FAIL("no api_error thrown");
    return ErrorKind::network;
}

}  // namespace

TEST_CASE("a collection is followed across three pages with the same parameters", "[e2e][api]") {
    Harness h;
    h.oura.route("/v2/usercollection/sleep", [](const http::Request& r) {
        auto next = r.query("next_token");
        if (!next) return page(R"([{"id":"a","day":"2024-03-10"}])", R"("p2+/=")");
        if (*next == "p2+/=") return page(R"([{"id":"b"},{"id":"c"}])", R"("p3")");
        if (*next == "p3") return page(R"([{"id":"d"}])", "null");
        return http::json_response(400, R"({"detail":"bad token"})");
    });
    OuraClient client(h.options(), h.log);
    const auto& sleep = *find_resource("sleep");
    auto q = query_for(sleep, Window{sys_days{2024y / 3 / 10}, sys_days{2024y / 3 / 10}});
    auto items = fetch_all(client, sleep, q);
    CHECK(items == std::vector<std::string>{R"({"id":"a","day":"2024-03-10"})", R"({"id":"b"})", R"({"id":"c"})",
                                            R"({"id":"d"})"});
    auto reqs = h.oura.requests("/v2/usercollection/sleep");
    REQUIRE(reqs.size() == 3);
    for (const auto& r : reqs) {
        CHECK(r.query("start_date") == "2024-03-09");
        CHECK(r.query("end_date") == "2024-03-11");
        CHECK(r.headers.get("Authorization") == "Bearer " + token);
    }
    CHECK_FALSE(reqs[0].query("next_token"));
    CHECK(reqs[1].query("next_token") == "p2+/=");
    CHECK(reqs[1].target.find("next_token=p2%2B%2F%3D") != std::string::npos);
    CHECK(reqs[2].query("next_token") == "p3");
    CHECK(h.sleeps.count() == 0);
    // Logs: one debug line per page, and never the token or a next_token.
    auto logs = h.log_text.str();
    CHECK(logs.find(token) == std::string::npos);
    CHECK(logs.find("p2+/=") == std::string::npos);
    CHECK(std::count(h.metrics.outcomes.begin(), h.metrics.outcomes.end(), "sleep:ok") == 3);
}

TEST_CASE("heart rate goes out with the offset's plus encoded and comes back as rows", "[e2e][api]") {
    Harness h;
    h.oura.route("/v2/usercollection/heartrate", [](const http::Request& r) {
        if (r.target.find("%2B00%3A00") == std::string::npos) return http::json_response(422, R"({"detail":"bad"})");
        if (r.query("start_datetime") != "2024-01-01T00:00:00+00:00")
            return http::json_response(422, R"({"detail":"bad start"})");
        return page(R"([{"bpm":60,"source":"awake","timestamp":"2024-01-01T00:00:05+00:00"}])", "null");
    });
    OuraClient client(h.options(), h.log);
    const auto& hr = *find_resource("heartrate");
    auto items = fetch_all(client, hr, query_for(hr, Window{sys_days{2024y / 1 / 1}, sys_days{2024y / 1 / 29}}));
    CHECK(items.size() == 1);
}

TEST_CASE("two server errors and then an answer: three calls, the fetch succeeds", "[fault][api]") {
    Harness h;
    h.oura.on("/v2/usercollection/daily_sleep",
              {http::json_response(500, R"({"detail":"boom"})"), http::text_response(502, "<html>bad gateway</html>"),
               page(R"([{"id":"x"}])", "null")});
    OuraClient client(h.options(), h.log);
    auto items = fetch_all(client, *find_resource("daily_sleep"), {{"start_date", "2024-01-01"}});
    CHECK(items.size() == 1);
    CHECK(h.oura.requests().size() == 3);
    CHECK(h.sleeps.count() == 2);  // a backoff pause before each retry
    CHECK(h.metrics.outcomes ==
          std::vector<std::string>{"daily_sleep:server_error", "daily_sleep:server_error", "daily_sleep:ok"});
    CHECK(h.log_text.str().find("retrying Oura call") != std::string::npos);
    CHECK(client.breaker().state() == CircuitBreaker::State::closed);
}

TEST_CASE("a failing page is retried from its own next_token, not from the start", "[fault][api]") {
    Harness h;
    std::atomic<int> page2_calls{0};
    h.oura.route("/v2/usercollection/workout", [&](const http::Request& r) {
        if (!r.query("next_token")) return page(R"([{"id":"1"}])", R"("two")");
        if (page2_calls++ == 0) return http::json_response(503, R"({"detail":"unavailable"})");
        return page(R"([{"id":"2"}])", "null");
    });
    OuraClient client(h.options(), h.log);
    std::vector<std::size_t> sizes;
    client.fetch_collection(token, *find_resource("workout"), {}, [&](Page&& p) { sizes.push_back(p.items.size()); });
    CHECK(sizes == std::vector<std::size_t>{1, 1});
    auto reqs = h.oura.requests();
    REQUIRE(reqs.size() == 3);
    CHECK(reqs[1].query("next_token") == "two");
    CHECK(reqs[2].query("next_token") == "two");
}

TEST_CASE("a 429 holds this caller and every other caller of the gate for Retry-After", "[fault][api]") {
    Harness h;
    auto limited = http::json_response(429, R"({"detail":"Too Many Requests"})");
    limited.headers.set("Retry-After", "1");
    h.oura.on("/v2/usercollection/daily_activity", {limited, page(R"([{"id":"a"}])", "null")});
    h.oura.on("/v2/usercollection/daily_stress", {page(R"([{"id":"s"}])", "null")});
    auto gate = std::make_shared<RateGate>(h.clock, h.sleeps.fn());
    auto opts = h.options();
    opts.rate_gate = gate;
    OuraClient first(opts, h.log);
    OuraClient second(opts, h.log);

    CHECK(fetch_all(first, *find_resource("daily_activity"), {}).size() == 1);
    CHECK(h.sleeps.total() >= seconds(1));
    CHECK(h.metrics.rate_limited == 1);
    CHECK(h.oura.requests("/v2/usercollection/daily_activity").size() == 2);

    // The clock has not moved (sleeping only records), so the gate is still closed for everyone.
    auto before = h.sleeps.count();
    CHECK(fetch_all(second, *find_resource("daily_stress"), {}).size() == 1);
    CHECK(h.sleeps.count() == before + 1);
    CHECK(h.sleeps.calls.back() >= seconds(1));
}

TEST_CASE("a 429 asking for a longer pause than allowed fails with retry_after instead of waiting", "[fault][api]") {
    Harness h;
    auto limited = http::json_response(429, R"({"detail":"Too Many Requests"})");
    limited.headers.set("Retry-After", "900");
    h.oura.on("/v2/usercollection/tag", {limited});
    OuraClient client(h.options(), h.log);
    try {
        fetch_all(client, *find_resource("tag"), {});
        FAIL("no error");
    } catch (const api_error& e) {
        CHECK(e.kind() == ErrorKind::rate_limited);
        REQUIRE(e.retry_after());
        CHECK(*e.retry_after() >= seconds(899));
    }
    CHECK(h.oura.requests().size() == 1);
    CHECK(h.sleeps.count() == 0);
}

TEST_CASE("a truncated body or broken JSON is retried", "[fault][api]") {
    Harness h;
    auto truncated = page(R"([{"id":"a","payload":")" + std::string(2000, 'x') + R"("}])", "null");
    truncated.fault = http::Fault::truncate;
    h.oura.on("/v2/usercollection/session",
              {truncated, http::json_response(200, R"({"data":[{"id":"a"},)"), page(R"([{"id":"a"}])", "null")});
    OuraClient client(h.options(), h.log);
    auto items = fetch_all(client, *find_resource("session"), {});
    CHECK(items == std::vector<std::string>{R"({"id":"a"})"});
    CHECK(h.oura.requests().size() == 3);
    CHECK(h.metrics.outcomes == std::vector<std::string>{"session:network", "session:bad_response", "session:ok"});
}

TEST_CASE("a persistently failing Oura opens the breaker and later calls fail fast", "[fault][api]") {
    Harness h;
    h.oura.on("/v2/usercollection/daily_spo2", {http::json_response(500, R"({"detail":"down"})")});
    auto opts = h.options();
    opts.retry.max_attempts = 2;
    opts.breaker_threshold = 3;
    opts.breaker_cooldown = seconds(30);
    OuraClient client(opts, h.log);
    const auto& spo2 = *find_resource("daily_spo2");

    CHECK(kind_of([&] { fetch_all(client, spo2, {}); }) == ErrorKind::server_error);  // 2 calls
    CHECK(kind_of([&] { fetch_all(client, spo2, {}); }) == ErrorKind::breaker_open);  // 1 call, then open
    CHECK(h.oura.requests().size() == 3);
    CHECK(client.breaker().state() == CircuitBreaker::State::open);
    for (int i = 0; i < 5; ++i) CHECK(kind_of([&] { fetch_all(client, spo2, {}); }) == ErrorKind::breaker_open);
    CHECK(h.oura.requests().size() == 3);  // Oura was not called again

    // After the cooldown one trial goes through; Oura is back, so the breaker closes.
    h.oura.on("/v2/usercollection/daily_spo2", {page("[]", "null")});
    h.clock.advance(seconds(30));
    CHECK(fetch_all(client, spo2, {}).empty());
    CHECK(client.breaker().state() == CircuitBreaker::State::closed);
    CHECK(h.oura.requests().size() == 4);
}

TEST_CASE("an expired token fails at once, without retries and without the token in the error", "[e2e][api]") {
    Harness h;
    h.oura.on("/v2/usercollection/daily_readiness", {http::json_response(401, R"({"detail":"Invalid token"})")});
    OuraClient client(h.options(), h.log);
    try {
        fetch_all(client, *find_resource("daily_readiness"), {});
        FAIL("no error");
    } catch (const api_error& e) {
        CHECK(e.kind() == ErrorKind::expired_token);
        CHECK(e.status() == 401);
        CHECK(std::string(e.what()).find(token) == std::string::npos);
    }
    CHECK(h.oura.requests().size() == 1);
    CHECK(h.sleeps.count() == 0);
}

TEST_CASE("a missing scope names the scope and is not retried", "[e2e][api]") {
    Harness h;
    h.oura.on("/v2/usercollection/vO2_max",
              {http::json_response(401, R"({"detail":"Token is not authorized access heart_health scope."})")});
    OuraClient client(h.options(), h.log);
    try {
        fetch_all(client, *find_resource("vO2_max"), {});
        FAIL("no error");
    } catch (const api_error& e) {
        CHECK(e.kind() == ErrorKind::missing_scope);
        CHECK(e.scope() == "heart_health");
    }
    CHECK(h.oura.requests().size() == 1);
}

TEST_CASE("single documents: found, missing, and personal_info as one page", "[e2e][api]") {
    Harness h;
    h.oura.on("/v2/usercollection/sleep/doc%2F1", {http::json_response(200, R"({"id":"doc/1","day":"2024-01-01"})")});
    h.oura.on("/v2/usercollection/sleep/doc 1", {http::json_response(200, R"({"id":"doc/1","day":"2024-01-01"})")});
    h.oura.on("/v2/usercollection/sleep/gone", {http::json_response(404, R"({"detail":"Document not found."})")});
    h.oura.on("/v2/usercollection/personal_info", {http::json_response(200, R"({"id":"user-7","age":33})")});
    OuraClient client(h.options(), h.log);
    const auto& sleep = *find_resource("sleep");
    CHECK(client.fetch_document(token, sleep, "gone") == std::nullopt);
    CHECK(client.fetch_personal_info(token) == R"({"id":"user-7","age":33})");
    std::vector<std::string> pages;
    client.fetch_collection(token, *find_resource("personal_info"), {}, [&](Page&& p) {
        REQUIRE(p.items.size() == 1);
        pages.push_back(p.items[0]);
    });
    CHECK(pages == std::vector<std::string>{R"({"id":"user-7","age":33})"});
    CHECK_THROWS_AS(client.fetch_document(token, *find_resource("heartrate"), "x"), std::invalid_argument);
    CHECK(std::count(h.metrics.outcomes.begin(), h.metrics.outcomes.end(), "sleep:not_found") == 1);
}

TEST_CASE("a refresh rotates the pair and sends the client credentials as form fields", "[e2e][api]") {
    Harness h;
    h.oura.route("/oauth/token", [](const http::Request& r) {
        auto form = http::parse_query(r.body);
        std::map<std::string, std::string> f(form.begin(), form.end());
        if (r.headers.get("Content-Type") != "application/x-www-form-urlencoded" ||
            f["grant_type"] != "refresh_token" || f["refresh_token"] != "RT-old" || f["client_id"] != "client-id-1" ||
            f["client_secret"] != "client-secret-xyz")
            return http::json_response(400, R"({"error":"invalid_request"})");
        return http::json_response(
            200,
            R"({"access_token":"AT-new","refresh_token":"RT-new","token_type":"bearer","expires_in":86400,"scope":"daily heartrate"})");
    });
    OuraClient client(h.options(), h.log);
    auto t = client.refresh("RT-old");
    CHECK(t.access_token == "AT-new");
    CHECK(t.refresh_token == "RT-new");
    CHECK(t.expires_in == hours(24));
    CHECK(t.scopes == std::vector<std::string>{"daily", "heartrate"});
}

TEST_CASE("a refresh answer without a new refresh token is refused", "[e2e][api]") {
    Harness h;
    h.oura.on("/oauth/token", {http::json_response(200, R"({"access_token":"AT-new","expires_in":86400})")});
    OuraClient client(h.options(), h.log);
    CHECK(kind_of([&] { client.refresh("RT-old"); }) == ErrorKind::bad_response);
    CHECK(h.oura.requests().size() == 1);  // a refresh that reached Oura is never sent twice
}

TEST_CASE("a spent refresh token is invalid_grant, and a 500 on refresh is not retried", "[fault][api]") {
    Harness h;
    h.oura.on("/oauth/token", {http::json_response(400, R"({"error":"invalid_grant","error_description":"used"})")});
    OuraClient client(h.options(), h.log);
    CHECK(kind_of([&] { client.refresh("RT-spent"); }) == ErrorKind::invalid_grant);
    h.oura.on("/oauth/token", {http::json_response(500, R"({"detail":"oops"})"),
                               http::json_response(200, R"({"access_token":"A","refresh_token":"R"})")});
    CHECK(kind_of([&] { client.refresh("RT-maybe-spent"); }) == ErrorKind::server_error);
    CHECK(h.oura.requests("/oauth/token").size() == 2);
    CHECK(h.log_text.str().find("RT-maybe-spent") == std::string::npos);
}

TEST_CASE("a refresh that could not connect is retried: the token never left", "[fault][api]") {
    // No fake Oura here: nothing listens on the token URL's port.
    core::ManualClock clock{system_clock::time_point{sys_days{2025y / 6 / 1}}};
    Sleeps sleeps;
    std::ostringstream log_text;
    core::Logger log{"api-test", core::Level::debug, &log_text};
    ApiOptions opts;
    opts.api_base_url = "http://127.0.0.1:" + std::to_string(closed_port());
    opts.client_id = "client-id-1";
    opts.client_secret = "client-secret-xyz";
    opts.retry.max_attempts = 4;
    opts.clock = &clock;
    opts.sleep = sleeps.fn();
    OuraClient client(opts, log);
    CHECK(kind_of([&] { client.refresh("RT-1"); }) == ErrorKind::network);
    CHECK(sleeps.count() == 3);  // four attempts: a refused connection proves nothing was sent
    CHECK(log_text.str().find("RT-1") == std::string::npos);
}

TEST_CASE("a code exchange sends code, redirect and verifier and survives one server error", "[fault][api]") {
    Harness h;
    std::atomic<int> calls{0};
    h.oura.route("/oauth/token", [&](const http::Request& r) {
        if (calls++ == 0) return http::json_response(503, R"({"detail":"try later"})");
        auto form = http::parse_query(r.body);
        std::map<std::string, std::string> f(form.begin(), form.end());
        if (f["grant_type"] != "authorization_code" || f["code"] != "CODE-1" ||
            f["redirect_uri"] != "https://x.example/oauth/callback" || f["code_verifier"] != "VERIFIER-1")
            return http::json_response(400, R"({"error":"invalid_request"})");
        return http::json_response(200, R"({"access_token":"A1","refresh_token":"R1","expires_in":86400})");
    });
    OuraClient client(h.options(), h.log);
    auto t = client.exchange_code("CODE-1", "https://x.example/oauth/callback", "VERIFIER-1");
    CHECK(t.refresh_token == "R1");
    CHECK(calls == 2);
    auto url = client.authorize_url("https://x.example/oauth/callback", {"daily"}, "S", "C");
    CHECK(url.rfind(h.oura.url() + "/oauth/authorize?response_type=code&client_id=client-id-1", 0) == 0);
}

TEST_CASE("webhook subscriptions are managed with the application's credentials", "[e2e][api]") {
    Harness h;
    const std::string model =
        R"({"id":"sub-1","callback_url":"https://x.example/webhook/oura","event_type":"create","data_type":"sleep","expiration_time":"2025-09-01T00:00:00+00:00"})";
    h.oura.route("/v2/webhook/subscription", [&](const http::Request& r) {
        if (r.headers.get("x-client-id") != "client-id-1" || r.headers.get("x-client-secret") != "client-secret-xyz")
            return http::json_response(401, R"({"detail":"bad credentials"})");
        if (r.method == "GET") return http::json_response(200, "[" + model + "]");
        if (r.body.find(R"("verification_token":"vt")") == std::string::npos)
            return http::json_response(422, R"({"detail":"no token"})");
        return http::json_response(201, model);
    });
    h.oura.on("/v2/webhook/subscription/renew/sub-1", {http::json_response(200, model)});
    h.oura.on("/v2/webhook/subscription/renew/nope", {http::json_response(403, R"({"detail":"Forbidden"})")});
    h.oura.on("/v2/webhook/subscription/sub-1", {http::Response{204, {}, "", {}, http::Fault::none, false, {}}});
    h.oura.on("/v2/webhook/subscription/nope", {http::json_response(404, R"({"detail":"No webhook id nope found."})")});
    OuraClient client(h.options(), h.log);
    auto list = client.list_subscriptions();
    REQUIRE(list.size() == 1);
    CHECK(list[0].data_type == "sleep");
    auto created = client.create_subscription("https://x.example/webhook/oura", "vt", "create", "sleep");
    CHECK(created.id == "sub-1");
    CHECK(client.renew_subscription("sub-1").expiration_time == "2025-09-01T00:00:00+00:00");
    CHECK(kind_of([&] { client.renew_subscription("nope"); }) == ErrorKind::not_found);
    CHECK(client.delete_subscription("sub-1"));
    CHECK_FALSE(client.delete_subscription("nope"));
}

TEST_CASE("a create whose answer was lost is found in the list instead of created twice", "[fault][api]") {
    Harness h;
    const std::string model =
        R"({"id":"sub-9","callback_url":"https://x.example/webhook/oura","event_type":"update","data_type":"vo2_max","expiration_time":"2025-09-01T00:00:00+00:00"})";
    std::atomic<int> posts{0};
    h.oura.route("/v2/webhook/subscription", [&](const http::Request& r) {
        if (r.method == "POST") {
            ++posts;
            return http::text_response(504, "<html>Gateway Timeout</html>");  // CloudFront gave up; Oura went on
        }
        return http::json_response(200, "[" + model + "]");
    });
    OuraClient client(h.options(), h.log);
    auto s = client.create_subscription("https://x.example/webhook/oura", "vt", "update", "vo2_max");
    CHECK(s.id == "sub-9");
    CHECK(posts == 1);
}
