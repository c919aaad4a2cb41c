#include "inbox_committer.hpp"

namespace oura::ingest_webhook {
namespace {

CommitResult from(store::InboxOutcome o) {
    switch (o) {
        case store::InboxOutcome::accepted: return CommitResult::accepted;
        case store::InboxOutcome::duplicate: return CommitResult::duplicate;
        case store::InboxOutcome::unknown_user: return CommitResult::unknown_user;
    }
    return CommitResult::unavailable;
}

}  // namespace

InboxCommitter::InboxCommitter(const std::string& database_url, int committers, std::size_t max_batch,
                               const core::Logger& log, metrics::WebhookMetrics* metrics)
    : pool_(database_url, static_cast<std::size_t>(std::max(1, committers))),
      max_batch_(std::max<std::size_t>(1, max_batch)),
      log_(log),
      metrics_(metrics) {
    for (int i = 0; i < std::max(1, committers); ++i) threads_.emplace_back([this] { run(); });
}

InboxCommitter::~InboxCommitter() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) t.join();
}

CommitResult InboxCommitter::submit(store::InboxDelivery delivery, std::chrono::milliseconds timeout) {
    auto pending = std::make_unique<Pending>();
    pending->delivery = std::move(delivery);
    auto result = pending->done.get_future();
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return CommitResult::unavailable;
        queue_.push_back(std::move(pending));
    }
    ready_.notify_one();
    if (result.wait_for(timeout) != std::future_status::ready) return CommitResult::unavailable;
    return result.get();
}

void InboxCommitter::run() {
    for (;;) {
        std::vector<std::unique_ptr<Pending>> batch;
        {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, and everything queued is committed
            while (!queue_.empty() && batch.size() < max_batch_) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        commit(batch);
    }
}

void InboxCommitter::commit(std::vector<std::unique_ptr<Pending>>& batch) {
    std::vector<store::InboxDelivery> deliveries;
    deliveries.reserve(batch.size());
    for (auto& p : batch) deliveries.push_back(p->delivery);
    try {
        auto outcomes = store::commit_deliveries(pool_, deliveries);
        if (metrics_) metrics_->commit_batch(batch.size());
        for (std::size_t i = 0; i < batch.size(); ++i) batch[i]->done.set_value(from(outcomes[i]));
        return;
    } catch (const store::delivery_rejected& e) {
        if (batch.size() == 1) {
            log_.warn("the database refused a delivery's values", {{"error", e.what()}});
            batch[0]->done.set_value(CommitResult::rejected);
            return;
        }
        // One delivery spoils the statement for all: commit them one by one, so only it is refused.
        for (auto& p : batch) {
            std::vector<std::unique_ptr<Pending>> one;
            one.push_back(std::move(p));
            commit(one);
        }
        return;
    } catch (const std::exception& e) {
        log_.error("cannot commit webhook deliveries; answering 503 so Oura retries",
                   {{"deliveries", static_cast<std::int64_t>(batch.size())}, {"error", e.what()}});
    }
    for (auto& p : batch) p->done.set_value(CommitResult::unavailable);
}

}  // namespace oura::ingest_webhook
