#include "oura/store/table_stats.hpp"

#include "statement.hpp"

namespace oura::store {
namespace {

// The table name is schema-qualified, the way the metrics label it. reltuples is -1 until the table
// is first analyzed (autovacuum does that); it is copied as it is rather than guessed.
constexpr Statement upsert_table_stats{"upsert_table_stats", R"sql(
    INSERT INTO oura.table_stats (table_name, row_estimate, total_bytes, refreshed_at)
    SELECT format('%s.%s', n.nspname, c.relname), c.reltuples::bigint, pg_total_relation_size(c.oid), now()
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'oura' AND c.relkind = 'r'
    ON CONFLICT (table_name) DO UPDATE
       SET row_estimate = EXCLUDED.row_estimate, total_bytes = EXCLUDED.total_bytes, refreshed_at = EXCLUDED.refreshed_at
)sql"};

}  // namespace

int refresh_table_stats(pqxx::work& tx) { return static_cast<int>(exec(tx, upsert_table_stats).affected_rows()); }

}  // namespace oura::store
