#pragma once
// User-supplied SQL (query-api's POST /api/sql), run exactly as DESIGN §5 prescribes. Privileges are
// the boundary; read-only mode is a second fence:
//   - its own small pool of connections, as a login role that is a member of oura_sql (0015) and
//     holds no privileges of its own;
//   - per request: BEGIN READ ONLY → SET LOCAL ROLE oura_reader → SET LOCAL statement_timeout and
//     lock_timeout → SELECT 1 (so SET TRANSACTION READ WRITE can no longer be accepted) → the
//     user's text through the extended protocol (one statement, never the simple protocol that
//     runs `SELECT 1; COMMIT; …`), with parameters bound, never spliced;
//   - rows are read one at a time and at most cap+1 of them (or a byte cap): the rest is cancelled;
//   - always ROLLBACK, then DISCARD ALL (advisory locks, LISTENs, prepared statements and session
//     settings do not outlive a request); the connection is dropped when any of that fails or the
//     protocol state is not what it must be;
//   - a statement still running after its timeout plus a grace is cancelled from the client side.
// libpq is used directly here (libpqxx 6.4 has no single-row mode): this file and its .cpp are the
// only place in the store that does so.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "oura/store/result_table.hpp"

namespace oura::store {

// A parameter: bound as text with an unknown type, so PostgreSQL infers it from its use ($1::int).
using SqlParam = std::optional<std::string>;  // nullopt binds NULL

struct SqlLimits {
    std::size_t max_rows = 10000;                 // more than this many rows → truncated
    std::size_t max_bytes = 8 * 1024 * 1024;      // cell bytes read at most → truncated
    std::chrono::milliseconds timeout{5000};      // statement_timeout of the request
};

struct SqlAnswer {
    ResultTable table;
    bool truncated = false;
};

// The user's statement failed on its own terms (syntax, permission, read-only, timeout, a
// statement that returns no rows). what() is PostgreSQL's primary message only: no detail, hint,
// context or query text.
class sql_rejected : public std::runtime_error {
public:
    sql_rejected(std::string sqlstate, const std::string& message)
        : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
    const std::string& sqlstate() const { return sqlstate_; }
    bool timed_out() const { return sqlstate_ == "57014"; }

private:
    std::string sqlstate_;
};

class SqlGateway {
public:
    // `url`: a libpq URI of the oura_sql member login role. Connections open lazily, at most
    // `pool_size` at once; callers beyond wait up to `acquire_wait`, then get database_unavailable.
    SqlGateway(std::string url, std::size_t pool_size, std::chrono::milliseconds acquire_wait = std::chrono::seconds(5));
    ~SqlGateway();
    SqlGateway(const SqlGateway&) = delete;
    SqlGateway& operator=(const SqlGateway&) = delete;

    // Runs one user statement under the recipe. Throws sql_rejected for the statement's own
    // failure, database_unavailable when no connection can be had or one broke.
    SqlAnswer run(std::string_view sql, const std::vector<SqlParam>& params, const SqlLimits& limits);

    // For the escape tests: every idle pooled connection's current role, transaction state and
    // non-default settings (name=value lines), so a test can check a request left nothing behind.
    std::vector<std::string> idle_connection_states();
    std::size_t connections_opened() const;  // ever opened; a drop shows as one more

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace oura::store
