#pragma once
// Shared by the tests/e2e/sim_*_test.cpp files: a running oura-sim process and a small callback
// server standing in for a webhook receiver.

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "sim.hpp"
#include "oura/core/json.hpp"
#include "oura/core/log.hpp"
#include "oura/core/process.hpp"
#include "oura/http/client.hpp"
#include "oura/http/server.hpp"

namespace oura::test::sim {

inline rapidjson::Document json(const std::string& text) {
    return core::parse_json(text);
}

// Items of a {"data":[…]} body, each re-serialised compactly (byte-stable for equal input).
inline std::vector<std::string> items(const std::string& body) {
    auto doc = json(body);
    std::vector<std::string> out;
    for (const auto& item : doc["data"].GetArray()) out.push_back(core::to_json(item));
    return out;
}

// The running oura-sim process: the harness's one wrapper.
using Sim = oura::test::Simulator;

// A webhook receiver on a free port: records every request, answers with `answer` (default 200).
class Receiver {
public:
    using Answer = std::function<http::Response(const http::Request&, int nth)>;
    explicit Receiver(Answer answer = {})
        : answer_(std::move(answer)), server_(http::ServerOptions{}, [this](const http::Request& r) { return on(r); }) {
        server_.start();
    }
    ~Receiver() { server_.stop(std::chrono::milliseconds(200)); }

    std::string url(const std::string& path = "/webhook") const {
        return "http://127.0.0.1:" + std::to_string(server_.port()) + path;
    }
    // Waits until `n` requests with `method` arrived; returns them (all with that method).
    std::vector<http::Request> wait_for(std::size_t n, const std::string& method = "POST",
                                        std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        std::unique_lock lock(mutex_);
        std::vector<http::Request> out;
        changed_.wait_for(lock, timeout, [&] {
            out.clear();
            for (const auto& r : got_)
                if (r.method == method) out.push_back(r);
            return out.size() >= n;
        });
        return out;
    }
    std::size_t count(const std::string& method) {
        std::lock_guard lock(mutex_);
        std::size_t n = 0;
        for (const auto& r : got_) n += r.method == method;
        return n;
    }

private:
    http::Response on(const http::Request& r) {
        int nth;
        {
            std::lock_guard lock(mutex_);
            got_.push_back(r);
            nth = static_cast<int>(got_.size());
        }
        changed_.notify_all();
        if (answer_) return answer_(r, nth);
        // Default: a correct verification handshake, 200 for deliveries.
        if (r.method == "GET") {
            core::JsonWriter body;
            body.begin_object().field("challenge", r.query("challenge").value_or("")).end_object();
            return http::json_response(200, body.take());
        }
        return http::json_response(200, "{}");
    }

    Answer answer_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<http::Request> got_;
    http::Server server_;
};

inline http::Headers client_credentials(const std::string& id = "oura-sim-client",
                                        const std::string& secret = "oura-sim-secret") {
    http::Headers h;
    h.set("x-client-id", id);
    h.set("x-client-secret", secret);
    h.set("Content-Type", "application/json");
    return h;
}

}  // namespace oura::test::sim
