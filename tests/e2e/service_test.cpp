// libs/service, the runtime every daemon stands on: in-process over real sockets and against the
// run's PostgreSQL, and as a real process (oura-test-daemon) for SIGTERM and start-up checks.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <stdexcept>

#include "harness.hpp"
#include "oura/core/json.hpp"
#include "oura/core/process.hpp"
#include "oura/http/client.hpp"
#include "oura/service/runtime.hpp"

using namespace oura;
using namespace std::chrono_literals;

namespace {

service::Settings settings_for(const std::string& database_url) {
    service::Settings s;
    s.service = "service-test";
    s.database_url = database_url;
    s.http_address = "127.0.0.1";
    s.http_port = 0;
    // One I/O thread: a handler that blocked it would stall every other connection.
    s.io_threads = 1;
    s.handler_threads = 2;
    s.shutdown_grace = 10s;
    return s;
}

struct InProcess {
    std::ostringstream log_lines;
    core::Logger log{"service-test", core::Level::info, &log_lines};
    service::Runtime runtime;
    explicit InProcess(service::Settings s) : runtime(std::move(s), log) {}
    std::string base() const { return "http://127.0.0.1:" + std::to_string(runtime.port()); }
};

http::Client quick_client() {
    http::ClientOptions o;
    o.connect_timeout = 5s;
    o.read_timeout = 5s;
    return http::Client(o);
}

// True when nothing listens on the port any more: connect() is refused outright.
bool connection_refused(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    int err = errno;
    ::close(fd);
    return rc != 0 && err == ECONNREFUSED;
}

std::uint16_t port_of(const std::string& base) {
    return static_cast<std::uint16_t>(std::stoi(base.substr(base.rfind(':') + 1)));
}

std::string temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "oura-service-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    return tmpl;
}

}  // namespace

TEST_CASE("a handler blocked on one connection leaves /healthz answering on another", "[e2e][service]") {
    InProcess app(settings_for("postgresql://unused@127.0.0.1:1/unused"));
    std::promise<void> entered, release;
    auto released = release.get_future().share();
    app.runtime.router().add("GET", "/slow", [&](const http::Request&, const service::PathParams&) {
        entered.set_value();
        released.wait();
        return http::json_response(200, R"({"slow":"done"})");
    });
    app.runtime.start();
    auto slow = std::async(std::launch::async, [&] { return quick_client().get(app.base() + "/slow"); });
    entered.get_future().wait();

    auto health = quick_client().get(app.base() + "/healthz");
    CHECK(health.status == 200);
    CHECK(health.body == R"({"status":"alive"})");
    CHECK(slow.wait_for(0s) == std::future_status::timeout);  // the slow one is still held

    release.set_value();
    auto answered = slow.get();
    CHECK(answered.status == 200);
    CHECK(answered.body == R"({"slow":"done"})");
}

TEST_CASE("/readyz is 200 with the schema version on a migrated database", "[e2e][service]") {
    test::TestDatabase db(true);
    InProcess app(settings_for(db.url()));
    app.runtime.start();
    auto res = quick_client().get(app.base() + "/readyz");
    CHECK(res.status == 200);
    auto body = core::parse_json(res.body);
    CHECK(core::get_string(body, "status") == "ready");
    auto expected = core::get_string(body, "expected_migration");
    REQUIRE(expected);
    CHECK(!expected->empty());
    CHECK(core::get_string(body, "applied_migration") == expected);
    CHECK(db.scalar("SELECT max(name) FROM oura_meta.schema_migrations") == std::string(*expected));
}

TEST_CASE("/readyz is 503 telling to run oura-migrate on an empty database", "[e2e][service]") {
    test::TestDatabase db(false);
    InProcess app(settings_for(db.url()));
    app.runtime.start();
    auto res = quick_client().get(app.base() + "/readyz");
    CHECK(res.status == 503);
    auto body = core::parse_json(res.body);
    CHECK(core::get_string(body, "status") == "not ready");
    auto reason = std::string(core::get_string(body, "reason").value_or(""));
    CHECK(reason.find("no migrations applied") != std::string::npos);
    CHECK(reason.find("oura-migrate") != std::string::npos);
    // Liveness does not depend on the database: a restart would not bring the schema.
    CHECK(quick_client().get(app.base() + "/healthz").status == 200);
}

