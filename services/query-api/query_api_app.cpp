#include "query_api_app.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <list>
#include <map>
#include <mutex>
#include <unordered_map>

#include "oura/core/cli.hpp"
#include "oura/core/crypto.hpp"
#include "oura/core/json.hpp"
#include "oura/core/text.hpp"
#include "oura/core/time.hpp"
#include "oura/api/client.hpp"
#include "oura/api/errors.hpp"
#include "oura/metrics/pipeline_gauges.hpp"
#include "oura/store/backfills.hpp"
#include "oura/store/database.hpp"
#include "oura/store/login_codes.hpp"
#include "oura/store/read_api.hpp"
#include "oura/store/sql_gateway.hpp"
#include "query_api_internal.hpp"

namespace oura::query_api {

// Limits, with the reason beside them.
constexpr std::size_t max_sql_bytes = 100 * 1024;   // a dashboard query is a few KiB
constexpr std::size_t max_sql_params = 100;
constexpr int max_page_rows = 10000;                // one page stays a few MiB of JSON
constexpr int default_page_rows = 1000;
constexpr int max_day_range = 366;                  // daily rows: a year per request, page for more
constexpr int max_heartrate_days = 31;              // heart rate: Oura's own window is 30 days
constexpr int export_page_rows = 5000;              // rows held in memory at once while exporting
constexpr const char* cookie_name = "oura_status";

std::optional<Settings> load_settings(const core::Env& env, int argc, char** argv) {
    core::CommandLine cli("query-api [--help]",
                          "The read API, read-only SQL, exports, the /status page, admin routes and database-derived "
                          "metrics, on OURA_HTTP_PORT. Configuration from the environment only (docs/configuration.md).",
                          {});
    cli.parse(argc, argv);
    if (cli.help_requested()) {
        std::fputs(cli.help().c_str(), stdout);
        return std::nullopt;
    }
    Settings s;
    s.runtime = service::load_settings(env, "query-api");
    s.access = service::Access::from_env(env);
    s.sql_database_url = env.require("OURA_QUERY_SQL_DATABASE_URL");
    s.sql_pool_size = static_cast<int>(env.get_int("OURA_QUERY_SQL_POOL_SIZE", s.sql_pool_size, 1, 64));
    s.sql_timeout = env.get_duration("OURA_QUERY_SQL_TIMEOUT", s.sql_timeout);
    if (s.sql_timeout.count() < 1 || s.sql_timeout > std::chrono::minutes(10))
        throw core::config_error("OURA_QUERY_SQL_TIMEOUT must be between 1ms and 10m");
    s.sql_max_rows = static_cast<int>(env.get_int("OURA_QUERY_SQL_MAX_ROWS", s.sql_max_rows, 1, 1000000));
    s.cache_bytes = static_cast<std::size_t>(env.get_int("OURA_QUERY_CACHE_BYTES", static_cast<long long>(s.cache_bytes), 0, 1LL << 34));
    for (auto& o : core::split_list(env.get_or("OURA_QUERY_CORS_ORIGINS", ""), ", \n")) {
        if (!core::is_http_url(o) || o.back() == '/')
            throw core::config_error("OURA_QUERY_CORS_ORIGINS: '" + o + "' is not an origin like https://grafana.example.com");
        s.cors_origins.push_back(o);
    }
    s.rate_limit_per_minute = static_cast<int>(env.get_int("OURA_QUERY_RATE_LIMIT_PER_MINUTE", s.rate_limit_per_minute, 1, 1000000));
    s.auth_failures_per_minute =
        static_cast<int>(env.get_int("OURA_QUERY_AUTH_FAILURES_PER_MINUTE", s.auth_failures_per_minute, 1, 10000));
    s.late_after = env.get_duration("OURA_STATUS_LATE_AFTER", s.late_after);
    s.stale_after = env.get_duration("OURA_STATUS_STALE_AFTER", s.stale_after);
    if (s.stale_after < s.late_after) throw core::config_error("OURA_STATUS_STALE_AFTER must not be shorter than OURA_STATUS_LATE_AFTER");
    s.metrics_cache = env.get_duration("OURA_QUERY_METRICS_CACHE", s.metrics_cache);
    s.events_retention_days = static_cast<int>(env.get_int("OURA_QUERY_EVENTS_RETENTION_DAYS", s.events_retention_days, 1, 3650));
    s.secure_cookie = env.get_bool("OURA_QUERY_COOKIE_SECURE", s.secure_cookie);
    s.api = api::options_from_env(env, /*require_client=*/false);
    if (env.get("OURA_TOKEN_ENCRYPTION_KEYS") || env.get("OURA_TOKEN_ENCRYPTION_KEY")) s.cipher = store::TokenCipher::from_env(env);
    s.oauth = sync::oauth_settings_from_env(env);
    s.subscriptions = sync::subscription_settings_from_env(env);
    return s;
}

namespace {

using service::Role;

http::Response error(int status, std::string_view code, std::string_view message, std::string_view parameter = {}) {
    core::JsonWriter w;
    w.begin_object().field("error", code).field("message", message);
    if (!parameter.empty()) w.field("parameter", parameter);
    w.end_object();
    return http::json_response(status, w.take());
}

http::Response bad_parameter(std::string_view name, std::string_view why) {
    return error(400, "bad_request", std::string(name) + ": " + std::string(why), name);
}

struct BadParameter {
    std::string name, why;
};

// Per-client token buckets: one for every request, a much smaller one for failed
// authentications. A client whose failure bucket is empty is refused until it refills, so
// guessing tokens costs minutes per handful of guesses.
class RateLimiter {
public:
    RateLimiter(int per_minute, int failures_per_minute) : rate_(per_minute / 60.0), fail_rate_(failures_per_minute / 60.0),
                                                            burst_(std::max(1, per_minute / 6)), fail_burst_(failures_per_minute) {}
    // 0 when allowed, else seconds to wait.
    int admit(const std::string& client) {
        std::lock_guard lock(mutex_);
        auto& b = bucket(client);
        if (b.failures < 1) return static_cast<int>(std::ceil((1 - b.failures) / fail_rate_));
        if (b.tokens < 1) return static_cast<int>(std::ceil((1 - b.tokens) / rate_));
        b.tokens -= 1;
        return 0;
    }
    void failed(const std::string& client) {
        std::lock_guard lock(mutex_);
        auto& b = bucket(client);
        b.failures = std::max(0.0, b.failures - 1);
    }

private:
    struct Bucket {
        double tokens, failures;
        std::chrono::steady_clock::time_point at;
    };
    Bucket& bucket(const std::string& client) {
        auto now = std::chrono::steady_clock::now();
        if (buckets_.size() > 100000) buckets_.clear();  // a flood of addresses: forget rather than grow
        auto [it, fresh] = buckets_.try_emplace(client, Bucket{double(burst_), double(fail_burst_), now});
        auto& b = it->second;
        if (!fresh) {
            double dt = std::chrono::duration<double>(now - b.at).count();
            b.tokens = std::min<double>(burst_, b.tokens + dt * rate_);
            b.failures = std::min<double>(fail_burst_, b.failures + dt * fail_rate_);
            b.at = now;
        }
        return b;
    }
    double rate_, fail_rate_;
    int burst_, fail_burst_;
    std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
};

// Answers of /api/sql by key, least recently used out first, bounded in bytes. Cleared whole on
// every change notification; a generation counter keeps an answer computed before a change from
// being stored after it.
class AnswerCache {
public:
    explicit AnswerCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}
    std::optional<std::string> get(const std::string& key) {
        std::lock_guard lock(mutex_);
        auto it = index_.find(key);
        if (it == index_.end()) return std::nullopt;
        lru_.splice(lru_.begin(), lru_, it->second);
        return it->second->second;
    }
    std::uint64_t generation() const { return generation_.load(); }
    void put(const std::string& key, const std::string& body, std::uint64_t generation) {
        if (body.size() > max_bytes_ / 4) return;
        std::lock_guard lock(mutex_);
        if (generation != generation_.load() || index_.count(key)) return;
        lru_.emplace_front(key, body);
        index_[key] = lru_.begin();
        bytes_ += key.size() + body.size();
        while (bytes_ > max_bytes_ && !lru_.empty()) {
            bytes_ -= lru_.back().first.size() + lru_.back().second.size();
            index_.erase(lru_.back().first);
            lru_.pop_back();
        }
    }
    void clear() {
        std::lock_guard lock(mutex_);
        ++generation_;
        lru_.clear();
        index_.clear();
        bytes_ = 0;
    }

private:
    std::size_t max_bytes_, bytes_ = 0;
    std::mutex mutex_;
    std::atomic<std::uint64_t> generation_{0};
    std::list<std::pair<std::string, std::string>> lru_;
    std::unordered_map<std::string, std::list<std::pair<std::string, std::string>>::iterator> index_;
};

// ISO 8601 from PostgreSQL's ISO output ("2024-01-01 10:00:00+00" → "2024-01-01T10:00:00Z").
std::string iso_time(std::string t) {
    auto sp = t.find(' ');
    if (sp != std::string::npos) t[sp] = 'T';
    if (t.size() > 3 && t.compare(t.size() - 3, 3, "+00") == 0) t.replace(t.size() - 3, 3, "Z");
    else if (t.size() > 3 && (t[t.size() - 3] == '+' || t[t.size() - 3] == '-') && t.find('T') != std::string::npos) t += ":00";
    return t;
}

void write_cell(core::JsonWriter& w, store::ValueKind kind, const std::optional<std::string>& v) {
    if (!v) {
        w.null();
        return;
    }
    switch (kind) {
        case store::ValueKind::number:
            if (*v == "NaN" || *v == "Infinity" || *v == "-Infinity") w.null();
            else w.raw(*v);
            return;
        case store::ValueKind::boolean: w.boolean(*v == "t"); return;
        case store::ValueKind::time: w.string(iso_time(*v)); return;
        case store::ValueKind::string: w.string(*v); return;
    }
}

// Column names as object keys; a repeated name gets _2, _3… so no value is lost.
std::vector<std::string> unique_names(const std::vector<store::ResultColumn>& columns) {
    std::vector<std::string> names;
    std::map<std::string, int> seen;
    for (const auto& c : columns) {
        int n = ++seen[c.name];
        names.push_back(n == 1 ? c.name : c.name + "_" + std::to_string(n));
    }
    return names;
}

void write_rows(core::JsonWriter& w, const store::ResultTable& t) {
    auto names = unique_names(t.columns);
    w.begin_array();
    for (const auto& row : t.rows) {
        w.begin_object();
        for (std::size_t i = 0; i < row.size(); ++i) {
            w.key(names[i]);
            write_cell(w, t.columns[i].kind, row[i]);
        }
        w.end_object();
    }
    w.end_array();
}

// Appends one CSV field. RFC 4180: a field holding a separator, a quote or a line break is quoted
// with its quotes doubled. A text starting with = + - @ is quoted too, so a spreadsheet does not
// run the cell as a formula.
void append_csv(std::string& out, const std::optional<std::string>& v, store::ValueKind kind) {
    if (!v) return;
    if (kind == store::ValueKind::number || kind == store::ValueKind::boolean) {
        out += *v;
        return;
    }
    std::string timed;
    const std::string& s = kind == store::ValueKind::time ? (timed = iso_time(*v)) : *v;
    bool quote = s.find_first_of(",\"\r\n") != std::string::npos ||
                 (!s.empty() && kind == store::ValueKind::string && std::string_view("=+-@").find(s[0]) != std::string_view::npos);
    if (!quote) {
        out += s;
        return;
    }
    out += '"';
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

std::string hex_decode(std::string_view hex) {
    if (hex.size() % 2) throw std::invalid_argument("odd");
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        auto nib = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            throw std::invalid_argument("not hex");
        };
        out += static_cast<char>(nib(hex[i]) * 16 + nib(hex[i + 1]));
    }
    return out;
}

