#include "oura/store/database.hpp"

#include "oura/core/log.hpp"

namespace oura::store {

std::unique_ptr<pqxx::connection> connect(const std::string& url) {
    try {
        auto conn = std::make_unique<pqxx::connection>(url);
        // Whatever the cluster is configured with, a timestamptz rendered as text and a cast of an
        // offset-less UtcDateTime (the mapping's utc_instant) mean UTC. The raw rows' start_at and
        // end_at never depend on it: a time without an offset is stored NULL there.
        pqxx::nontransaction tx(*conn);
        tx.exec("SET TIME ZONE 'UTC'");
        return conn;
    } catch (const pqxx::broken_connection& e) {
        std::string reason = e.what();
        while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
        for (auto& c : reason)
            if (c == '\n') c = ' ';
        throw database_unavailable("cannot connect to " + core::redact_url(url) + ": " + reason);
    } catch (const pqxx::failure& e) {
        throw database_unavailable("cannot connect to " + core::redact_url(url) + ": " + e.what());
    }
}

Pool::Pool(std::string url, std::size_t size) : url_(std::move(url)), size_(size == 0 ? 1 : size) {}

Pool::~Pool() = default;

bool is_data_error(const std::string& sqlstate) { return sqlstate.rfind("22", 0) == 0 || sqlstate == "23514"; }

bool is_retryable(const std::string& sqlstate) {
    for (const char* prefix : {"40", "53", "08", "55P03", "57014", "57P01", "57P02", "57P03"})
        if (sqlstate.rfind(prefix, 0) == 0) return true;
    return false;
}

std::string Pool::describe_failure(const pqxx::failure& e) {
    std::string what = e.what();
    what = what.substr(0, what.find('\n'));
    if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e); sql && !sql->sqlstate().empty())
        return "retryable database error (SQLSTATE " + sql->sqlstate() + "): " + what;
    return "retryable database error: " + what;
}

Pool::Lease& Pool::Lease::operator=(Lease&& other) noexcept {
    if (this != &other) {
        if (pool_) pool_->release(std::move(conn_));
        pool_ = std::exchange(other.pool_, nullptr);
        conn_ = std::move(other.conn_);
    }
    return *this;
}

Pool::Lease::~Lease() {
    if (pool_) pool_->release(std::move(conn_));
}

Pool::Lease Pool::acquire(std::chrono::milliseconds wait) {
    std::unique_lock lock(mutex_);
    if (!available_.wait_for(lock, wait, [&] { return !idle_.empty() || open_ < size_; }))
        throw database_unavailable("no database connection free within " + std::to_string(wait.count()) + " ms");
    if (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        if (conn->is_open()) return Lease(this, std::move(conn));
        --open_;
    }
    ++open_;
    lock.unlock();
    try {
        return Lease(this, connect(url_));
    } catch (...) {
        std::lock_guard relock(mutex_);
        --open_;
        available_.notify_one();
        throw;
    }
}

void Pool::release(std::unique_ptr<pqxx::connection> conn) {
    std::lock_guard lock(mutex_);
    if (conn && conn->is_open()) idle_.push_back(std::move(conn));
    else --open_;
    available_.notify_one();
}

}  // namespace oura::store
