// The table sizes the poller copies for /metrics: every table Grafana may read, as big as it is.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "oura/store/table_stats.hpp"

using oura::test::TestDatabase;

TEST_CASE("table stats hold every oura table's size, and a refresh brings them up to date", "[pg][store]") {
    TestDatabase db;
    auto c = db.connect();
    const auto tables = db.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'oura'");
    REQUIRE(std::stoi(tables) > 10);
    // As the poller runs it: a member of oura_writer, no privileges of its own.
    pqxx::connection writer(db.writer_url());
    auto refresh = [&] {
        pqxx::work tx(writer);
        auto n = oura::store::refresh_table_stats(tx);
        tx.commit();
        return n;
    };
    CHECK(std::to_string(refresh()) == tables);
    CHECK(db.scalar("SELECT count(*) FROM oura.table_stats") == tables);
    // Secrets stay out: the reader role may read table_stats.
    CHECK(db.scalar("SELECT count(*) FROM oura.table_stats WHERE table_name NOT LIKE 'oura.%'") == "0");
    const auto empty_bytes =
        db.scalar("SELECT total_bytes FROM oura.table_stats WHERE table_name = 'oura.heart_rate_samples'");
    const auto first_refresh = db.scalar("SELECT max(refreshed_at) FROM oura.table_stats");

    {
        pqxx::work tx(c);
        tx.exec("INSERT INTO oura.users (oura_user_id) VALUES ('u-stats')");
        tx.exec("INSERT INTO oura.heart_rate_samples (user_id, ts, source, bpm) "
                "SELECT (SELECT user_id FROM oura.users), '2024-01-01'::timestamptz + i * interval '5 minutes', "
                "'awake', 60 FROM generate_series(1, 5000) i");
        tx.commit();
    }
    pqxx::nontransaction(c).exec("ANALYZE oura.heart_rate_samples");
    refresh();
    CHECK(db.scalar("SELECT row_estimate FROM oura.table_stats WHERE table_name = 'oura.heart_rate_samples'") == "5000");
    CHECK(db.scalar("SELECT total_bytes > " + empty_bytes +
                    " FROM oura.table_stats WHERE table_name = 'oura.heart_rate_samples'") == "t");
    CHECK(db.scalar("SELECT min(refreshed_at) > '" + first_refresh + "' FROM oura.table_stats") == "t");
    CHECK(db.scalar("SELECT count(*) FROM oura.table_stats") == tables);
}
