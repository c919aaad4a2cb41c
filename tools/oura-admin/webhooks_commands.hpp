#pragma once
// oura-admin webhooks list|ensure|renew|delete: the application's Oura webhook subscriptions.

#include <string>
#include <vector>

#include "oura/core/config.hpp"
#include "oura/core/log.hpp"

namespace oura::admin {

inline constexpr const char* webhooks_overview =
    "  webhooks list        the application's subscriptions at Oura (mirrored into webhook_subscriptions)\n"
    "  webhooks ensure      create the configured event x data types for OURA_WEBHOOK_CALLBACK_URL (through\n"
    "                       Oura's handshake with ingest-webhook), renew those expiring soon\n"
    "  webhooks renew [--within-days N]   renew subscriptions expiring within N days (default 14)\n"
    "  webhooks delete ID   delete one subscription\n";

// `args` after "webhooks"; the exit code. Throws core::usage_error for bad arguments.
int webhooks_command(const std::vector<std::string>& args, const core::Env& env, const core::Logger& log);

}  // namespace oura::admin