struct Range {
    std::string start, end;
};

}  // namespace

struct App::Impl {
    Settings settings;
    const core::Logger& log;
    service::Runtime runtime;
    store::Pool pool;
    store::SqlGateway sql;
    AnswerCache cache;
    RateLimiter limiter;
    std::vector<RouteDoc> docs;
    std::unique_ptr<api::OuraClient> client;  // when OURA_CLIENT_ID and OURA_CLIENT_SECRET are set
    std::unique_ptr<sync::OAuthFlow> oauth;   // and a token key
    std::atomic<int> streams{0};
    // Change notifications: the SSE streams wait here.
    std::mutex change_mutex;
    std::condition_variable change_cv;
    std::uint64_t change_generation = 0;
    // /metrics gauges behind a short cache.
    std::mutex metrics_mutex;
    std::string metrics_text;
    std::chrono::steady_clock::time_point metrics_at{};

    Impl(Settings s, const core::Logger& l)
        : settings(std::move(s)),
          log(l),
          runtime(settings.runtime, l),
          pool(settings.runtime.database_url, static_cast<std::size_t>(settings.runtime.handler_threads + 2)),
          sql(settings.sql_database_url, static_cast<std::size_t>(settings.sql_pool_size)),
          cache(settings.cache_bytes),
          limiter(settings.rate_limit_per_minute, settings.auth_failures_per_minute) {
        if (!settings.api.client_id.empty() && !settings.api.client_secret.empty()) {
            client = std::make_unique<api::OuraClient>(settings.api, log);
            if (settings.cipher) {
                oauth = std::make_unique<sync::OAuthFlow>(pool, *client, *settings.cipher, settings.oauth, log);
                oauth->on_connected([](store::Transaction& tx, long long user_id, int days) {
                    store::ensure_initial_backfill(tx, user_id, days);
                });
            }
        }
    }

