#pragma once
// query-api's database-derived gauges (computed on scrape from a store::PipelineSnapshot, behind a
// short cache in the service). Alert rules and dashboards read these names; keep them exactly:
//   oura_database_up, oura_sync_last_success_timestamp_seconds{user,resource},
//   oura_jobs{kind,state}, oura_jobs_oldest_pending_age_seconds{kind}, oura_webhook_inbox_lag_seconds,
//   oura_webhook_subscription_expiry_timestamp_seconds{data_type,event_type},
//   oura_token_expiry_timestamp_seconds{user}, oura_users_needing_reconnect, oura_table_rows{table},
//   oura_backfill_chunks{state}
// `user` is our internal user id (never an e-mail or an Oura id).

#include <string>

#include "oura/store/read_api.hpp"

namespace oura::metrics {

// The exposition text of every gauge above from `snapshot`.
std::string pipeline_gauges(const store::PipelineSnapshot& snapshot);
// Only oura_database_up 0: what a scrape shows when the database cannot be read.
std::string database_down_gauges();

}  // namespace oura::metrics
