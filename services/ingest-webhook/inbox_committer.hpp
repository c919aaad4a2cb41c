#pragma once
// Group commit for the webhook inbox: concurrent deliveries are committed together, one
// transaction (and one WAL flush) for as many as arrived while the previous commit was running, so
// throughput is not bounded by one fsync per request. Each caller still gets its answer only after
// the transaction holding its delivery committed: nothing acknowledged is lost.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "oura/core/log.hpp"
#include "oura/metrics/webhook_metrics.hpp"
#include "oura/store/database.hpp"
#include "oura/store/webhooks.hpp"

namespace oura::ingest_webhook {

enum class CommitResult {
    accepted,      // committed with its job
    duplicate,     // committed earlier already
    unknown_user,  // committed, no job (the user has not connected yet)
    rejected,      // the database refused this delivery's values (answer 400: a retry cannot help)
    unavailable,   // not committed: the database failed or the commit took too long (answer 503)
};

class InboxCommitter {
public:
    // `committers` threads, each with its own connection, take turns: while one commits, the next
    // batch gathers. At most `max_batch` deliveries per transaction.
    InboxCommitter(const std::string& database_url, int committers, std::size_t max_batch, const core::Logger& log,
                   metrics::WebhookMetrics* metrics = nullptr);
    ~InboxCommitter();  // commits what is queued, then stops
    InboxCommitter(const InboxCommitter&) = delete;
    InboxCommitter& operator=(const InboxCommitter&) = delete;

    // Blocks until the delivery's transaction ended or `timeout` passed (then unavailable: it may
    // still commit, and Oura's retry is then a duplicate).
    CommitResult submit(store::InboxDelivery delivery, std::chrono::milliseconds timeout);

private:
    struct Pending {
        store::InboxDelivery delivery;
        std::promise<CommitResult> done;
    };
    void run();
    void commit(std::vector<std::unique_ptr<Pending>>& batch);

    store::Pool pool_;
    std::size_t max_batch_;
    const core::Logger& log_;
    metrics::WebhookMetrics* metrics_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::unique_ptr<Pending>> queue_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace oura::ingest_webhook
