#include "oura/store/sql_gateway.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <condition_variable>
#include <mutex>

#include "oura/core/log.hpp"
#include "oura/store/database.hpp"

namespace oura::store {
namespace {

// The fixed statements of the recipe. They are ours, constant, and run through the simple
// protocol; only the user's text goes through the extended one.
constexpr const char* begin_read_only = "BEGIN READ ONLY";
constexpr const char* become_reader = "SET LOCAL ROLE oura_reader";
constexpr const char* fence_read_write = "SELECT 1";
constexpr const char* roll_back = "ROLLBACK";
constexpr const char* discard_all = "DISCARD ALL";
constexpr const char* describe_session = R"sql(
    SELECT current_user || ' ' || session_user || ' ' || current_setting('transaction_read_only')
           || E'\n' || coalesce(string_agg(name || '=' || setting, E'\n' ORDER BY name), '')
      FROM pg_settings WHERE source NOT IN ('default', 'override', 'configuration file', 'environment variable')
)sql";

// A client-side cancel waits this long past statement_timeout: the server's own timeout normally
// ends the statement first; this covers a server that does not answer at all.
constexpr std::chrono::milliseconds cancel_grace{1000};
// After a cancel, the rest of the results must arrive within this, or the connection is dropped.
constexpr std::chrono::milliseconds drain_deadline{5000};

struct PgResult {
    PGresult* r = nullptr;
    explicit PgResult(PGresult* p = nullptr) : r(p) {}
    ~PgResult() {
        if (r) PQclear(r);
    }
    PgResult(const PgResult&) = delete;
    PgResult& operator=(const PgResult&) = delete;
    PgResult(PgResult&& o) noexcept : r(std::exchange(o.r, nullptr)) {}
};

std::string primary_message(const PGresult* r) {
    const char* m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    return m ? m : "statement failed";
}

std::string sqlstate_of(const PGresult* r) {
    const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    return s ? s : "";
}

// Signals a protocol-level failure: the connection is dropped and the caller sees unavailable.
struct connection_broken : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace

ValueKind kind_of_type(unsigned oid) {
    switch (oid) {
        case 16: return ValueKind::boolean;
        case 20: case 21: case 23: case 26: case 700: case 701: case 1700: return ValueKind::number;
        case 1082: case 1114: case 1184: return ValueKind::time;
        default: return ValueKind::string;
    }
}

std::string_view kind_name(ValueKind kind) {
    switch (kind) {
        case ValueKind::number: return "number";
        case ValueKind::boolean: return "boolean";
        case ValueKind::time: return "time";
        case ValueKind::string: break;
    }
    return "string";
}

struct SqlGateway::Impl {
    std::string url;
    std::size_t size;
    std::chrono::milliseconds acquire_wait;
    std::mutex mutex;
    std::condition_variable available;
    std::vector<PGconn*> idle;
    std::size_t open = 0;
    std::size_t opened_total = 0;

    ~Impl() {
        for (auto* c : idle) PQfinish(c);
    }

    PGconn* connect_one() {
        // Settings sent at start-up are the session's defaults, so DISCARD ALL (RESET ALL) returns
        // to them: UTF-8 text, ISO dates in UTC, whatever the server's configuration says.
        const char* keys[] = {"dbname", "client_encoding", "options", "application_name", nullptr};
        const char* values[] = {url.c_str(), "UTF8", "-c TimeZone=UTC -c DateStyle=ISO", "oura-query-api-sql", nullptr};
        PGconn* c = PQconnectdbParams(keys, values, 1);
        if (!c || PQstatus(c) != CONNECTION_OK) {
            std::string reason = c ? PQerrorMessage(c) : "out of memory";
            if (c) PQfinish(c);
            while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
            for (auto& ch : reason)
                if (ch == '\n') ch = ' ';
            throw database_unavailable("cannot connect to " + core::redact_url(url) + " (OURA_QUERY_SQL_DATABASE_URL): " + reason);
        }
        return c;
    }

