#pragma once
// Table sizes for /metrics and the status page, copied from the catalog by the poller so that the
// readers need no catalog access and no expensive size functions at scrape time.

#include <pqxx/pqxx>

namespace oura::store {

// Upserts one oura.table_stats row per table of schema `oura` (row estimate from pg_class.reltuples,
// -1 until the table is first analyzed; total bytes with indexes and TOAST) in `tx`; returns the
// number of tables. Throws pqxx errors; it never touches the health data.
int refresh_table_stats(pqxx::work& tx);

}  // namespace oura::store
