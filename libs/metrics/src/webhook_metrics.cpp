#include "oura/metrics/webhook_metrics.hpp"

#include <prometheus/registry.h>

namespace oura::metrics {
namespace {

// Received → visible takes a fetch from Oura (tens of ms to seconds) plus any queue wait; retries
// of a 404 push it to minutes.
const prometheus::Histogram::BucketBoundaries lag_buckets{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800};
const prometheus::Histogram::BucketBoundaries batch_buckets{1, 2, 4, 8, 16, 32, 64, 128, 256};

prometheus::Counter& series(std::mutex& mutex, std::map<std::string, prometheus::Counter*, std::less<>>& cache,
                            prometheus::Family<prometheus::Counter>& family, std::string_view outcome) {
    std::lock_guard lock(mutex);
    auto it = cache.find(outcome);
    if (it == cache.end())
        it = cache.emplace(std::string(outcome), &family.Add({{"outcome", std::string(outcome)}})).first;
    return *it->second;
}

}  // namespace

WebhookMetrics::WebhookMetrics(Registry& registry)
    : deliveries_(prometheus::BuildCounter()
                      .Name("oura_webhook_deliveries_total")
                      .Help("Webhook deliveries received, by outcome (accepted and duplicate were committed before the 2xx)")
                      .Register(registry.prometheus())),
      lag_(prometheus::BuildHistogram()
               .Name("oura_webhook_processing_lag_seconds")
               .Help("From a delivery's receipt to its document written (or tombstoned)")
               .Register(registry.prometheus())
               .Add({}, lag_buckets)),
      batch_(prometheus::BuildHistogram()
                 .Name("oura_webhook_commit_batch_size")
                 .Help("Deliveries committed together in one transaction (group commit)")
                 .Register(registry.prometheus())
                 .Add({}, batch_buckets)),
      callbacks_(prometheus::BuildCounter()
                     .Name("oura_oauth_callbacks_total")
                     .Help("OAuth callbacks answered, by outcome")
                     .Register(registry.prometheus())) {}

void WebhookMetrics::delivery(std::string_view outcome) { series(mutex_, delivery_series_, deliveries_, outcome).Increment(); }
void WebhookMetrics::processing_lag(double seconds) { lag_.Observe(seconds); }
void WebhookMetrics::commit_batch(std::size_t deliveries) { batch_.Observe(static_cast<double>(deliveries)); }
void WebhookMetrics::oauth_callback(std::string_view outcome) {
    series(mutex_, callback_series_, callbacks_, outcome).Increment();
}

}  // namespace oura::metrics
