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
#include <type_traits>
#include <utility>
#include <vector>

#include "oura/core/cli.hpp"

namespace oura::store {

// The database could not be reached or refused the credentials. The message never holds a password.
class database_unavailable : public core::startup_error {
public:
    using core::startup_error::startup_error;
};

// A database failure that says nothing about the data and may pass if the same work is tried
// again: a deadlock, a serialization failure, a lock or statement timeout, a lost connection, a
// commit whose outcome is unknown, the server short of resources. Our writes are idempotent, so
// the caller retries the whole unit of work (a later poll, a job retry). The message names the
// SQLSTATE.
class retryable_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// SQLSTATE classes of errors that are the data's fault: class 22 (data exception: a value that does
// not cast) and 23514 (a CHECK violated). Only these count as a document's mapping failure; every
// other error belongs to the whole unit of work.
bool is_data_error(const std::string& sqlstate);
// SQLSTATEs retrying may cure (40 transaction rollback, 53 insufficient resources, 55P03 lock not
// available, 57014 statement or lock timeout cancel, 57P01-57P03 shutdown, 08 connection).
bool is_retryable(const std::string& sqlstate);

// A unit of work: one transaction on one connection. Nothing is written unless commit() is called;
// destroyed uncommitted, it rolls back, and that is the error path. Callers outside libs/store
// only pass it on to store functions, which run their statements in it.
class Transaction {
public:
    explicit Transaction(pqxx::connection& conn) : work_(conn) {}
    void commit() { work_.commit(); }
    operator pqxx::work&() { return work_; }  // for the store's functions

private:
    pqxx::work work_;
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
        // A moved-from lease owns nothing and gives nothing back to the pool.
        Lease(Lease&& other) noexcept : pool_(std::exchange(other.pool_, nullptr)), conn_(std::move(other.conn_)) {}
        Lease& operator=(Lease&& other) noexcept;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
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
    // A failure retrying may cure (see is_retryable) comes out as retryable_error.
    template <typename F>
    auto with_connection(F&& work) -> decltype(work(std::declval<pqxx::connection&>())) {
        for (int attempt = 0;; ++attempt) {
            auto lease = acquire();
            try {
                return work(*lease);
            } catch (const pqxx::broken_connection& e) {
                lease.discard();
                if (attempt > 0) throw retryable_error(std::string("lost the database connection: ") + e.what());
            } catch (const pqxx::in_doubt_error& e) {
                lease.discard();
                throw retryable_error(std::string("commit outcome unknown: ") + e.what());
            } catch (const pqxx::transaction_rollback& e) {
                throw retryable_error(describe_failure(e));
            } catch (const pqxx::sql_error& e) {
                if (is_retryable(e.sqlstate())) throw retryable_error(describe_failure(e));
                throw;
            }
        }
    }

    // Runs `work(Transaction&)` as one unit of work on a pooled connection and commits it when
    // `work` returns; when `work` throws, nothing of it is written. Retried once on a fresh
    // connection like with_connection, so `work` must be safe to repeat.
    template <typename F>
    auto transact(F&& work) -> decltype(work(std::declval<Transaction&>())) {
        return with_connection([&](pqxx::connection& conn) {
            Transaction tx(conn);
            if constexpr (std::is_void_v<decltype(work(tx))>) {
                work(tx);
                tx.commit();
            } else {
                auto result = work(tx);
                tx.commit();
                return result;
            }
        });
    }

    const std::string& url() const { return url_; }

private:
    static std::string describe_failure(const pqxx::failure& e);
    void release(std::unique_ptr<pqxx::connection> conn);

    std::string url_;
    std::size_t size_;
    std::size_t open_ = 0;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<pqxx::connection>> idle_;
};

}  // namespace oura::store