TEST_CASE("/readyz is 503 naming an unreachable database without its password", "[e2e][service]") {
    InProcess app(settings_for("postgresql://oura:s3cret-pw@127.0.0.1:1/oura"));
    app.runtime.start();
    auto res = quick_client().get(app.base() + "/readyz");
    CHECK(res.status == 503);
    auto body = core::parse_json(res.body);
    auto reason = std::string(core::get_string(body, "reason").value_or(""));
    CHECK(reason.find("database unreachable") != std::string::npos);
    CHECK(res.body.find("s3cret-pw") == std::string::npos);
    CHECK(app.log_lines.str().find("s3cret-pw") == std::string::npos);
}

TEST_CASE("/metrics counts requests by route pattern and status and passes promtool check metrics", "[e2e][service]") {
    InProcess app(settings_for("postgresql://unused@127.0.0.1:1/unused"));
    app.runtime.router().add("GET", "/items/{id}", [](const http::Request&, const service::PathParams&) {
        return http::json_response(200, "{}");
    });
    app.runtime.start();
    auto client = quick_client();
    REQUIRE(client.get(app.base() + "/items/1").status == 200);
    REQUIRE(client.get(app.base() + "/items/2?x=y").status == 200);
    REQUIRE(client.get(app.base() + "/no/such/path").status == 404);
    REQUIRE(client.request("POST", app.base() + "/healthz").status == 405);

    auto res = client.get(app.base() + "/metrics");
    REQUIRE(res.status == 200);
    CHECK(res.headers.get("content-type") == "text/plain; version=0.0.4; charset=utf-8");
    const auto& text = res.body;
    CHECK(text.find(R"(oura_http_requests_total{route="/items/{id}",status="200"} 2)") != std::string::npos);
    CHECK(text.find(R"(oura_http_requests_total{route="unmatched",status="404"} 1)") != std::string::npos);
    CHECK(text.find(R"(oura_http_requests_total{route="/healthz",status="405"} 1)") != std::string::npos);
    CHECK(text.find(R"(oura_http_request_duration_seconds_count{route="/items/{id}"} 2)") != std::string::npos);
    CHECK(text.find("/items/1") == std::string::npos);  // never the raw path
    CHECK(text.find("/no/such/path") == std::string::npos);

    auto dir = temp_dir();
    auto file = dir + "/metrics.txt";
    std::ofstream(file) << text;
    auto check = core::run_process({"sh", "-c", "promtool check metrics < \"$0\"", file});
    std::filesystem::remove_all(dir);
    INFO(check.out << check.err);
    CHECK(check.exit_code == 0);
}

TEST_CASE("shutdown tells background workers to stop and waits for them", "[e2e][service]") {
    InProcess app(settings_for("postgresql://unused@127.0.0.1:1/unused"));
    std::atomic<bool> finished{false};
    app.runtime.add_worker("consumer", [&](std::stop_token stop) {
        std::mutex m;
        std::condition_variable_any cv;
        std::unique_lock lock(m);
        cv.wait(lock, stop, [] { return false; });
        finished = true;
    });
    app.runtime.start();
    CHECK(app.runtime.shutdown() == 0);
    CHECK(finished);
    CHECK(connection_refused(app.runtime.port()));
}

TEST_CASE("a worker still running when the grace passes makes shutdown report failure", "[e2e][service]") {
    auto s = settings_for("postgresql://unused@127.0.0.1:1/unused");
    s.shutdown_grace = 200ms;
    InProcess app(s);
    std::promise<void> release;
    auto released = release.get_future().share();
    app.runtime.add_worker("stubborn", [released](std::stop_token) { released.wait(); });
    app.runtime.start();
    CHECK(app.runtime.shutdown() == 1);
    CHECK(app.log_lines.str().find("shutdown grace passed") != std::string::npos);
    release.set_value();  // lets the destructor join it
}

TEST_CASE("a worker that throws is logged and turns the exit code into 1", "[e2e][service]") {
    InProcess app(settings_for("postgresql://unused@127.0.0.1:1/unused"));
    app.runtime.add_worker("broken", [](std::stop_token) { throw std::runtime_error("queue table missing"); });
    app.runtime.start();
    CHECK(app.runtime.shutdown() == 1);
    auto log = app.log_lines.str();
    CHECK(log.find("worker failed") != std::string::npos);
    CHECK(log.find("queue table missing") != std::string::npos);
}

