#include "oura/sync/oauth_flow.hpp"

#include "oura/core/text.hpp"

#include "oura/api/oauth.hpp"
#include "oura/core/json.hpp"
#include "oura/store/jobs.hpp"
#include "oura/store/oauth_states.hpp"
#include "oura/store/users.hpp"
#include "oura/store/webhooks.hpp"

namespace oura::sync {
namespace {

http::Response page(int status, std::string_view title, const std::vector<std::string>& paragraphs) {
    auto r = http::text_response(status, html_page(title, paragraphs), "text/html; charset=utf-8");
    // The page may carry an account's e-mail; nothing of it belongs in a shared cache.
    r.headers.set("Cache-Control", "no-store");
    r.headers.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    return r;
}

CallbackResult result(int status, std::string outcome, std::string_view title, const std::vector<std::string>& text) {
    return {page(status, title, text), std::move(outcome), std::nullopt};
}

}  // namespace

std::string html_page(std::string_view title, const std::vector<std::string>& paragraphs) {
    std::string out = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + core::html_escape(title) +
                      "</title><style>body{font-family:sans-serif;max-width:40em;margin:3em auto;line-height:1.5}</style>"
                      "</head><body><h1>" +
                      core::html_escape(title) + "</h1>\n";
    for (const auto& p : paragraphs) out += "<p>" + core::html_escape(p) + "</p>\n";
    return out + "</body></html>\n";
}

OAuthSettings oauth_settings_from_env(const core::Env& env) {
    OAuthSettings s;
    s.redirect_uri = env.get_url("OURA_OAUTH_REDIRECT_URI", "");
    auto scopes = env.get("OURA_OAUTH_SCOPES");
    s.scopes = scopes ? api::split_scopes(*scopes) : api::default_scopes();
    s.initial_backfill_days = static_cast<int>(env.get_int("OURA_INITIAL_BACKFILL_DAYS", s.initial_backfill_days, 0, 3650));
    return s;
}

OAuthFlow::OAuthFlow(store::Pool& pool, api::OuraClient& client, const store::TokenCipher& cipher,
                     OAuthSettings settings, const core::Logger& log)
    : pool_(pool), client_(client), cipher_(cipher), settings_(std::move(settings)), log_(log) {}

http::Response OAuthFlow::start(const std::optional<std::string>& login_hint) {
    if (settings_.redirect_uri.empty())
        return page(503, "Connecting is not configured",
                    {"Set OURA_OAUTH_REDIRECT_URI to this service's public /oauth/callback URL (as registered with "
                     "Oura) and restart it."});
    auto pkce = api::make_pkce();
    store::NewOAuthState state{api::make_state(), pkce.verifier, settings_.redirect_uri, settings_.scopes,
                               settings_.state_ttl};
    try {
        pool_.transact([&](store::Transaction& tx) { store::save_oauth_state(tx, cipher_, state); });
    } catch (const std::exception& e) {
        log_.error("cannot store the OAuth state", {{"error", e.what()}});
        return page(503, "Try again in a moment", {"The database could not be reached, so the connection was not started."});
    }
    auto url = client_.authorize_url(settings_.redirect_uri, settings_.scopes, state.state, pkce.challenge);
    if (login_hint && !login_hint->empty()) url += "&login_hint=" + http::percent_encode(*login_hint);
    http::Response r;
    r.status = 302;
    r.headers.set("Location", url);
    r.headers.set("Cache-Control", "no-store");
    log_.info("oauth authorization started", {{"expires_in_seconds", static_cast<std::int64_t>(settings_.state_ttl.count())}});
    return r;
}

CallbackResult OAuthFlow::callback(const http::Request& request) {
    const std::string again = "Ask your administrator for a new connect link and try again.";
    if (settings_.redirect_uri.empty())
        return result(503, oauth_failed, "Connecting is not configured", {"OURA_OAUTH_REDIRECT_URI is not set."});
    if (auto error = request.query("error")) {
        // Oura's error is a fixed word (access_denied); its description is for the person, not the log.
        std::string word = error->size() <= 64 ? *error : error->substr(0, 64);
        log_.warn("oauth callback: the authorization was refused", {{"error", word}});
        if (*error == "access_denied")
            return result(200, oauth_denied, "Not connected",
                          {"You declined to share your Oura data, so nothing was connected and nothing was stored.",
                           "If that was a mistake, " + again});
        return result(400, oauth_failed, "Not connected", {"Oura answered: " + word + ".", again});
    }
    auto state = request.query("state");
    auto code = request.query("code");
    if (!state || state->empty() || !code || code->empty()) {
        log_.warn("oauth callback without state or code");
        return result(400, oauth_invalid_state, "This link is not valid",
                      {"The address is missing its state or code.", again});
    }
    std::optional<store::TakenOAuthState> taken;
    store::StateProblem problem = store::StateProblem::none;
    try {
        taken = pool_.transact([&](store::Transaction& tx) { return store::take_oauth_state(tx, cipher_, *state, problem); });
    } catch (const std::exception& e) {
        log_.error("oauth callback: cannot read the state", {{"error", e.what()}});
        return result(503, oauth_failed, "Try again in a moment", {"The database could not be reached.", again});
    }
    if (!taken) {
        const char* why = problem == store::StateProblem::used      ? "already used"
                          : problem == store::StateProblem::expired ? "expired"
                                                                    : "unknown";
        log_.warn("oauth callback refused: state " + std::string(why));
        std::string text = problem == store::StateProblem::used      ? "This link was already used."
                           : problem == store::StateProblem::expired ? "This link has expired (they last 15 minutes)."
                                                                     : "This link is not one we issued.";
        return result(400, oauth_invalid_state, "This link is not valid", {text, again});
    }

    api::TokenSet tokens;
    std::string oura_id, email;
    try {
        tokens = client_.exchange_code(*code, taken->redirect_uri, taken->code_verifier);
        auto info = core::parse_json(client_.fetch_personal_info(tokens.access_token));
        oura_id = std::string(core::get_string(info, "id").value_or(""));
        email = std::string(core::get_string(info, "email").value_or(""));
        if (oura_id.empty()) throw std::runtime_error("personal_info has no id");
    } catch (const std::exception& e) {
        log_.error("oauth callback: Oura did not complete the connection", {{"error", e.what()}});
        return result(502, oauth_failed, "Not connected",
                      {"Oura did not complete the connection, so nothing was stored.", again});
    }

    store::StoredTokens stored;
    stored.access_token = tokens.access_token;
    stored.refresh_token = tokens.refresh_token;
    stored.expires_at = std::chrono::system_clock::now() + tokens.expires_in;
    stored.scopes = tokens.scopes.empty() ? taken->scopes : tokens.scopes;
    long long resumed = 0, queued = 0;
    store::User user;
    try {
        user = pool_.transact([&](store::Transaction& tx) {
            auto u = store::upsert_user(tx, oura_id, email);
            store::save_tokens(tx, cipher_, u.user_id, stored);
            resumed = store::resume_parked(tx, u.user_id);
            queued = store::enqueue_waiting_deliveries(tx, u.user_id, oura_id);
            if (on_connected_ && settings_.initial_backfill_days > 0)
                on_connected_(tx, u.user_id, settings_.initial_backfill_days);
            return u;
        });
    } catch (const std::exception& e) {
        log_.error("oauth callback: cannot store the connection", {{"error", e.what()}});
        return result(503, oauth_failed, "Not connected",
                      {"The database could not store the connection, so nothing was stored.", again});
    }
    log_.info("oura account connected", {{"user_id", user.user_id},
                                         {"oura_user_id", oura_id},
                                         {"resumed_jobs", resumed},
                                         {"queued_deliveries", queued}});
    CallbackResult out = result(200, oauth_connected, "Connected",
                                {"Your Oura account is connected" + (email.empty() ? std::string() : " (" + email + ")") + ".",
                                 "Your history is being copied now; new data arrives as Oura reports it. You can close "
                                 "this page."});
    out.user_id = user.user_id;
    return out;
}

}  // namespace oura::sync
