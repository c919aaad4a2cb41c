#pragma once
// The real simulator as a child process, for e2e tests: started with --port 0, its base URL read
// from its first stdout line, its control API (/_sim/...) one call away.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "oura/core/process.hpp"
#include "oura/http/client.hpp"

namespace oura::test {

class Simulator {
public:
    // `args` are oura-sim flags (e.g. {"--users", "3", "--days", "120"}); --port 0 is added, and
    // --time-of-day 23:59:59 (a clock that stands still) unless `args` has one.
    explicit Simulator(std::vector<std::string> args = {});
    const std::string& url() const { return url_; }

    // A control or API call; throws on transport errors, returns any status.
    http::ClientResponse call(const std::string& method, const std::string& path, const std::string& body = {},
                              const std::string& bearer = {});
    http::ClientResponse get(const std::string& path, const std::string& bearer = {}) { return call("GET", path, {}, bearer); }
    // POST with a JSON body (Content-Type set unless `headers` has one).
    http::ClientResponse post(const std::string& path, const std::string& body = {}, http::Headers headers = {});
    http::ClientResponse request(const std::string& method, const std::string& path, const std::string& body = {},
                                 const http::Headers& headers = {});
    // A fresh access token for the user at `index` (POST /_sim/users/{index}/token).
    std::string token(int index = 0, const std::string& body = {});
    std::string user_id(int index = 0);
    // The truth of one resource for the user at `index`, as the raw {"data":[…]} body.
    std::string truth_body(int index, const std::string& resource);
    core::ChildProcess& process() { return *process_; }
    http::Client& http() { return http_; }
    // Oura user ids of the simulated users, in index order.
    std::vector<std::string> users();
    // A fresh access/refresh pair for one user (POST /_sim/users/{id}/token).
    std::pair<std::string, std::string> mint_token(const std::string& oura_user_id, const std::string& body = {});
    // Every document of a resource as the API serves them (GET /_sim/truth/{id}/{resource}): "data" items, compact.
    std::vector<std::string> truth(const std::string& oura_user_id, const std::string& resource);

    // Grants of `grant_type` ("refresh_token", "authorization_code") the simulator answered with 200.
    long long successful_grants(const std::string& grant_type);

    // Answers with HTTP `status` the simulator gave on any route (from /_sim/stats).
    long long answers_with_status(int status);

    static constexpr const char* client_id = "oura-sim-client";
    static constexpr const char* client_secret = "oura-sim-secret";

private:
    std::unique_ptr<core::ChildProcess> process_;
    std::string url_;
    http::Client http_{[] {
        http::ClientOptions o;
        o.read_timeout = std::chrono::seconds(20);
        return o;
    }()};
};

// Runs a binary of this build with `env` added; what it printed and its exit code.
core::ProcessResult run_binary(const std::string& name, const std::vector<std::string>& args,
                               const std::map<std::string, std::string>& env);

// A token key for tests (hex of 32 bytes); never a production key.
inline constexpr const char* test_token_key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

// What the platform's binaries need in their environment to run against Oura at `api_url` (the
// simulator, or an address nobody answers on) and the database at `database_url` (the writer
// role's URL where the test proves the production grants).
std::map<std::string, std::string> platform_env(const std::string& api_url, const std::string& database_url);
inline std::map<std::string, std::string> platform_env(const Simulator& sim, const std::string& database_url) {
    return platform_env(sim.url(), database_url);
}

// Registers the simulated user `oura_user_id` with fresh tokens through `oura-admin users add`;
// the test fails with the command's output when it does not exit 0.
void register_user(Simulator& sim, const std::string& oura_user_id, const std::map<std::string, std::string>& env);

// The JSON object of the last stderr log line whose "msg" is `msg` ("" when none).
std::string last_log_line(const std::string& err, const std::string& msg);

}  // namespace oura::test