TEST_CASE("SIGTERM lets the request in flight finish with 200, refuses new connections and exits 0", "[e2e][service]") {
    test::TestDatabase db(true);
    auto dir = temp_dir();
    auto fifo = dir + "/release";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    core::ChildProcess daemon({test::binary("oura-test-daemon")},
                              {{"OURA_DATABASE_URL", db.url()},
                               {"OURA_HTTP_ADDRESS", "127.0.0.1"},
                               {"OURA_HTTP_PORT", "0"},
                               {"OURA_TEST_DAEMON_RELEASE_FIFO", fifo}},
                              dir + "/stderr.log");
    auto base = daemon.read_line(20s);
    REQUIRE(base);
    REQUIRE(base->rfind("http://", 0) == 0);
    CHECK(quick_client().get(*base + "/readyz").status == 200);

    auto slow = std::async(std::launch::async, [&] { return quick_client().get(*base + "/slow"); });
    REQUIRE(daemon.read_line(10s) == "slow: started");
    REQUIRE(::kill(daemon.pid(), SIGTERM) == 0);
    // The worker hears of the stop only after the listener closed.
    REQUIRE(daemon.read_line(10s) == "worker: stop requested");
    CHECK(connection_refused(port_of(*base)));
    CHECK(slow.wait_for(0s) == std::future_status::timeout);

    std::ofstream(fifo) << "go\n";
    auto answered = slow.get();
    CHECK(answered.status == 200);
    CHECK(answered.body == R"({"slow":"done"})");
    CHECK(daemon.wait(10s) == 0);
    std::filesystem::remove_all(dir);
}

TEST_CASE("a request still blocked when the grace passes ends the daemon with exit 1", "[e2e][service]") {
    test::TestDatabase db(true);
    auto dir = temp_dir();
    auto fifo = dir + "/release";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    core::ChildProcess daemon({test::binary("oura-test-daemon")},
                              {{"OURA_DATABASE_URL", db.url()},
                               {"OURA_HTTP_ADDRESS", "127.0.0.1"},
                               {"OURA_HTTP_PORT", "0"},
                               {"OURA_SHUTDOWN_GRACE_SECONDS", "1"},
                               {"OURA_TEST_DAEMON_RELEASE_FIFO", fifo}},
                              dir + "/stderr.log");
    auto base = daemon.read_line(20s);
    REQUIRE(base);
    auto slow = std::async(std::launch::async, [&] {
        try {
            return quick_client().get(*base + "/slow").status;
        } catch (const http::transport_error&) {
            return 0;  // the connection died with the process
        }
    });
    REQUIRE(daemon.read_line(10s) == "slow: started");
    REQUIRE(::kill(daemon.pid(), SIGTERM) == 0);
    CHECK(daemon.wait(20s) == 1);
    CHECK(slow.get() == 0);
    std::ifstream err(dir + "/stderr.log");
    std::string log((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
    CHECK(log.find("shutdown grace passed") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("a bad variable stops the daemon at start with one line naming it and exit 2", "[e2e][service]") {
    auto bad_port = core::run_process({test::binary("oura-test-daemon")},
                                      {{"OURA_DATABASE_URL", "postgresql://x@127.0.0.1:1/x"}, {"OURA_HTTP_PORT", "http"}},
                                      20s);
    CHECK(bad_port.exit_code == 2);
    CHECK(bad_port.err == "oura-test-daemon: OURA_HTTP_PORT must be an integer from 0 to 65535, got 'http'\n");
    CHECK(bad_port.out.empty());

    auto bad_grace = core::run_process({test::binary("oura-test-daemon")},
                                       {{"OURA_DATABASE_URL", "postgresql://x@127.0.0.1:1/x"},
                                        {"OURA_HTTP_PORT", "0"},
                                        {"OURA_SHUTDOWN_GRACE_SECONDS", "-5"}},
                                       20s);
    CHECK(bad_grace.exit_code == 2);
    CHECK(bad_grace.err.find("OURA_SHUTDOWN_GRACE_SECONDS") != std::string::npos);

    auto missing = core::run_process({test::binary("oura-test-daemon")},
                                     {{"OURA_DATABASE_URL", ""}, {"OURA_DATABASE_URL_FILE", ""}}, 20s);
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find("OURA_DATABASE_URL is required") != std::string::npos);
}
