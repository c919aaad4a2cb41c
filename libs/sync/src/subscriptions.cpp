#include "oura/sync/subscriptions.hpp"

#include <algorithm>
#include <set>

#include "oura/api/catalog.hpp"
#include "oura/api/webhook.hpp"
#include "oura/core/text.hpp"
#include "oura/core/time.hpp"
#include "oura/store/webhooks.hpp"

namespace oura::sync {
namespace {

store::SubscriptionRow row_of(const api::Subscription& s) {
    return {s.id, s.callback_url, s.event_type, s.data_type, s.expiration_time};
}

void save(store::Pool& pool, const api::Subscription& s, bool renewed) {
    pool.transact([&](store::Transaction& tx) { store::save_subscription(tx, row_of(s), renewed); });
}

// Expiring when its expiry is unreadable too: a renewal costs one call, a lapse costs deliveries.
bool expiring(const api::Subscription& s, std::chrono::system_clock::time_point deadline) {
    auto at = core::parse_datetime(s.expiration_time);
    return !at || std::chrono::system_clock::time_point(at->utc) <= deadline;
}

std::vector<std::string> default_data_types() {
    std::vector<std::string> out;
    for (auto t : api::webhook_data_types())
        if (auto* r = api::find_by_webhook_type(t); r && r->single_document_route) out.emplace_back(t);
    return out;
}

}  // namespace

std::optional<SubscriptionSettings> subscription_settings_from_env(const core::Env& env) {
    auto callback = env.get_url("OURA_WEBHOOK_CALLBACK_URL", "");
    if (callback.empty()) return std::nullopt;
    SubscriptionSettings s;
    s.callback_url = callback;
    s.verification_token = env.get_or("OURA_WEBHOOK_VERIFICATION_TOKEN", "");
    if (s.verification_token.empty())
        throw core::config_error("OURA_WEBHOOK_VERIFICATION_TOKEN is required when OURA_WEBHOOK_CALLBACK_URL is set");
    s.event_types = core::split_list(env.get_or("OURA_WEBHOOK_EVENT_TYPES", "create,update,delete"), ", ");
    for (const auto& t : s.event_types)
        if (!api::is_webhook_event_type(t))
            throw core::config_error("OURA_WEBHOOK_EVENT_TYPES: '" + t + "' is not create, update or delete");
    auto types = env.get("OURA_WEBHOOK_DATA_TYPES");
    s.data_types = types ? core::split_list(*types, ", ") : default_data_types();
    for (const auto& t : s.data_types)
        if (!api::is_webhook_data_type(t))
            throw core::config_error("OURA_WEBHOOK_DATA_TYPES: '" + t + "' is not a webhook data type");
    if (s.event_types.empty() || s.data_types.empty())
        throw core::config_error("OURA_WEBHOOK_EVENT_TYPES and OURA_WEBHOOK_DATA_TYPES must each name at least one type");
    s.renew_within_days = static_cast<int>(env.get_int("OURA_WEBHOOK_RENEW_DAYS", s.renew_within_days, 1, 89));
    return s;
}

std::vector<api::Subscription> list_subscriptions(api::OuraClient& client, store::Pool& pool) {
    auto subs = client.list_subscriptions();
    pool.transact([&](store::Transaction& tx) {
        std::vector<std::string> ids;
        for (const auto& s : subs) {
            store::save_subscription(tx, row_of(s), false);
            ids.push_back(s.id);
        }
        store::forget_subscriptions_except(tx, ids);
    });
    return subs;
}

SubscriptionReport renew_subscriptions(api::OuraClient& client, store::Pool& pool, std::chrono::hours within,
                                       const core::Logger& log, std::chrono::system_clock::time_point now) {
    SubscriptionReport report;
    for (const auto& s : list_subscriptions(client, pool)) {
        if (!expiring(s, now + within)) {
            ++report.existing;
            continue;
        }
        try {
            save(pool, client.renew_subscription(s.id), true);
            ++report.renewed;
            log.info("webhook subscription renewed", {{"event_type", s.event_type}, {"data_type", s.data_type}});
        } catch (const std::exception& e) {
            ++report.failed;
            report.errors.push_back(s.event_type + "/" + s.data_type + ": " + e.what());
            log.error("cannot renew a webhook subscription",
                      {{"event_type", s.event_type}, {"data_type", s.data_type}, {"error", e.what()}});
            try {
                pool.transact([&](store::Transaction& tx) { store::record_subscription_error(tx, s.id, e.what()); });
            } catch (const std::exception&) {
            }
        }
    }
    return report;
}

SubscriptionReport ensure_subscriptions(api::OuraClient& client, store::Pool& pool, const SubscriptionSettings& settings,
                                        const core::Logger& log, std::chrono::system_clock::time_point now) {
    SubscriptionReport report;
    std::set<std::pair<std::string, std::string>> have;
    for (const auto& s : list_subscriptions(client, pool))
        if (s.callback_url == settings.callback_url) have.emplace(s.event_type, s.data_type);
    for (const auto& event_type : settings.event_types) {
        for (const auto& data_type : settings.data_types) {
            if (have.count({event_type, data_type})) continue;
            try {
                save(pool, client.create_subscription(settings.callback_url, settings.verification_token, event_type, data_type),
                     false);
                ++report.created;
                log.info("webhook subscription created", {{"event_type", event_type}, {"data_type", data_type}});
            } catch (const std::exception& e) {
                ++report.failed;
                report.errors.push_back(event_type + "/" + data_type + ": " + e.what());
                log.error("cannot create a webhook subscription",
                          {{"event_type", event_type}, {"data_type", data_type}, {"error", e.what()}});
            }
        }
    }
    auto renewed = renew_subscriptions(client, pool, std::chrono::hours(24) * settings.renew_within_days, log, now);
    report.existing = renewed.existing;
    report.renewed = renewed.renewed;
    report.failed += renewed.failed;
    report.errors.insert(report.errors.end(), renewed.errors.begin(), renewed.errors.end());
    report.existing -= std::min(report.existing, report.created);  // the new ones were listed by the renewal pass
    return report;
}

bool delete_subscription(api::OuraClient& client, store::Pool& pool, const std::string& id) {
    bool deleted = client.delete_subscription(id);
    pool.transact([&](store::Transaction& tx) { store::forget_subscription(tx, id); });
    return deleted;
}

}  // namespace oura::sync