    // ---- Oura-facing admin routes (libs/sync's flows, shared with ingest-webhook and oura-admin) --
    http::Response not_configured(std::string_view what) {
        return error(503, "not_configured", std::string("not configured here: ") + std::string(what));
    }

    template <typename F>
    http::Response at_oura(F&& body) {
        return guarded([&] {
            try {
                return body();
            } catch (const api::api_error& e) {
                log.error("Oura call failed", {{"error", e.what()}});
                return error(502, "oura_error", "Oura did not answer as expected; retry later");
            }
        });
    }

    static void write_report(core::JsonWriter& w, const sync::SubscriptionReport& r) {
        w.begin_object().field("existing", r.existing).field("created", r.created).field("renewed", r.renewed).field("failed", r.failed);
        w.key("errors").begin_array();
        for (const auto& e : r.errors) w.string(e);
        w.end_array().end_object();
    }

    http::Response webhooks_list() {
        if (!client) return not_configured("OURA_CLIENT_ID and OURA_CLIENT_SECRET");
        return at_oura([&] {
            auto subs = sync::list_subscriptions(*client, pool);
            core::JsonWriter w;
            w.begin_object().key("data").begin_array();
            for (const auto& x : subs)
                w.begin_object().field("id", x.id).field("callback_url", x.callback_url).field("event_type", x.event_type)
                    .field("data_type", x.data_type).field("expiration_time", x.expiration_time).end_object();
            w.end_array().end_object();
            return http::json_response(200, w.take());
        });
    }

    http::Response webhooks_ensure() {
        if (!client) return not_configured("OURA_CLIENT_ID and OURA_CLIENT_SECRET");
        if (!settings.subscriptions) return not_configured("OURA_WEBHOOK_CALLBACK_URL");
        return at_oura([&] {
            auto report = sync::ensure_subscriptions(*client, pool, *settings.subscriptions, log);
            core::JsonWriter w;
            write_report(w, report);
            return http::json_response(report.ok() ? 200 : 502, w.take());
        });
    }

    http::Response webhooks_renew(const http::Request& r) {
        auto days = core::parse_int(r.query("days").value_or("14"), 1, 89);
        if (!days) return bad_parameter("days", "must be an integer from 1 to 89");
        if (!client) return not_configured("OURA_CLIENT_ID and OURA_CLIENT_SECRET");
        return at_oura([&] {
            auto report = sync::renew_subscriptions(*client, pool, std::chrono::hours(24 * *days), log);
            core::JsonWriter w;
            write_report(w, report);
            return http::json_response(report.ok() ? 200 : 502, w.take());
        });
    }

    http::Response oauth_start(const http::Request& r) {
        if (!oauth) return not_configured("OURA_CLIENT_ID, OURA_CLIENT_SECRET and OURA_TOKEN_ENCRYPTION_KEY(S)");
        return oauth->start(r.query("login_hint"));
    }

    // ---- access ------------------------------------------------------------------------------
    void route(std::string method, std::string path, Role role, std::string summary, std::vector<std::string> query,
               std::function<http::Response(const http::Request&, const service::PathParams&, Role)> handler,
               bool cookie_ok = false) {
        docs.push_back({method, path, summary, role, query});
        runtime.router().add(method, path, [this, role, cookie_ok, handler = std::move(handler)](const http::Request& r,
                                                                                                  const service::PathParams& p) {
            Role have = Role::none;
            if (role != Role::none) {
                have = settings.access.role_of(r, cookie_ok ? cookie_name : "");
                if (have == Role::none) {
                    limiter.failed(r.remote);
                    log.warn("authentication failed", {{"client", r.remote}, {"path", std::string(r.path())}});
                    return service::unauthorized();
                }
                if (role == Role::admin && have != Role::admin) return service::forbidden();
            }
            return handler(r, p, have);
        });
    }

    std::optional<http::Response> filter(const http::Request& r) {
        auto path = r.path();
        if (path == "/healthz" || path == "/readyz") return std::nullopt;  // probes are never limited
        if (int wait = limiter.admit(r.remote)) {
            auto res = error(429, "rate_limited", "too many requests; retry later");
            res.headers.set("Retry-After", std::to_string(std::max(1, wait)));
            return res;
        }
        if (r.method == "OPTIONS") {
            auto origin = r.headers.get("Origin");
            if (!origin || !allowed_origin(*origin)) return error(403, "forbidden", "origin not allowed");
            http::Response res;
            res.status = 204;
            res.headers.set("Access-Control-Allow-Methods", "GET, POST, DELETE");
            res.headers.set("Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID");
            res.headers.set("Access-Control-Max-Age", "600");
            return res;
        }
        return std::nullopt;
    }

    bool allowed_origin(std::string_view origin) const {
        return std::find(settings.cors_origins.begin(), settings.cors_origins.end(), origin) != settings.cors_origins.end();
    }

    void decorate(const http::Request& r, http::Response& res) {
        res.headers.set("X-Content-Type-Options", "nosniff");
        res.headers.set("X-Frame-Options", "DENY");
        res.headers.set("Referrer-Policy", "no-referrer");
        res.headers.set("Cross-Origin-Opener-Policy", "same-origin");
        res.headers.set("Strict-Transport-Security", "max-age=31536000");
        if (!res.headers.get("Cache-Control")) res.headers.set("Cache-Control", "no-store");
        if (!res.headers.get("Content-Security-Policy"))
            res.headers.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
        if (auto origin = r.headers.get("Origin"); origin && allowed_origin(*origin)) {
            res.headers.set("Access-Control-Allow-Origin", *origin);
            res.headers.set("Access-Control-Expose-Headers", "X-Cache, Content-Disposition");
            res.headers.set("Vary", "Origin");
        }
    }

    // ---- parameters --------------------------------------------------------------------------
    std::optional<long long> user_param(const http::Request& r, pqxx::connection&) {
        auto v = r.query("user");
        if (!v || v->empty()) return std::nullopt;
        auto id = core::parse_int(*v, 1, std::numeric_limits<long long>::max());
        if (!id) throw BadParameter{"user", "must be a positive integer user id"};
        bool exists = pool.with_connection([&](pqxx::connection& c) {
            pqxx::read_transaction tx(c);
            return store::user_exists(tx, *id);
        });
        if (!exists) throw BadParameter{"user", "no such user"};
        return *id;
    }

