#include "oura/store/table_stats.hpp"

namespace oura::store {
namespace {

// The table name is schema-qualified, the way the metrics label it. reltuples is -1 until the table
// is first analyzed (autovacuum does that); it is copied as it is rather than guessed.
constexpr auto upsert_table_stats = R"sql(
    INSERT INTO oura.table_stats (table_name, row_estimate, total_bytes, refreshed_at)
    SELECT format('%s.%s', n.nspname, c.relname), c.reltuples::bigint, pg_total_relation_size(c.oid), now()
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'oura' AND c.relkind = 'r'
    ON CONFLICT (table_name) DO UPDATE
       SET row_estimate = EXCLUDED.row_estimate, total_bytes = EXCLUDED.total_bytes, refreshed_at = EXCLUDED.refreshed_at
)sql";

}  // namespace

int refresh_table_stats(pqxx::connection& conn) {
    pqxx::work tx(conn);
    auto r = tx.exec(upsert_table_stats);
    tx.commit();
    return static_cast<int>(r.affected_rows());
}

}  // namespace oura::store
