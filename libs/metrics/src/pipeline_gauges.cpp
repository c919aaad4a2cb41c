#include "oura/metrics/pipeline_gauges.hpp"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <map>

namespace oura::metrics {
namespace {

std::string serialize(prometheus::Registry& r) { return prometheus::TextSerializer().Serialize(r.Collect()); }

prometheus::Family<prometheus::Gauge>& gauge(prometheus::Registry& r, const std::string& name, const std::string& help) {
    return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}

}  // namespace

std::string database_down_gauges() {
    prometheus::Registry r;
    gauge(r, "oura_database_up", "1 when query-api could read the database at the last scrape, else 0").Add({}).Set(0);
    return serialize(r);
}

std::string pipeline_gauges(const store::PipelineSnapshot& s) {
    prometheus::Registry r;
    gauge(r, "oura_database_up", "1 when query-api could read the database at the last scrape, else 0").Add({}).Set(1);
    auto& sync = gauge(r, "oura_sync_last_success_timestamp_seconds",
                       "Unix time of the last successful sync per user and resource (any ingestion path)");
    for (const auto& x : s.syncs)
        if (x.last_success) sync.Add({{"user", std::to_string(x.user_id)}, {"resource", x.resource}}).Set(*x.last_success);
    auto& jobs = gauge(r, "oura_jobs", "Jobs in the queue by kind and state");
    for (const auto& j : s.jobs) jobs.Add({{"kind", j.kind}, {"state", j.state}}).Set(static_cast<double>(j.count));
    auto& oldest = gauge(r, "oura_jobs_oldest_pending_age_seconds", "How long the longest-waiting due pending job of a kind has waited");
    for (const auto& [kind, age] : s.oldest_pending_age) oldest.Add({{"kind", kind}}).Set(age);
    gauge(r, "oura_webhook_inbox_lag_seconds", "Age of the oldest unprocessed webhook delivery, 0 when none")
        .Add({})
        .Set(s.inbox_lag_seconds);
    auto& subs = gauge(r, "oura_webhook_subscription_expiry_timestamp_seconds", "Unix time a webhook subscription expires");
    for (const auto& x : s.subscriptions) subs.Add({{"data_type", x.data_type}, {"event_type", x.event_type}}).Set(x.expires);
    auto& tokens = gauge(r, "oura_token_expiry_timestamp_seconds", "Unix time the user's access token expires");
    for (const auto& t : s.tokens)
        if (t.expires) tokens.Add({{"user", std::to_string(t.user_id)}}).Set(*t.expires);
    gauge(r, "oura_users_needing_reconnect", "Users whose grant is dead, missing or lacks a scope: they must connect again")
        .Add({})
        .Set(static_cast<double>(s.users_needing_reconnect));
    auto& tables = gauge(r, "oura_table_rows", "Estimated rows per table (from table_stats)");
    for (const auto& t : s.tables) tables.Add({{"table", t.table}}).Set(static_cast<double>(t.rows));
    auto& bf = gauge(r, "oura_backfill_chunks", "Chunks of running backfills by job state");
    for (const auto& [state, n] : s.backfill_chunks) bf.Add({{"state", state}}).Set(static_cast<double>(n));
    return serialize(r);
}

}  // namespace oura::metrics