    static core::Days date_param(const http::Request& r, std::string_view name, core::Days fallback) {
        auto v = r.query(name);
        if (!v) return fallback;
        auto d = core::parse_date(*v);
        if (!d) throw BadParameter{std::string(name), "must be a date YYYY-MM-DD"};
        return *d;
    }

    static Range day_range(const http::Request& r, int max_days) {
        auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
        auto end = date_param(r, "end", today);
        auto start = date_param(r, "start", end - std::chrono::days(std::min(max_days, 30) - 1));
        if (start > end) throw BadParameter{"start", "must not be after end"};
        if ((end - start).count() + 1 > max_days)
            throw BadParameter{"end", "range longer than " + std::to_string(max_days) + " days; page through shorter ranges"};
        return {core::format_date(start), core::format_date(end)};
    }

    // Heart rate: dates (whole UTC days) or instants with an offset.
    static Range instant_range(const http::Request& r, int max_days) {
        auto parse = [&](std::string_view name, bool end_of_day) -> std::optional<core::Seconds> {
            auto v = r.query(name);
            if (!v) return std::nullopt;
            if (auto d = core::parse_date(*v))
                return core::Seconds(*d) + std::chrono::seconds(end_of_day ? 86399 : 0);
            if (auto t = core::parse_datetime(*v)) return t->utc;
            throw BadParameter{std::string(name), "must be a date YYYY-MM-DD or an instant like 2024-01-01T00:00:00Z"};
        };
        auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
        auto end = parse("end", true).value_or(now);
        auto start = parse("start", false).value_or(end - std::chrono::hours(24));
        if (start > end) throw BadParameter{"start", "must not be after end"};
        if (end - start > std::chrono::hours(24 * max_days))
            throw BadParameter{"end", "range longer than " + std::to_string(max_days) + " days; page through shorter ranges"};
        return {core::format_utc(start), core::format_utc(end)};
    }

    static int limit_param(const http::Request& r) {
        auto v = r.query("limit");
        if (!v) return default_page_rows;
        auto n = core::parse_int(*v, 1, max_page_rows);
        if (!n) throw BadParameter{"limit", "must be an integer from 1 to " + std::to_string(max_page_rows)};
        return static_cast<int>(*n);
    }

    template <typename F>
    http::Response guarded(F&& body) {
        try {
            return body();
        } catch (const BadParameter& b) {
            return bad_parameter(b.name, b.why);
        } catch (const store::database_unavailable& e) {
            log.error("database unavailable", {{"error", e.what()}});
            return error(503, "unavailable", "the database is not reachable; retry later");
        } catch (const store::retryable_error& e) {
            log.error("database error", {{"error", e.what()}});
            return error(503, "unavailable", "the database is busy; retry later");
        }
    }

    // ---- read API ----------------------------------------------------------------------------
    http::Response page(const http::Request& r, store::Series series) {
        return guarded([&] {
            store::PageQuery q;
            auto range = series == store::Series::heartrate ? instant_range(r, max_heartrate_days) : day_range(r, max_day_range);
            q.start = range.start;
            q.end = range.end;
            q.limit = limit_param(r);
            if (auto c = r.query("cursor")) {
                try {
                    q.after = hex_decode(*c);
                } catch (const std::exception&) {
                    throw BadParameter{"cursor", "not a cursor this API gave out"};
                }
            }
            store::Page page;
            pool.with_connection([&](pqxx::connection& c) {
                q.user_id = user_param(r, c);
                pqxx::read_transaction tx(c);
                try {
                    page = store::read_page(tx, series, q);
                } catch (const std::invalid_argument&) {
                    throw BadParameter{"cursor", "not a cursor this API gave out"};
                } catch (const pqxx::data_exception&) {
                    throw BadParameter{"cursor", "not a cursor this API gave out"};
                }
            });
            core::JsonWriter w;
            w.begin_object().key("data");
            write_rows(w, page.table);
            w.key("next_cursor");
            if (page.next_after) w.string(core::to_hex(*page.next_after));
            else w.null();
            w.end_object();
            return http::json_response(200, w.take());
        });
    }

    http::Response table_answer(std::function<store::ResultTable(pqxx::transaction_base&)> read) {
        return guarded([&] {
            auto t = pool.with_connection([&](pqxx::connection& c) {
                pqxx::read_transaction tx(c);
                return read(tx);
            });
            core::JsonWriter w;
            w.begin_object().key("data");
            write_rows(w, t);
            w.end_object();
            return http::json_response(200, w.take());
        });
    }

    http::Response events(const http::Request& r) {
        return guarded([&] {
            int limit = limit_param(r);
            limit = std::min(limit, 1000);
            store::ResultTable changes, deliveries;
            pool.with_connection([&](pqxx::connection& c) {
                pqxx::read_transaction tx(c);
                changes = store::recent_changes(tx, limit);
                deliveries = store::recent_deliveries(tx, limit);
            });
            core::JsonWriter w;
            w.begin_object().key("changes");
            write_rows(w, changes);
            w.key("deliveries");
            write_rows(w, deliveries);
            w.end_object();
            return http::json_response(200, w.take());
        });
    }