    PGconn* acquire() {
        std::unique_lock lock(mutex);
        if (!available.wait_for(lock, acquire_wait, [&] { return !idle.empty() || open < size; }))
            throw database_unavailable("no SQL connection free within " + std::to_string(acquire_wait.count()) + " ms");
        if (!idle.empty()) {
            auto* c = idle.back();
            idle.pop_back();
            if (PQstatus(c) == CONNECTION_OK) return c;
            PQfinish(c);
            --open;
        }
        ++open;
        lock.unlock();
        try {
            auto* c = connect_one();
            std::lock_guard relock(mutex);
            ++opened_total;
            return c;
        } catch (...) {
            std::lock_guard relock(mutex);
            --open;
            available.notify_one();
            throw;
        }
    }

    void release(PGconn* c, bool healthy) {
        std::lock_guard lock(mutex);
        if (healthy && PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) == PQTRANS_IDLE) {
            idle.push_back(c);
        } else {
            PQfinish(c);
            --open;
        }
        available.notify_one();
    }
};

namespace {

// A fixed statement that must succeed; anything else means the connection cannot be trusted.
void must(PGconn* c, const char* sql) {
    PgResult r(PQexec(c, sql));
    auto st = PQresultStatus(r.r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) throw connection_broken(std::string("fixed statement failed: ") + sql);
}

void cancel(PGconn* c) {
    PGcancel* k = PQgetCancel(c);
    if (!k) return;
    char err[256];
    PQcancel(k, err, sizeof err);
    PQfreeCancel(k);
}

// Waits until libpq can hand over the next result without blocking, or the deadline passes.
bool wait_readable(PGconn* c, std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        if (!PQconsumeInput(c)) throw connection_broken(std::string("lost the connection while reading: ") + PQerrorMessage(c));
        if (!PQisBusy(c)) return true;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{PQsocket(c), POLLIN, 0};
        int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
        if (rc < 0 && errno != EINTR) throw connection_broken("poll failed");
    }
}

// Reads results until libpq says the query is over; after a cancel, results are only discarded.
PGresult* next_result(PGconn* c, std::chrono::steady_clock::time_point& deadline, bool& cancelled) {
    while (!wait_readable(c, deadline)) {
        if (cancelled) throw connection_broken("no answer after a cancel");
        cancel(c);
        cancelled = true;
        deadline = std::chrono::steady_clock::now() + drain_deadline;
    }
    return PQgetResult(c);
}

}  // namespace

SqlGateway::SqlGateway(std::string url, std::size_t pool_size, std::chrono::milliseconds acquire_wait)
    : impl_(std::make_unique<Impl>()) {
    impl_->url = std::move(url);
    impl_->size = pool_size == 0 ? 1 : pool_size;
    impl_->acquire_wait = acquire_wait;
}

SqlGateway::~SqlGateway() = default;

std::size_t SqlGateway::connections_opened() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->opened_total;
}

