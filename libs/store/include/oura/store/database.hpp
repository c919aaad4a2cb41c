#pragma once
// Connections to PostgreSQL: a small pool that reconnects after the server restarts.
// libpqxx stays inside libs/store and the tests; services call store functions.

#include <pqxx/pqxx>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "oura/core/cli.hpp"

namespace oura::store {

// The database could not be reached or refused the credentials. The message never holds a password.
class database_unavailable : public core::startup_error {
public:
    using core::startup_error::startup_error;
};

// Opens one connection; throws database_unavailable with a one-line reason.
std::unique_ptr<pqxx::connection> connect(const std::string& url);

class Pool {
public:
    Pool(std::string url, std::size_t size);
    ~Pool();

    class Lease {
    public:
        Lease(Pool* pool, std::unique_ptr<pqxx::connection> conn) : pool_(pool), conn_(std::move(conn)) {}
        Lease(Lease&&) = default;
        ~Lease();
        pqxx::connection& operator*() { return *conn_; }
        pqxx::connection* operator->() { return conn_.get(); }
        void discard() { conn_.reset(); }  // after a protocol error: never reuse this connection

    private:
        Pool* pool_;
        std::unique_ptr<pqxx::connection> conn_;
    };

    // Waits up to `wait` for a free connection; opens one when the pool is below its size.
    Lease acquire(std::chrono::milliseconds wait = std::chrono::seconds(30));

    // Runs `work` with a connection; when the connection turns out broken (server restarted),
    // runs it once more on a fresh one. `work` must be safe to repeat (our writes are idempotent).
    template <typename F>
    auto with_connection(F&& work) -> decltype(work(std::declval<pqxx::connection&>())) {
        for (int attempt = 0;; ++attempt) {
            auto lease = acquire();
            try {
                return work(*lease);
            } catch (const pqxx::broken_connection&) {
                lease.discard();
                if (attempt > 0) throw;
            }
        }
    }

    const std::string& url() const { return url_; }

private:
    void release(std::unique_ptr<pqxx::connection> conn);

    std::string url_;
    std::size_t size_;
    std::size_t open_ = 0;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<pqxx::connection>> idle_;
};

}  // namespace oura::store