    // ---- /api/sql ----------------------------------------------------------------------------
    http::Response run_sql(const http::Request& r, Role role) {
        rapidjson::Document body;
        try {
            body = core::parse_json(r.body);
        } catch (const std::exception&) {
            return bad_parameter("body", "must be a JSON object {\"sql\": \"...\", \"params\": [...]}");
        }
        if (!body.IsObject() || !body.HasMember("sql") || !body["sql"].IsString())
            return bad_parameter("sql", "must be a string");
        std::string sql(body["sql"].GetString(), body["sql"].GetStringLength());
        if (sql.empty() || sql.size() > max_sql_bytes)
            return bad_parameter("sql", "must hold 1 to " + std::to_string(max_sql_bytes) + " bytes");
        if (sql.find('\0') != std::string::npos) return bad_parameter("sql", "must not contain NUL");
        std::vector<store::SqlParam> params;
        std::string canonical;
        if (body.HasMember("params")) {
            const auto& p = body["params"];
            if (!p.IsArray()) return bad_parameter("params", "must be an array of scalars");
            if (p.Size() > max_sql_params) return bad_parameter("params", "at most " + std::to_string(max_sql_params) + " parameters");
            for (const auto& v : p.GetArray()) {
                if (v.IsNull()) {
                    params.emplace_back();
                    canonical += "n;";
                } else if (v.IsString()) {
                    std::string s(v.GetString(), v.GetStringLength());
                    if (s.find('\0') != std::string::npos) return bad_parameter("params", "strings must not contain NUL");
                    canonical += "s" + std::to_string(s.size()) + ":" + s + ";";
                    params.emplace_back(std::move(s));
                } else if (v.IsBool()) {
                    params.emplace_back(v.GetBool() ? "true" : "false");
                    canonical += "b" + *params.back() + ";";
                } else if (v.IsInt64()) {
                    params.emplace_back(std::to_string(v.GetInt64()));
                    canonical += "i" + *params.back() + ";";
                } else if (v.IsUint64()) {
                    params.emplace_back(std::to_string(v.GetUint64()));
                    canonical += "i" + *params.back() + ";";
                } else if (v.IsDouble()) {
                    char buf[40];
                    std::snprintf(buf, sizeof buf, "%.17g", v.GetDouble());
                    params.emplace_back(buf);
                    canonical += "d" + *params.back() + ";";
                } else {
                    return bad_parameter("params", "must be scalars (string, number, boolean or null), not arrays or objects");
                }
            }
        }
        std::string key = core::sha256_hex(std::string(role == Role::admin ? "admin" : "read") + '\0' + sql + '\0' + canonical);
        if (settings.cache_bytes > 0) {
            if (auto hit = cache.get(key)) {
                auto res = http::json_response(200, std::move(*hit));
                res.headers.set("X-Cache", "hit");
                return res;
            }
        }
        auto generation = cache.generation();
        store::SqlLimits limits;
        limits.max_rows = static_cast<std::size_t>(settings.sql_max_rows);
        limits.timeout = settings.sql_timeout;
        store::SqlAnswer answer;
        try {
            answer = sql.empty() ? store::SqlAnswer{} : this->sql.run(sql, params, limits);
        } catch (const store::sql_rejected& e) {
            core::JsonWriter w;
            w.begin_object()
                .field("error", e.timed_out() ? "timeout" : "sql_error")
                .field("message", e.timed_out() ? "the query ran longer than " + std::to_string(settings.sql_timeout.count()) +
                                                      " ms and was cancelled"
                                                : std::string(e.what()))
                .field("sqlstate", e.sqlstate())
                .end_object();
            return http::json_response(e.timed_out() ? 504 : 400, w.take());
        } catch (const store::database_unavailable& e) {
            log.error("sql gateway unavailable", {{"error", e.what()}});
            return error(503, "unavailable", "the database is not reachable; retry later");
        }
        core::JsonWriter w;
        w.begin_object().key("columns").begin_array();
        auto names = unique_names(answer.table.columns);
        for (std::size_t i = 0; i < names.size(); ++i)
            w.begin_object().field("name", names[i]).field("type", store::kind_name(answer.table.columns[i].kind)).end_object();
        w.end_array().key("rows");
        write_rows(w, answer.table);
        w.field("row_count", static_cast<std::int64_t>(answer.table.rows.size())).field("truncated", answer.truncated);
        w.end_object();
        auto text = w.take();
        if (settings.cache_bytes > 0) cache.put(key, text, generation);
        auto res = http::json_response(200, std::move(text));
        res.headers.set("X-Cache", "miss");
        return res;
    }

    // ---- change notifications, SSE -----------------------------------------------------------
    void listen_for_changes(std::stop_token stop) {
        store::ChangeWaiter waiter(settings.runtime.database_url);
        while (!stop.stop_requested()) {
            if (waiter.wait(std::chrono::milliseconds(500))) {
                cache.clear();
                std::lock_guard lock(change_mutex);
                ++change_generation;
                change_cv.notify_all();
            }
        }
    }

    void trim_events(std::stop_token stop) {
        std::mutex m;
        std::condition_variable_any cv;
        for (;;) {
            try {
                pool.transact([&](store::Transaction& tx) { store::trim_change_events(tx, settings.events_retention_days); });
            } catch (const std::exception& e) {
                log.warn("trimming change events failed", {{"error", e.what()}});
            }
            std::unique_lock lock(m);
            if (cv.wait_for(lock, stop, std::chrono::hours(1), [] { return false; }), stop.stop_requested()) return;
        }
    }

    http::Response event_stream(const http::Request& r) {
        long long after = -1;
        auto last = r.headers.get("Last-Event-ID");
        std::optional<std::string> given = last ? std::optional<std::string>(std::string(*last)) : r.query("after");
        if (given) {
            auto n = core::parse_int(*given, 0, std::numeric_limits<long long>::max());
            if (!n) return bad_parameter(last ? "Last-Event-ID" : "after", "must be an event id");
            after = *n;
        }
        if (streams.load() >= settings.runtime.stream_threads)
            return error(503, "busy", "too many streams open; retry later");
        http::Response res;
        res.headers.set("Content-Type", "text/event-stream");
        res.headers.set("Cache-Control", "no-cache");
        res.stream = [this, after](http::StreamSink& sink) mutable {
            ++streams;
            struct Done {
                std::atomic<int>& n;
                ~Done() { --n; }
            } done{streams};
            try {
                if (after < 0) {
                    // No position given: from now on.
                    after = pool.with_connection([&](pqxx::connection& c) {
                        pqxx::read_transaction tx(c);
                        return store::newest_change_event_id(tx);
                    });
                }
            } catch (const std::exception&) {
                return;
            }
            if (!sink.write("retry: 2000\n: connected\n\n")) return;
            auto quiet_since = std::chrono::steady_clock::now();
            std::uint64_t seen;
            {
                std::lock_guard lock(change_mutex);
                seen = change_generation;
            }
            bool check = true;
            while (sink.open()) {
                if (check) {
                    std::vector<store::ChangeEvent> batch;
                    try {
                        batch = pool.with_connection([&](pqxx::connection& c) {
                            pqxx::read_transaction tx(c);
                            return store::change_events_after(tx, after, 500);
                        });
                    } catch (const std::exception&) {
                        return;  // the client reconnects with its Last-Event-ID
                    }
                    std::string out;
                    for (const auto& e : batch) {
                        core::JsonWriter w;
                        w.begin_object().field("id", e.id).field("at", e.at).field("user_id", e.user_id).field("resource", e.resource);
                        w.key("document_id");
                        if (e.document_id.empty()) w.null();
                        else w.string(e.document_id);
                        w.field("change", e.change).field("rows", e.rows).end_object();
                        out += "id: " + std::to_string(e.id) + "\nevent: change\ndata: " + w.take() + "\n\n";
                        after = e.id;
                    }
                    if (!out.empty()) {
                        if (!sink.write(out)) return;
                        quiet_since = std::chrono::steady_clock::now();
                    }
                    check = batch.size() == 500;  // a full batch: more are waiting
                    if (check) continue;
                }
                std::unique_lock lock(change_mutex);
                change_cv.wait_for(lock, std::chrono::milliseconds(500), [&] { return change_generation != seen; });
                if (change_generation != seen) {
                    seen = change_generation;
                    check = true;
                }
                lock.unlock();
                if (std::chrono::steady_clock::now() - quiet_since > std::chrono::seconds(15)) {
                    // A comment keeps proxies from closing an idle stream and finds a gone client.
                    if (!sink.write(": keep-alive\n\n")) return;
                    quiet_since = std::chrono::steady_clock::now();
                }
            }
        };
        return res;
    }

