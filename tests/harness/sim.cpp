#include "sim.hpp"

#include <algorithm>
#include <stdexcept>

#include "harness.hpp"
#include "oura/core/json.hpp"

namespace oura::test {

Simulator::Simulator(std::vector<std::string> args) {
    std::vector<std::string> argv{binary("oura-sim"), "--port", "0"};
    // A simulated clock that stands still at the end of its today, unless the test sets one: what
    // the simulator serves (nothing later than its now) then cannot change between a poller run
    // and the test's look at the truth.
    if (std::find(args.begin(), args.end(), "--time-of-day") == args.end()) {
        argv.push_back("--time-of-day");
        argv.push_back("23:59:59");
    }
    argv.insert(argv.end(), args.begin(), args.end());
    process_ = std::make_unique<core::ChildProcess>(argv, std::map<std::string, std::string>{{"OURA_LOG_LEVEL", "warn"}});
    auto line = process_->read_line(std::chrono::seconds(60));
    if (!line || line->rfind("http://", 0) != 0)
        throw std::runtime_error("oura-sim did not print its URL (got '" + line.value_or("<nothing>") + "')");
    url_ = *line;
}

http::ClientResponse Simulator::call(const std::string& method, const std::string& path, const std::string& body,
                                     const std::string& bearer) {
    http::Headers h;
    if (!body.empty()) h.set("Content-Type", "application/json");
    if (!bearer.empty()) h.set("Authorization", "Bearer " + bearer);
    return http_.request(method, url_ + path, h, body);
}

http::ClientResponse Simulator::post(const std::string& path, const std::string& body, http::Headers headers) {
    if (!body.empty() && !headers.get("Content-Type")) headers.set("Content-Type", "application/json");
    return http_.request("POST", url_ + path, headers, body);
}

http::ClientResponse Simulator::request(const std::string& method, const std::string& path, const std::string& body,
                                        const http::Headers& headers) {
    return http_.request(method, url_ + path, headers, body);
}

std::string Simulator::token(int index, const std::string& body) {
    auto r = post("/_sim/users/" + std::to_string(index) + "/token", body);
    if (r.status != 200) throw std::runtime_error("mint token: HTTP " + std::to_string(r.status) + " " + r.body);
    return std::string(core::get_string(core::parse_json(r.body), "access_token").value());
}

std::string Simulator::user_id(int index) { return users().at(static_cast<std::size_t>(index)); }

std::string Simulator::truth_body(int index, const std::string& resource) {
    auto r = get("/_sim/truth/" + std::to_string(index) + "/" + resource);
    if (r.status != 200) throw std::runtime_error("truth " + resource + ": HTTP " + std::to_string(r.status));
    return r.body;
}

std::vector<std::string> Simulator::users() {
    auto r = call("GET", "/_sim/users");
    auto doc = core::parse_json(r.body);
    std::vector<std::string> out;
    const auto& list = doc.IsArray() ? doc : doc["data"];
    for (const auto& u : list.GetArray()) out.emplace_back(*core::get_string(u, "user_id"));
    return out;
}

std::pair<std::string, std::string> Simulator::mint_token(const std::string& oura_user_id, const std::string& body) {
    auto r = call("POST", "/_sim/users/" + oura_user_id + "/token", body);
    if (r.status != 200 && r.status != 201) throw std::runtime_error("mint token: HTTP " + std::to_string(r.status) + " " + r.body);
    auto doc = core::parse_json(r.body);
    return {std::string(*core::get_string(doc, "access_token")), std::string(*core::get_string(doc, "refresh_token"))};
}

std::vector<std::string> Simulator::truth(const std::string& oura_user_id, const std::string& resource) {
    auto r = call("GET", "/_sim/truth/" + oura_user_id + "/" + resource);
    if (r.status != 200) throw std::runtime_error("truth " + resource + ": HTTP " + std::to_string(r.status));
    auto doc = core::parse_json(r.body);
    std::vector<std::string> out;
    for (const auto& item : doc["data"].GetArray()) out.push_back(core::to_json(item));
    return out;
}

long long Simulator::successful_grants(const std::string& grant_type) {
    auto doc = core::parse_json(call("GET", "/_sim/stats").body);
    if (!doc.HasMember("grants") || !doc["grants"].HasMember(grant_type)) return 0;
    return core::get_int(doc["grants"][grant_type], "200").value_or(0);
}

long long Simulator::answers_with_status(int status) {
    auto doc = core::parse_json(call("GET", "/_sim/stats").body);
    long long n = 0;
    if (!doc.HasMember("routes")) return 0;
    for (const auto& route : doc["routes"].GetObject()) n += core::get_int(route.value, std::to_string(status)).value_or(0);
    return n;
}

core::ProcessResult run_binary(const std::string& name, const std::vector<std::string>& args,
                               const std::map<std::string, std::string>& env) {
    std::vector<std::string> argv{binary(name)};
    argv.insert(argv.end(), args.begin(), args.end());
    return core::run_process(argv, env, std::chrono::minutes(10));
}

std::map<std::string, std::string> platform_env(const std::string& api_url, const std::string& database_url) {
    return {{"OURA_DATABASE_URL", database_url},
            {"OURA_API_BASE_URL", api_url},
            {"OURA_AUTH_BASE_URL", api_url},
            {"OURA_CLIENT_ID", Simulator::client_id},
            {"OURA_CLIENT_SECRET", Simulator::client_secret},
            {"OURA_TOKEN_ENCRYPTION_KEY", test_token_key},
            {"OURA_LOG_LEVEL", "info"},
            {"OURA_HTTP_TIMEOUT", "5s"}};
}

void register_user(Simulator& sim, const std::string& oura_user_id, const std::map<std::string, std::string>& env) {
    auto [access, refresh] = sim.mint_token(oura_user_id);
    auto r = run_binary("oura-admin", {"users", "add", "--access-token", access, "--refresh-token", refresh}, env);
    if (r.exit_code != 0)
        throw std::runtime_error("oura-admin users add exited " + std::to_string(r.exit_code) + ": " + r.err);
}

std::string last_log_line(const std::string& err, const std::string& msg) {
    std::string found;
    std::size_t pos = 0;
    while (pos < err.size()) {
        auto end = err.find('\n', pos);
        if (end == std::string::npos) end = err.size();
        auto line = err.substr(pos, end - pos);
        pos = end + 1;
        if (line.empty() || line[0] != '{') continue;
        try {
            auto doc = core::parse_json(line);
            if (core::get_string(doc, "msg") == msg) found = line;
        } catch (const core::json_error&) {
        }
    }
    return found;
}

}  // namespace oura::test