SqlAnswer SqlGateway::run(std::string_view sql, const std::vector<SqlParam>& params, const SqlLimits& limits) {
    PGconn* c = impl_->acquire();
    bool healthy = false;
    SqlAnswer answer;
    std::optional<sql_rejected> rejected;
    try {
        must(c, begin_read_only);
        must(c, become_reader);
        auto ms = std::to_string(std::max<long long>(1, limits.timeout.count()));
        must(c, ("SET LOCAL statement_timeout = " + ms).c_str());
        must(c, ("SET LOCAL lock_timeout = " + ms).c_str());
        must(c, ("SET LOCAL idle_in_transaction_session_timeout = " + std::to_string(limits.timeout.count() + 30000)).c_str());
        must(c, fence_read_write);

        std::string text(sql);
        std::vector<const char*> values;
        values.reserve(params.size());
        for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
        if (!PQsendQueryParams(c, text.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                               nullptr, 0))
            throw connection_broken("could not send the statement");
        if (!PQsetSingleRowMode(c)) throw connection_broken("single-row mode refused");

        auto deadline = std::chrono::steady_clock::now() + limits.timeout + cancel_grace;
        bool cancelled = false;
        bool have_columns = false;
        bool returned_rows = false;
        std::size_t bytes = 0;
        while (PGresult* raw = next_result(c, deadline, cancelled)) {
            PgResult r(raw);
            auto st = PQresultStatus(r.r);
            if (st == PGRES_SINGLE_TUPLE || (st == PGRES_TUPLES_OK && !have_columns)) {
                returned_rows = true;
                if (!have_columns) {
                    have_columns = true;
                    for (int i = 0; i < PQnfields(r.r); ++i)
                        answer.table.columns.push_back({PQfname(r.r, i), kind_of_type(PQftype(r.r, i))});
                }
                if (st == PGRES_TUPLES_OK || answer.truncated) continue;
                if (answer.table.rows.size() >= limits.max_rows || bytes > limits.max_bytes) {
                    // The cap+1-th row: there is more than we answer. Stop the server producing it.
                    answer.truncated = true;
                    if (!cancelled) {
                        cancel(c);
                        cancelled = true;
                        deadline = std::chrono::steady_clock::now() + drain_deadline;
                    }
                    continue;
                }
                Row row;
                row.reserve(static_cast<std::size_t>(PQnfields(r.r)));
                for (int i = 0; i < PQnfields(r.r); ++i) {
                    if (PQgetisnull(r.r, 0, i)) {
                        row.emplace_back();
                    } else {
                        row.emplace_back(std::string(PQgetvalue(r.r, 0, i), static_cast<std::size_t>(PQgetlength(r.r, 0, i))));
                        bytes += static_cast<std::size_t>(PQgetlength(r.r, 0, i));
                    }
                }
                answer.table.rows.push_back(std::move(row));
            } else if (st == PGRES_TUPLES_OK) {
                // End of a row set.
            } else if (st == PGRES_COMMAND_OK || st == PGRES_EMPTY_QUERY) {
                if (!rejected) rejected.emplace("42000", "only a single statement that returns rows is accepted");
            } else if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR) {
                // Our own cancel after the cap is not the statement's failure.
                if (!(answer.truncated && sqlstate_of(r.r) == "57014") && !rejected)
                    rejected.emplace(sqlstate_of(r.r), primary_message(r.r));
            } else {
                // COPY in or out, or anything else the recipe never expects: the connection's
                // protocol state is unknown, so it goes.
                if (!rejected) rejected.emplace("0A000", "statement not supported here");
                throw connection_broken("unexpected result status");
            }
        }
        if (!returned_rows && !rejected) rejected.emplace("42000", "only a single statement that returns rows is accepted");
        // ROLLBACK even after a user COMMIT (a warning then), then DISCARD ALL outside any transaction.
        PgResult rb(PQexec(c, roll_back));
        if (PQresultStatus(rb.r) != PGRES_COMMAND_OK) throw connection_broken("rollback failed");
        if (PQtransactionStatus(c) != PQTRANS_IDLE) throw connection_broken("still in a transaction after rollback");
        must(c, discard_all);
        healthy = PQtransactionStatus(c) == PQTRANS_IDLE;
    } catch (const connection_broken& e) {
        impl_->release(c, false);
        if (rejected) throw *rejected;
        // Cancelling a statement while the server is in the middle of sending a row ends the
        // session (PostgreSQL cannot resynchronise the protocol): the answer we have is complete
        // up to the cap, only the connection goes.
        if (answer.truncated) return answer;
        throw database_unavailable(std::string("the SQL connection was dropped: ") + e.what());
    } catch (...) {
        impl_->release(c, false);
        throw;
    }
    impl_->release(c, healthy);
    if (rejected) throw *rejected;
    return answer;
}

std::vector<std::string> SqlGateway::idle_connection_states() {
    std::vector<PGconn*> taken;
    {
        std::lock_guard lock(impl_->mutex);
        taken.swap(impl_->idle);
    }
    std::vector<std::string> out;
    for (auto* c : taken) {
        PgResult r(PQexec(c, describe_session));
        out.push_back(PQresultStatus(r.r) == PGRES_TUPLES_OK ? PQgetvalue(r.r, 0, 0) : std::string("error"));
    }
    std::lock_guard lock(impl_->mutex);
    for (auto* c : taken) impl_->idle.push_back(c);
    return out;
}

}  // namespace oura::store
