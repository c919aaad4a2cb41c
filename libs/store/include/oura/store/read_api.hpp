#pragma once
// What query-api reads with its own (writer) pool: the read API's pages, statistics, the change
// events behind /api/events and its stream, the pipeline snapshot behind /status and the
// database-derived gauges, and the operators' user administration. Every function runs in the
// caller's transaction and throws pqxx errors; none takes SQL from its caller.

#include <pqxx/pqxx>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oura/store/result_table.hpp"

namespace oura::store {

// One page of a keyset-paged read. `after` is the opaque cursor of the previous page's last row
// (next_after of that page); the first page has none. Ranges are inclusive; start and end are
// dates (YYYY-MM-DD) for daily summaries and sleep, instants for heart rate.
struct PageQuery {
    std::optional<long long> user_id;  // nullopt: every user
    std::string start, end;
    std::optional<std::string> after;
    int limit = 1000;
};
struct Page {
    ResultTable table;
    std::optional<std::string> next_after;  // set when the page was full: ask again with it
};

enum class Series { daily_summaries, sleep, heartrate };
// Throws std::invalid_argument for a cursor that is not one this function made.
Page read_page(pqxx::transaction_base& tx, Series series, const PageQuery& query);

bool user_exists(pqxx::transaction_base& tx, long long user_id);

// Per table of schema oura: estimated rows, bytes (from table_stats, refreshed by the poller) and,
// for the health tables, the first and last day or instant held.
ResultTable table_statistics(pqxx::transaction_base& tx);
// Database size, size of the raw documents, and documents first seen in the last day and week.
ResultTable database_info(pqxx::transaction_base& tx);

struct ChangeEvent {
    long long id = 0;
    std::string at;  // ISO 8601 UTC
    long long user_id = 0;
    std::string resource, document_id, change;
    long long rows = 1;
};
// Events with id > after_id, oldest first, at most `limit`.
std::vector<ChangeEvent> change_events_after(pqxx::transaction_base& tx, long long after_id, int limit);
// The id of the newest change event (0 when none): where a stream without a position starts.
long long newest_change_event_id(pqxx::transaction_base& tx);
// The newest `limit` change events, newest first.
std::vector<ChangeEvent> latest_change_events(pqxx::transaction_base& tx, int limit);
// The newest `limit` change events and webhook deliveries (with their processing state), newest first.
ResultTable recent_changes(pqxx::transaction_base& tx, int limit);
ResultTable recent_deliveries(pqxx::transaction_base& tx, int limit);
// Deletes change events older than `days`; returns how many.
long long trim_change_events(pqxx::transaction_base& tx, int days);

// Everything /status and the gauges show, read in one go. Times are Unix seconds.
struct PipelineSnapshot {
    struct Sync {
        long long user_id = 0;
        std::string oura_user_id, resource, status, last_error;
        std::optional<double> last_success, last_attempt;
    };
    struct JobGroup {
        std::string kind, state;
        long long count = 0;
    };
    struct Subscription {
        std::string data_type, event_type, last_error;
        double expires = 0;
    };
    struct Token {
        long long user_id = 0;
        std::string oura_user_id;
        std::optional<double> expires;
        bool dead = false;
    };
    struct Backfill {
        long long id = 0;
        std::string users, resources, state, from_day, to_day;
        long long chunks_total = 0, chunks_done = 0, chunks_failed = 0;
    };
    struct TableSize {
        std::string table;
        long long rows = 0, bytes = 0;
    };
    std::vector<Sync> syncs;
    std::vector<JobGroup> jobs;
    std::vector<std::pair<std::string, double>> oldest_pending_age;  // kind → seconds
    double inbox_lag_seconds = 0;
    std::vector<Subscription> subscriptions;
    std::vector<Token> tokens;
    long long users_needing_reconnect = 0;
    std::vector<Backfill> backfills;  // running
    std::vector<std::pair<std::string, long long>> backfill_chunks;  // chunks of running backfills by job state
    std::vector<TableSize> tables;
    double now = 0;
};
PipelineSnapshot pipeline_snapshot(pqxx::work& tx);

// Operators' user administration.
ResultTable users_table(pqxx::transaction_base& tx);
// Sets status 'paused' (no more syncing; data kept). False for an unknown user.
bool disable_user(pqxx::transaction_base& tx, long long user_id);
// Forgets the user's tokens and sets status 'revoked'. False for an unknown user.
bool disconnect_user(pqxx::transaction_base& tx, long long user_id);
// Every row of the user, counted per table (oura.erase_user, migration 0016); empty for an unknown user.
std::vector<std::pair<std::string, long long>> erase_user(pqxx::transaction_base& tx, long long user_id);

// The one channel every commit of new data announces itself on (triggers of migration 0016).
inline constexpr const char* changes_channel = "oura_changes";

// LISTENs on changes_channel on its own connection from construction on.
class ChangeWaiter {
public:
    explicit ChangeWaiter(std::string database_url);  // connects lazily; never throws
    ~ChangeWaiter();
    ChangeWaiter(const ChangeWaiter&) = delete;
    ChangeWaiter& operator=(const ChangeWaiter&) = delete;
    // True as soon as a change was announced, or when the connection was (re)opened (announcements
    // may have been missed: the caller treats it as a change); false after `timeout` without one.
    bool wait(std::chrono::milliseconds timeout);

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace oura::store
