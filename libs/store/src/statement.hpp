#pragma once
// The store's SQL as named statements (private to libs/store): each constant carries its own name,
// which is its prepared-statement name on every connection (and its metrics label).

#include <pqxx/pqxx>

#include <string>
#include <string_view>
#include <utility>

namespace oura::store {

struct Statement {
    std::string_view name;
    std::string_view sql;
};

// Runs `s` as a prepared statement, preparing it on this connection the first time. libpqxx
// registers the definition only (a repeat with the same text is a map lookup) and prepares it on
// the server at its first execution; the server keeps it for the connection's life, so a pooled
// connection parses and plans each statement once. Never run DISCARD ALL on a pool that uses this.
template <typename... Args>
pqxx::result exec(pqxx::transaction_base& tx, const Statement& s, Args&&... args) {
    std::string name(s.name);
    tx.conn().prepare(name, std::string(s.sql));
    return tx.exec_prepared(name, std::forward<Args>(args)...);
}

// exec, planned for this execution's parameters. The projections take an array of document ids:
// the generic plan PostgreSQL switches to after five runs cannot see how few ids it holds, and made
// the sleep projection 4x slower (bench/poller_bench.sh). Elsewhere the generic plan is the faster
// one (the heart-rate merge over its staging table runs 1.6x slower when planned every time).
template <typename... Args>
pqxx::result exec_custom_plan(pqxx::transaction_base& tx, const Statement& s, Args&&... args) {
    tx.exec("SET LOCAL plan_cache_mode = force_custom_plan");
    return exec(tx, s, std::forward<Args>(args)...);
}

template <typename... Args>
pqxx::row exec1(pqxx::transaction_base& tx, const Statement& s, Args&&... args) {
    auto r = exec(tx, s, std::forward<Args>(args)...);
    if (r.size() != 1) throw pqxx::unexpected_rows(std::string(s.name) + " returned " + std::to_string(r.size()) + " rows, not 1");
    return r[0];
}

}  // namespace oura::store
