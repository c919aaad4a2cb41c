#include "webhooks_commands.hpp"

#include <iostream>

#include "oura/api/client.hpp"
#include "oura/api/settings.hpp"
#include "oura/core/cli.hpp"
#include "oura/store/database.hpp"
#include "oura/sync/subscriptions.hpp"

namespace oura::admin {
namespace {

void print(const sync::SubscriptionReport& r) {
    std::cout << "created " << r.created << ", renewed " << r.renewed << ", unchanged " << r.existing << ", failed "
              << r.failed << "\n";
    for (const auto& e : r.errors) std::cerr << "oura-admin: " << e << "\n";
}

}  // namespace

int webhooks_command(const std::vector<std::string>& args, const core::Env& env, const core::Logger& log) {
    const std::string sub = args.empty() ? "" : args[0];
    const std::vector<std::string> rest(args.empty() ? args.end() : args.begin() + 1, args.end());
    std::vector<core::Flag> flags;
    std::string usage = "oura-admin webhooks list|ensure|renew|delete";
    std::string description = "The application's Oura webhook subscriptions.\n" + std::string(webhooks_overview);
    if (sub == "renew") flags.push_back({"within-days", "N", "renew those expiring within N days (default 14, 1-89)"});
    core::CommandLine cli(usage, description, flags,
                          "Environment: OURA_DATABASE_URL, OURA_CLIENT_ID, OURA_CLIENT_SECRET, OURA_API_BASE_URL; for ensure\n"
                          "also OURA_WEBHOOK_CALLBACK_URL, OURA_WEBHOOK_VERIFICATION_TOKEN, OURA_WEBHOOK_EVENT_TYPES,\n"
                          "OURA_WEBHOOK_DATA_TYPES, OURA_WEBHOOK_RENEW_DAYS.");
    cli.parse(rest);
    if (cli.help_requested() || sub == "--help" || sub.empty()) {
        std::cout << cli.help();
        return sub.empty() ? core::exit_usage : core::exit_ok;
    }
    if (sub != "list" && sub != "ensure" && sub != "renew" && sub != "delete")
        throw core::usage_error("unknown command 'webhooks " + sub + "' (see oura-admin webhooks --help)");
    if (sub == "delete" && cli.positional().size() != 1) throw core::usage_error("webhooks delete needs one subscription ID");
    if (sub != "delete" && !cli.positional().empty())
        throw core::usage_error("unexpected argument '" + cli.positional()[0] + "'");
    auto within = cli.int_or("within-days", 14, 1, 89);
    std::optional<sync::SubscriptionSettings> settings;
    if (sub == "ensure") {
        settings = sync::subscription_settings_from_env(env);
        if (!settings) throw core::config_error("OURA_WEBHOOK_CALLBACK_URL is required for webhooks ensure");
    }
    store::Pool pool(env.require("OURA_DATABASE_URL"), 1);
    api::OuraClient client(api::options_from_env(env, /*require_client=*/true), log);

    if (sub == "list") {
        auto subs = sync::list_subscriptions(client, pool);
        if (subs.empty()) std::cout << "(no subscriptions; oura-admin webhooks ensure creates them)\n";
        for (const auto& s : subs)
            std::cout << s.id << "  " << s.event_type << "  " << s.data_type << "  expires " << s.expiration_time << "  "
                      << s.callback_url << "\n";
        return core::exit_ok;
    }
    if (sub == "ensure") {
        auto report = sync::ensure_subscriptions(client, pool, *settings, log);
        print(report);
        return report.ok() ? core::exit_ok : core::exit_failure;
    }
    if (sub == "renew") {
        auto report = sync::renew_subscriptions(client, pool, std::chrono::hours(24) * within, log);
        print(report);
        return report.ok() ? core::exit_ok : core::exit_failure;
    }
    const auto& id = cli.positional()[0];
    if (!sync::delete_subscription(client, pool, id)) {
        std::cerr << "oura-admin: Oura has no subscription " << id << "\n";
        return core::exit_failure;
    }
    std::cout << "deleted " << id << "\n";
    return core::exit_ok;
}

}  // namespace oura::admin