    // ---- export ------------------------------------------------------------------------------
    http::Response export_rows(const http::Request& r) {
        return guarded([&] {
            auto resource = r.query("resource").value_or("");
            store::Series series;
            if (resource == "daily_summaries") series = store::Series::daily_summaries;
            else if (resource == "sleep") series = store::Series::sleep;
            else if (resource == "heartrate") series = store::Series::heartrate;
            else throw BadParameter{"resource", "must be daily_summaries, sleep or heartrate"};
            auto format = r.query("format").value_or("csv");
            if (format != "csv" && format != "json" && format != "ndjson") throw BadParameter{"format", "must be csv, json or ndjson"};
            // Exports are not bounded like pages: ten years at most, streamed page by page.
            auto range = series == store::Series::heartrate ? instant_range(r, 3660) : day_range(r, 3660);
            std::optional<long long> user;
            pool.with_connection([&](pqxx::connection& c) { user = user_param(r, c); });
            if (streams.load() >= settings.runtime.stream_threads) return error(503, "busy", "too many streams open; retry later");
            http::Response res;
            std::string type = format == "csv" ? "text/csv; charset=utf-8" : format == "json" ? "application/json" : "application/x-ndjson";
            res.headers.set("Content-Type", type);
            std::string name = resource + "_" + range.start.substr(0, 10) + "_" + range.end.substr(0, 10) + "." + format;
            res.headers.set("Content-Disposition", "attachment; filename=\"" + name + "\"");
            res.stream = [this, series, range, user, format](http::StreamSink& sink) {
                ++streams;
                struct Done {
                    std::atomic<int>& n;
                    ~Done() { --n; }
                } done{streams};
                store::PageQuery q;
                q.user_id = user;
                q.start = range.start;
                q.end = range.end;
                q.limit = export_page_rows;
                bool first = true;
                if (format == "json" && !sink.write("[")) return;
                for (;;) {
                    store::Page page;
                    try {
                        page = pool.with_connection([&](pqxx::connection& c) {
                            pqxx::read_transaction tx(c);
                            return store::read_page(tx, series, q);
                        });
                    } catch (const std::exception& e) {
                        log.error("export failed", {{"error", e.what()}});
                        throw;  // the body ends without its last chunk: the client sees it incomplete
                    }
                    std::string out;
                    if (format == "csv") {
                        out.reserve(page.table.rows.size() * 48);
                        if (first) {
                            for (std::size_t i = 0; i < page.table.columns.size(); ++i) {
                                if (i) out += ',';
                                append_csv(out, page.table.columns[i].name, store::ValueKind::string);
                            }
                            out += "\r\n";
                        }
                        for (const auto& row : page.table.rows) {
                            for (std::size_t i = 0; i < row.size(); ++i) {
                                if (i) out += ',';
                                append_csv(out, row[i], page.table.columns[i].kind);
                            }
                            out += "\r\n";
                        }
                    } else {
                        auto names = unique_names(page.table.columns);
                        for (const auto& row : page.table.rows) {
                            core::JsonWriter w;
                            w.begin_object();
                            for (std::size_t i = 0; i < row.size(); ++i) {
                                w.key(names[i]);
                                write_cell(w, page.table.columns[i].kind, row[i]);
                            }
                            w.end_object();
                            if (format == "json") out += (first && out.empty() ? "" : ",");
                            out += w.take();
                            if (format == "ndjson") out += "\n";
                        }
                    }
                    first = false;
                    if (!sink.write(out)) return;
                    if (!page.next_after) break;
                    q.after = page.next_after;
                }
                if (format == "json") sink.write("]\n");
            };
            return res;
        });
    }

    // ---- status, metrics ---------------------------------------------------------------------
    StatusThresholds thresholds() const {
        return {std::chrono::duration<double>(settings.late_after).count(), std::chrono::duration<double>(settings.stale_after).count()};
    }

    http::Response status(const http::Request& r) {
        if (settings.access.role_of(r, cookie_name) == Role::none) {
            auto res = http::text_response(200, login_page(false), "text/html; charset=utf-8");
            res.headers.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
            return res;
        }
        return guarded([&] {
            store::PipelineSnapshot snap;
            std::vector<store::ChangeEvent> recent;
            pool.transact([&](store::Transaction& tx) {
                snap = store::pipeline_snapshot(tx);
                recent = store::latest_change_events(tx, 20);
            });
            auto html = r.query("fragment") ? status_content(snap, thresholds()) : status_page(snap, recent, thresholds());
            auto res = http::text_response(200, std::move(html), "text/html; charset=utf-8");
            res.headers.set("Content-Security-Policy",
                            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
                            "form-action 'self'; frame-ancestors 'none'");
            return res;
        });
    }

    // A link from `oura-admin status-link`: redeeming spends the code, so a link works once; the
    // cookie then holds a read token (HttpOnly), and nothing lasting ever appears in a URL.
    http::Response login_with_code(const http::Request& r) {
        auto code = r.query("code").value_or("");
        const auto& token = settings.access.read.first();
        bool ok = false;
        if (!code.empty() && !token.empty()) {
            try {
                ok = store::redeem_login_code(pool, code);
            } catch (const std::exception&) {
                return http::text_response(503, login_page(true), "text/html; charset=utf-8");
            }
        }
        if (!ok) {
            limiter.failed(r.remote);
            return login_refused();
        }
        auto res = logged_in(token);
        res.headers.set("Referrer-Policy", "no-referrer");
        return res;
    }

    // The login form again, saying the token or link did not work.
    static http::Response login_refused() {
        auto res = http::text_response(401, login_page(true), "text/html; charset=utf-8");
        res.headers.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
        return res;
    }

    // 303 to /status with the login cookie. HttpOnly: page scripts cannot read it. SameSite=Lax:
    // sent on navigations to the page but not on cross-site POSTs, and POST routes never accept
    // the cookie anyway.
    http::Response logged_in(const std::string& token) const {
        http::Response res;
        res.status = 303;
        res.headers.set("Location", "/status");
        res.headers.set("Set-Cookie", std::string(cookie_name) + "=" + token + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=604800" +
                                          (settings.secure_cookie ? "; Secure" : ""));
        return res;
    }

    http::Response login(const http::Request& r) {
        std::string token;
        for (auto& [k, v] : http::parse_query(r.body))
            if (k == "token") token = v;
        service::Access probe = settings.access;
        http::Request as;
        as.headers.set("Authorization", "Bearer " + token);
        if (token.empty() || settings.access.role_of(as) == Role::none) {
            limiter.failed(r.remote);
            return login_refused();
        }
        return logged_in(token);
    }

