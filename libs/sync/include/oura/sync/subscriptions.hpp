#pragma once
// The application's Oura webhook subscriptions, kept alive: list (and mirror into
// oura.webhook_subscriptions, which metrics and the status page read), ensure the configured set
// exists for our callback URL (Oura calls the callback's verification handshake while creating),
// renew those expiring soon, delete. Used by the poller on every run and by `oura-admin webhooks`.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "oura/api/client.hpp"
#include "oura/core/config.hpp"
#include "oura/core/log.hpp"
#include "oura/store/database.hpp"

namespace oura::sync {

struct SubscriptionSettings {
    std::string callback_url;              // OURA_WEBHOOK_CALLBACK_URL
    std::string verification_token;        // OURA_WEBHOOK_VERIFICATION_TOKEN
    std::vector<std::string> event_types;  // OURA_WEBHOOK_EVENT_TYPES (default create, update, delete)
    std::vector<std::string> data_types;   // OURA_WEBHOOK_DATA_TYPES (default: every type with a REST collection)
    int renew_within_days = 14;            // OURA_WEBHOOK_RENEW_DAYS
};
// nullopt when OURA_WEBHOOK_CALLBACK_URL is unset (subscriptions are not managed). Throws
// core::config_error naming the variable (an unknown event type, a missing verification token, …).
std::optional<SubscriptionSettings> subscription_settings_from_env(const core::Env& env);

struct SubscriptionReport {
    int existing = 0, created = 0, renewed = 0, failed = 0;
    std::vector<std::string> errors;  // "event_type/data_type: why", no secrets
    bool ok() const { return failed == 0; }
};

// Oura's list of the application's subscriptions, mirrored into the table (rows Oura no longer
// has are removed). Throws api_error.
std::vector<api::Subscription> list_subscriptions(api::OuraClient& client, store::Pool& pool);

// Creates each configured event type × data type missing for the callback URL, then renews every
// subscription of the callback expiring within renew_within_days (or already expired). A failure
// of one is counted and the others go on. Throws api_error only when the list cannot be read.
SubscriptionReport ensure_subscriptions(api::OuraClient& client, store::Pool& pool, const SubscriptionSettings& settings,
                                        const core::Logger& log,
                                        std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Renews the subscriptions (of any callback) expiring within `within` of `now`.
SubscriptionReport renew_subscriptions(api::OuraClient& client, store::Pool& pool, std::chrono::hours within,
                                       const core::Logger& log,
                                       std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Deletes one subscription at Oura and its row; false when Oura did not know it.
bool delete_subscription(api::OuraClient& client, store::Pool& pool, const std::string& id);

}  // namespace oura::sync