    std::string gauges() {
        std::lock_guard lock(metrics_mutex);
        auto now = std::chrono::steady_clock::now();
        if (!metrics_text.empty() && now - metrics_at < settings.metrics_cache) return metrics_text;
        try {
            auto snap = pool.transact([&](store::Transaction& tx) { return store::pipeline_snapshot(tx); });
            metrics_text = metrics::pipeline_gauges(snap);
        } catch (const std::exception& e) {
            log.warn("metrics snapshot failed", {{"error", e.what()}});
            metrics_text = metrics::database_down_gauges();
        }
        metrics_at = now;
        return metrics_text;
    }

    // ---- admin -------------------------------------------------------------------------------
    static std::optional<long long> id_param(const service::PathParams& p) {
        auto it = p.find("id");
        if (it == p.end()) return std::nullopt;
        return core::parse_int(it->second, 1, std::numeric_limits<long long>::max());
    }

    http::Response user_action(const service::PathParams& p, const char* what) {
        auto id = id_param(p);
        if (!id) return bad_parameter("id", "must be a positive integer user id");
        return guarded([&] {
            std::string action = what;
            if (action == "erase") {
                auto counts = pool.transact([&](store::Transaction& tx) { return store::erase_user(tx, *id); });
                if (counts.empty()) return error(404, "not_found", "no such user");
                long long total = 0;
                core::JsonWriter w;
                w.begin_object().field("user_id", *id).key("deleted").begin_object();
                for (const auto& [t, n] : counts) {
                    w.field(t, n);
                    total += n;
                }
                w.end_object().field("total", total).end_object();
                log.info("user erased", {{"user_id", *id}, {"rows", total}});
                return http::json_response(200, w.take());
            }
            bool ok = pool.transact([&](store::Transaction& tx) {
                return action == "disable" ? store::disable_user(tx, *id) : store::disconnect_user(tx, *id);
            });
            if (!ok) return error(404, "not_found", "no such user");
            log.info("user changed", {{"user_id", *id}, {"action", action}});
            core::JsonWriter w;
            w.begin_object().field("user_id", *id).field("status", action == "disable" ? "paused" : "revoked").end_object();
            return http::json_response(200, w.take());
        });
    }

    // POST /admin/backfills {"users": [ids] | "all", "from": "YYYY-MM-DD", "to": "YYYY-MM-DD", "resources": [..]}
    http::Response request_backfill(const http::Request& r) {
        rapidjson::Document body;
        try {
            body = core::parse_json(r.body);
        } catch (const std::exception&) {
            return bad_parameter("body", "must be a JSON object {\"users\": [ids] or \"all\", \"from\", \"to\", \"resources\"}");
        }
        if (!body.IsObject()) return bad_parameter("body", "must be a JSON object");
        store::BackfillRequest req;
        req.requested_by = "query-api";
        if (!body.HasMember("users")) return bad_parameter("users", "required: a list of user ids or \"all\"");
        const auto& users = body["users"];
        if (users.IsString() && std::string_view(users.GetString()) == "all") {
            req.all_users = true;
        } else if (users.IsArray() && !users.Empty()) {
            for (const auto& u : users.GetArray()) {
                if (!u.IsInt64() || u.GetInt64() < 1) return bad_parameter("users", "must hold positive integer user ids");
                req.user_ids.push_back(u.GetInt64());
            }
        } else {
            return bad_parameter("users", "must be a non-empty list of user ids or \"all\"");
        }
        for (const char* name : {"from", "to"}) {
            if (!body.HasMember(name) || !body[name].IsString()) return bad_parameter(name, "required: a date YYYY-MM-DD");
            auto d = core::parse_date(body[name].GetString());
            if (!d) return bad_parameter(name, "must be a date YYYY-MM-DD");
            (std::string_view(name) == "from" ? req.from : req.to) = *d;
        }
        if (req.from > req.to) return bad_parameter("from", "must not be after to");
        if (body.HasMember("resources")) {
            if (!body["resources"].IsArray()) return bad_parameter("resources", "must be a list of resource names");
            for (const auto& x : body["resources"].GetArray()) {
                if (!x.IsString()) return bad_parameter("resources", "must be a list of resource names");
                req.resources.emplace_back(x.GetString());
            }
        }
        return guarded([&] {
            store::BackfillRef ref;
            try {
                ref = pool.transact([&](store::Transaction& tx) { return store::request_backfill(tx, req); });
            } catch (const std::invalid_argument& e) {
                // The store names what is wrong (an unknown user or resource); it holds no internals.
                std::string what = e.what();
                return bad_parameter(what.find("resource") != std::string::npos ? "resources" : "users", what);
            }
            log.info("backfill requested", {{"backfill_id", ref.id}, {"created", ref.created}, {"chunks", ref.chunks}});
            core::JsonWriter w;
            w.begin_object().field("id", ref.id).field("created", ref.created).field("chunks", ref.chunks).end_object();
            auto res = http::json_response(ref.created ? 201 : 200, w.take());
            res.headers.set("Location", "/admin/backfills/" + std::to_string(ref.id));
            return res;
        });
    }

    http::Response backfill(const service::PathParams& p) {
        auto id = id_param(p);
        if (!id) return bad_parameter("id", "must be a positive integer backfill id");
        return guarded([&] {
            auto st = pool.transact([&](store::Transaction& tx) { return store::backfill_status(tx, *id); });
            if (!st) return error(404, "not_found", "no such backfill");
            auto progress = [](core::JsonWriter& w, const store::BackfillProgress& b) {
                w.begin_object();
                if (!b.resource.empty()) w.field("resource", b.resource);
                w.field("chunks", b.total).field("succeeded", b.succeeded).field("running", b.running).field("pending", b.pending);
                w.field("waiting_token", b.waiting_token).field("failed", b.failed).field("cancelled", b.cancelled);
                w.field("rows_written", b.rows_written).field("requests", b.requests).end_object();
            };
            core::JsonWriter w;
            w.begin_object().field("id", st->id).field("state", st->state).field("requested_by", st->requested_by);
            w.field("all_users", st->all_users).key("users").begin_array();
            for (auto u : st->user_ids) w.integer(u);
            w.end_array().key("resources").begin_array();
            for (const auto& x : st->resources) w.string(x);
            w.end_array().field("from", core::format_date(st->from)).field("to", core::format_date(st->to));
            w.field("created_at", st->created_at).key("finished_at");
            if (st->finished_at.empty()) w.null();
            else w.string(st->finished_at);
            w.field("elapsed_seconds", st->elapsed_seconds).key("eta_seconds");
            if (auto eta = st->eta_seconds()) w.number(*eta);
            else w.null();
            w.key("totals");
            progress(w, st->totals);
            w.key("by_resource").begin_array();
            for (const auto& b : st->by_resource) progress(w, b);
            w.end_array().end_object();
            return http::json_response(200, w.take());
        });
    }

    void add_routes() {
        using P = service::PathParams;
        const std::vector<std::string> range_q{"start", "end", "user", "limit", "cursor"};
        route("GET", "/api/daily_summaries", Role::read, "Daily summaries per user and day (keyset paging)", range_q,
              [this](const http::Request& r, const P&, Role) { return page(r, store::Series::daily_summaries); });
        route("GET", "/api/sleep", Role::read, "Sleep periods per user and day (keyset paging)", range_q,
              [this](const http::Request& r, const P&, Role) { return page(r, store::Series::sleep); });
        route("GET", "/api/heartrate", Role::read, "Heart-rate samples, at most 31 days per request (keyset paging)", range_q,
              [this](const http::Request& r, const P&, Role) { return page(r, store::Series::heartrate); });
        route("GET", "/api/stats", Role::read, "Rows and first/last day per table", {},
              [this](const http::Request&, const P&, Role) { return table_answer([](auto& tx) { return store::table_statistics(tx); }); });
        route("GET", "/api/db/info", Role::read, "Database size and growth", {},
              [this](const http::Request&, const P&, Role) { return table_answer([](auto& tx) { return store::database_info(tx); }); });
        route("GET", "/api/events", Role::read, "Recent document changes and webhook deliveries with their state", {"limit"},
              [this](const http::Request& r, const P&, Role) { return events(r); });
        route("GET", "/api/events/stream", Role::read, "Server-Sent Events: one per document change as it commits (Last-Event-ID resumes)",
              {"after"}, [this](const http::Request& r, const P&, Role) { return event_stream(r); }, true);
        route("POST", "/api/sql", Role::read, "One read-only SQL statement with scalar parameters; Grafana Infinity shape", {},
              [this](const http::Request& r, const P&, Role role) { return run_sql(r, role); });
        route("GET", "/api/export", Role::read, "Streamed export as csv, json or ndjson",
              {"resource", "start", "end", "user", "format"}, [this](const http::Request& r, const P&, Role) { return export_rows(r); });
        route("GET", "/status", Role::none, "Pipeline status page (HTML; log in with a read token)", {"fragment"},
              [this](const http::Request& r, const P&, Role) { return status(r); });
        route("POST", "/status/login", Role::none, "Status page login form: sets an HttpOnly cookie", {},
              [this](const http::Request& r, const P&, Role) { return login(r); });
        route("GET", "/status/login", Role::none,
              "Single-use login link (oura-admin status-link): spends the code and sets the read cookie", {"code"},
              [this](const http::Request& r, const P&, Role) { return login_with_code(r); });
        route("POST", "/status/logout", Role::none, "Forgets the status page cookie", {}, [this](const http::Request&, const P&, Role) {
            http::Response res;
            res.status = 303;
            res.headers.set("Location", "/status");
            res.headers.set("Set-Cookie", std::string(cookie_name) + "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
            return res;
        });
        route("GET", "/openapi.json", Role::none, "This document", {},
              [this](const http::Request&, const P&, Role) { return http::json_response(200, openapi_json(docs)); });
        route("GET", "/admin/users", Role::admin, "Users with their grant and sync state", {},
              [this](const http::Request&, const P&, Role) { return table_answer([](auto& tx) { return store::users_table(tx); }); });
        route("POST", "/admin/users/{id}/disable", Role::admin, "Stops syncing a user (data kept)", {},
              [this](const http::Request&, const P& p, Role) { return user_action(p, "disable"); });
        route("POST", "/admin/users/{id}/disconnect", Role::admin, "Forgets the user's tokens (status revoked)", {},
              [this](const http::Request&, const P& p, Role) { return user_action(p, "disconnect"); });
        route("DELETE", "/admin/users/{id}/data", Role::admin, "Erases every row of the user in one transaction; answers row counts",
              {}, [this](const http::Request&, const P& p, Role) { return user_action(p, "erase"); });
        route("POST", "/admin/backfills", Role::admin, "Requests a history backfill (users or all, day window, resources)", {},
              [this](const http::Request& r, const P&, Role) { return request_backfill(r); });
        route("GET", "/admin/backfills/{id}", Role::admin, "A backfill's state and progress per resource", {},
              [this](const http::Request&, const P& p, Role) { return backfill(p); });
        route("GET", "/oauth/start", Role::admin, "Connects a person's Oura account: 302 to Oura's consent page (PKCE, single-use state)",
              {"login_hint"}, [this](const http::Request& r, const P&, Role) { return oauth_start(r); });
        route("GET", "/admin/webhooks", Role::admin, "The application's webhook subscriptions at Oura", {},
              [this](const http::Request&, const P&, Role) { return webhooks_list(); });
        route("POST", "/admin/webhooks/ensure", Role::admin, "Creates missing subscriptions and renews those expiring soon", {},
              [this](const http::Request&, const P&, Role) { return webhooks_ensure(); });
        route("POST", "/admin/webhooks/renew", Role::admin, "Renews subscriptions expiring within N days (default 14)", {"days"},
              [this](const http::Request& r, const P&, Role) { return webhooks_renew(r); });
        // The runtime's own routes, documented here so the spec lists every route.
        docs.push_back({"GET", "/healthz", "Process alive", Role::none, {}});
        docs.push_back({"GET", "/readyz", "Database reachable and migrated", Role::none, {}});
        docs.push_back({"GET", "/metrics", "Prometheus metrics with database-derived gauges", Role::none, {}});
    }
};

App::App(Settings settings, const core::Logger& log) : impl_(std::make_unique<Impl>(std::move(settings), log)) {
    auto* impl = impl_.get();
    impl->add_routes();
    impl->runtime.set_request_filter([impl](const http::Request& r) { return impl->filter(r); });
    impl->runtime.set_response_filter([impl](const http::Request& r, http::Response& res) { impl->decorate(r, res); });
    impl->runtime.add_metrics_source([impl] { return impl->gauges(); });
    impl->runtime.add_worker("change-listener", [impl](std::stop_token stop) { impl->listen_for_changes(stop); });
    impl->runtime.add_worker("event-trimmer", [impl](std::stop_token stop) { impl->trim_events(stop); });
    if (impl->settings.access.read.empty() && impl->settings.access.admin.empty())
        log.warn("no tokens configured: every route but the probes, /metrics and /openapi.json answers 401",
                 {{"variables", "OURA_QUERY_READ_TOKENS, OURA_QUERY_ADMIN_TOKENS"}});
}

App::~App() = default;

service::Runtime& App::runtime() { return impl_->runtime; }

int App::run(const core::ShutdownSignals& signals) { return impl_->runtime.run(signals); }

}  // namespace oura::query_api
