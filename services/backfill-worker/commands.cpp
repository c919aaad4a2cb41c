#include "commands.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include "oura/api/catalog.hpp"
#include "oura/core/cli.hpp"
#include "oura/core/json.hpp"
#include "oura/core/text.hpp"
#include "oura/core/time.hpp"
#include "oura/store/backfills.hpp"
#include "oura/store/database.hpp"
#include "oura/store/users.hpp"

namespace oura::backfill_worker {
namespace {

constexpr auto overview = R"(Usage: backfill-worker COMMAND [options]

Commands:
  run                  the daemon: works through backfill chunks (N at once), serves /healthz /readyz /metrics
  enqueue              request a backfill: (--users LIST | --all) (--days N [--offset-days M] | --start D --end D)
                       [--resources LIST] [--wait] [--json]
  status [ID]          progress of a backfill per resource (every running one without ID) [--wait] [--json]
  list                 the newest backfills [--limit N] [--json]
  cancel ID            cancel a running backfill and its remaining chunks [--json]
  retry-failed ID      queue the dead and failed chunks of a backfill again [--wait] [--json]

Run `backfill-worker COMMAND --help` for a command's options.
Environment: OURA_DATABASE_URL (every command); `run` also the variables in docs/configuration.md.
Exit codes: 0 done, 1 failed (with --wait: the backfill ended with dead or failed chunks, or was
cancelled), 2 bad usage or configuration.)";

const core::Flag wait_flag{"wait", "", "follow the backfill until it ends: a live bar on a terminal, one line per interval otherwise"};
const core::Flag interval_flag{"interval", "S", "seconds between progress lines with --wait (default 5)"};
const core::Flag json_flag{"json", "", "print JSON for scripts (with --wait: the final status)"};

core::CommandLine parse(const std::vector<std::string>& args, const std::string& usage, const std::string& description,
                        std::vector<core::Flag> flags) {
    core::CommandLine cli(usage, description, std::move(flags),
                          "Environment: OURA_DATABASE_URL (libpq URI; may be OURA_DATABASE_URL_FILE).\n"
                          "Exit codes: 0 done, 1 failed, 2 bad usage or configuration.");
    cli.parse(args);
    return cli;
}

long long parse_id(const std::string& text) {
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
        throw core::usage_error("backfill ID must be a positive number, not '" + text + "'");
    return std::stoll(text);
}

long long single_id(const core::CommandLine& cli, const std::string& command) {
    if (cli.positional().empty()) throw core::usage_error(command + ": a backfill ID is required");
    if (cli.positional().size() > 1) throw core::usage_error(command + ": unexpected argument '" + cli.positional()[1] + "'");
    return parse_id(cli.positional()[0]);
}

int interval_seconds(const core::CommandLine& cli) { return static_cast<int>(cli.int_or("interval", 5, 1, 3600)); }

std::string human_duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "-";
    long long s = std::llround(seconds);
    std::ostringstream out;
    if (s >= 3600) out << s / 3600 << "h" << std::setw(2) << std::setfill('0') << (s % 3600) / 60 << "m";
    else if (s >= 60) out << s / 60 << "m" << std::setw(2) << std::setfill('0') << s % 60 << "s";
    else out << s << "s";
    return out.str();
}

std::string fixed(double v, int decimals = 1) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(decimals) << v;
    return out.str();
}

void write_progress(core::JsonWriter& w, const store::BackfillProgress& p) {
    w.begin_object();
    if (!p.resource.empty()) w.field("resource", p.resource);
    w.field("chunks", p.total)
        .field("succeeded", p.succeeded)
        .field("running", p.running)
        .field("pending", p.pending)
        .field("waiting_token", p.waiting_token)
        .field("failed", p.failed)
        .field("cancelled", p.cancelled)
        .field("rows_written", p.rows_written)
        .field("requests", p.requests)
        .end_object();
}

void write_status(core::JsonWriter& w, const store::BackfillStatus& s) {
    w.begin_object()
        .field("id", s.id)
        .field("state", s.state)
        .field("requested_by", s.requested_by)
        .field("all_users", s.all_users);
    w.key("users").begin_array();
    for (auto u : s.user_ids) w.integer(u);
    w.end_array();
    w.key("resources").begin_array();
    for (const auto& r : s.resources) w.string(r);
    w.end_array();
    w.field("from", core::format_date(s.from)).field("to", core::format_date(s.to)).field("created_at", s.created_at);
    w.key("finished_at");
    if (s.finished_at.empty()) w.null();
    else w.string(s.finished_at);
    w.field("elapsed_seconds", s.elapsed_seconds)
        .field("chunks_per_second", s.chunks_per_second())
        .field("requests_per_second", s.requests_per_second());
    w.key("eta_seconds");
    if (auto eta = s.eta_seconds()) w.number(*eta);
    else w.null();
    w.key("totals");
    write_progress(w, s.totals);
    w.key("by_resource").begin_array();
    for (const auto& p : s.by_resource) write_progress(w, p);
    w.end_array().end_object();
}

std::string status_json(const store::BackfillStatus& s) {
    core::JsonWriter w;
    write_status(w, s);
    return w.take();
}

std::string users_text(const store::BackfillStatus& s) {
    if (s.all_users) return "all (" + std::to_string(s.user_ids.size()) + ")";
    std::string out;
    for (auto u : s.user_ids) out += (out.empty() ? "" : ",") + std::to_string(u);
    return out;
}

void print_status(std::ostream& out, const store::BackfillStatus& s) {
    out << "backfill " << s.id << "  " << s.state << "  " << core::format_date(s.from) << " .. " << core::format_date(s.to)
        << "  users " << users_text(s) << "  requested by " << s.requested_by << "  created " << s.created_at;
    if (!s.finished_at.empty()) out << "  finished " << s.finished_at;
    out << "\n";
    auto row = [&](const std::string& name, const store::BackfillProgress& p) {
        out << std::left << std::setw(26) << name << std::right << std::setw(7) << p.total << std::setw(7) << p.succeeded
            << std::setw(9) << p.running << std::setw(9) << p.pending << std::setw(9) << p.waiting_token << std::setw(8)
            << p.failed << std::setw(11) << p.cancelled << std::setw(11) << p.rows_written << std::setw(10) << p.requests
            << "\n";
    };
    out << std::left << std::setw(26) << "resource" << std::right << std::setw(7) << "chunks" << std::setw(7) << "done"
        << std::setw(9) << "running" << std::setw(9) << "pending" << std::setw(9) << "waiting" << std::setw(8) << "failed"
        << std::setw(11) << "cancelled" << std::setw(11) << "rows" << std::setw(10) << "requests" << "\n";
    for (const auto& p : s.by_resource) row(p.resource, p);
    row("total", s.totals);
    out << "rate " << fixed(s.chunks_per_second(), 2) << " chunks/s, " << fixed(s.requests_per_second(), 1)
        << " requests/s; elapsed " << human_duration(s.elapsed_seconds);
    if (auto eta = s.eta_seconds()) out << "; ETA " << human_duration(*eta);
    if (s.totals.waiting_token > 0) out << "; " << s.totals.waiting_token << " chunk(s) wait for users to reconnect";
    out << "\n";
}

// One line of progress: what a log or a pipe keeps.
std::string progress_line(const store::BackfillStatus& s) {
    const auto& t = s.totals;
    std::string line = "backfill " + std::to_string(s.id) + " " + s.state + ": " + std::to_string(t.succeeded) + "/" +
                       std::to_string(t.total) + " chunks done, " + std::to_string(t.running) + " running, " +
                       std::to_string(t.failed) + " failed, " + std::to_string(t.rows_written) + " rows, " +
                       fixed(s.requests_per_second()) + " requests/s";
    if (auto eta = s.eta_seconds()) line += ", ETA " + human_duration(*eta);
    return line;
}

// The terminal's live bar, redrawn in place.
std::string progress_bar(const store::BackfillStatus& s) {
    const auto& t = s.totals;
    constexpr int width = 30;
    double done = t.total > 0 ? static_cast<double>(t.succeeded + t.failed + t.cancelled) / static_cast<double>(t.total) : 1.0;
    int filled = static_cast<int>(std::floor(done * width));
    std::string bar = "[" + std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(width - filled), '.') + "]";
    std::string line = "\r" + bar + " " + std::to_string(static_cast<int>(std::floor(done * 100))) + "% " +
                       std::to_string(t.succeeded) + "/" + std::to_string(t.total) + " chunks, " +
                       std::to_string(t.failed) + " failed, " + std::to_string(t.rows_written) + " rows, " +
                       fixed(s.requests_per_second()) + " req/s";
    if (auto eta = s.eta_seconds()) line += ", ETA " + human_duration(*eta);
    return line + "\x1b[K";
}

std::optional<store::BackfillStatus> read_status(store::Pool& pool, long long id) {
    return pool.transact([&](store::Transaction& tx) { return store::backfill_status(tx, id); });
}

int exit_for(const store::BackfillStatus& s) {
    if (s.state == "succeeded") return core::exit_ok;
    return core::exit_failure;
}

// Follows backfill `id` to its end. A database that goes away meanwhile is waited for.
int follow(store::Pool& pool, long long id, int interval, bool json) {
    const bool tty = !json && isatty(STDOUT_FILENO) == 1;
    const auto redraw = tty ? std::chrono::milliseconds(500) : std::chrono::milliseconds(interval * 1000);
    std::optional<store::BackfillStatus> s;
    for (;;) {
        try {
            s = read_status(pool, id);
        } catch (const store::retryable_error& e) {
            std::cerr << "backfill-worker: database unavailable (" << e.what() << "); still waiting\n";
        } catch (const store::database_unavailable& e) {
            std::cerr << "backfill-worker: database unavailable (" << e.what() << "); still waiting\n";
        }
        if (!s) throw std::runtime_error("backfill " + std::to_string(id) + " disappeared");
        if (s->state != "running") break;
        if (!json) {
            if (tty) std::cout << progress_bar(*s) << std::flush;
            else std::cout << progress_line(*s) << std::endl;
        }
        std::this_thread::sleep_for(redraw);
    }
    if (json) {
        std::cout << status_json(*s) << "\n";
    } else {
        if (tty) std::cout << progress_bar(*s) << "\n";
        print_status(std::cout, *s);
        if (s->state == "failed")
            std::cout << s->totals.failed << " chunk(s) ended dead or failed; `backfill-worker retry-failed " << s->id
                      << "` queues them again\n";
    }
    return exit_for(*s);
}

std::vector<long long> resolve_users(store::Pool& pool, const std::vector<std::string>& wanted) {
    std::vector<long long> out;
    auto lease = pool.acquire();
    for (const auto& w : wanted) {
        std::optional<store::User> u;
        if (!w.empty() && w.find_first_not_of("0123456789") == std::string::npos && w.size() < 19)
            u = store::find_user(*lease, std::stoll(w));
        if (!u) u = store::find_user_by_oura_id(*lease, w);
        if (!u) throw core::usage_error("--users: unknown user '" + w + "' (see oura-admin users list)");
        out.push_back(u->user_id);
    }
    return out;
}

core::Days parse_day(const core::CommandLine& cli, const std::string& flag) {
    auto text = cli.value_or(flag, "");
    auto d = core::parse_date(text);
    if (!d) throw core::usage_error("--" + flag + ": expected a date YYYY-MM-DD, not '" + text + "'");
    return *d;
}

int enqueue(const std::vector<std::string>& args, const core::Env& env) {
    auto cli = parse(args,
                     "backfill-worker enqueue (--users LIST | --all) (--days N [--offset-days M] | --start D --end D) "
                     "[--resources LIST] [--wait] [--json]",
                     "Requests a backfill: every named user (or every active one) x resource x day of the window, as "
                     "chunk jobs the workers run newest first. While an equal request is running, its ID is returned "
                     "and nothing new is queued.",
                     {{"users", "LIST", "comma-separated user ids or Oura user ids"},
                      {"all", "", "every active user"},
                      {"days", "N", "the last N days (UTC), ending today (at most 3650)"},
                      {"offset-days", "M", "with --days: end M days before today (default 0)"},
                      {"start", "YYYY-MM-DD", "first day of the window"},
                      {"end", "YYYY-MM-DD", "last day of the window"},
                      {"resources", "LIST", "comma-separated REST names (default: every resource)"},
                      wait_flag, interval_flag, json_flag});
    if (cli.help_requested()) {
        std::cout << cli.help();
        return core::exit_ok;
    }
    if (!cli.positional().empty()) throw core::usage_error("enqueue: unexpected argument '" + cli.positional()[0] + "'");
    store::BackfillRequest request;
    bool has_users = cli.has("users"), all = cli.has("all");
    if (has_users == all) throw core::usage_error("enqueue: give exactly one of --users LIST and --all");
    auto users = core::split_list(cli.value_or("users", ""));
    if (has_users && users.empty()) throw core::usage_error("--users: name at least one user");
    bool by_days = cli.has("days");
    bool by_dates = cli.has("start") || cli.has("end");
    if (by_days == by_dates) throw core::usage_error("enqueue: give either --days N or --start D --end D");
    if (by_days) {
        auto days = cli.int_or("days", 0, 1, 3650);
        auto offset = cli.int_or("offset-days", 0, 0, 36500);
        auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
        request.to = today - std::chrono::days(offset);
        request.from = request.to - std::chrono::days(days - 1);
    } else {
        if (cli.has("offset-days")) throw core::usage_error("--offset-days goes with --days, not --start/--end");
        if (!cli.has("start") || !cli.has("end")) throw core::usage_error("enqueue: --start and --end go together");
        request.from = parse_day(cli, "start");
        request.to = parse_day(cli, "end");
        if (request.from > request.to) throw core::usage_error("--start " + core::format_date(request.from) + " is after --end " + core::format_date(request.to));
        if ((request.to - request.from).count() >= 36500) throw core::usage_error("the window is longer than 100 years");
    }
    request.resources = core::split_list(cli.value_or("resources", ""));
    if (cli.has("resources") && request.resources.empty()) throw core::usage_error("--resources: name at least one resource");
    for (const auto& r : request.resources)
        if (!api::find_resource(r)) {
            std::string known;
            for (const auto& k : api::resources()) known += (known.empty() ? "" : ", ") + std::string(k.name);
            throw core::usage_error("--resources: unknown resource '" + r + "'; known: " + known);
        }
    int interval = interval_seconds(cli);
    request.all_users = all;
    request.requested_by = "operator";

    store::Pool pool(env.require("OURA_DATABASE_URL"), 1);
    if (has_users) request.user_ids = resolve_users(pool, users);
    store::BackfillRef ref;
    try {
        ref = pool.transact([&](store::Transaction& tx) { return store::request_backfill(tx, request); });
    } catch (const std::invalid_argument& e) {
        throw core::usage_error(std::string("enqueue: ") + e.what());
    }
    if (!cli.has("wait") || !cli.has("json")) {
        if (cli.has("json")) {
            core::JsonWriter w;
            w.begin_object().field("id", ref.id).field("created", ref.created).field("chunks", ref.chunks).end_object();
            std::cout << w.take() << "\n";
        } else if (ref.created) {
            std::cout << "backfill " << ref.id << " queued: " << ref.chunks << " chunks, " << core::format_date(request.from)
                      << " .. " << core::format_date(request.to) << "\n";
        } else {
            std::cout << "backfill " << ref.id << " is already running for the same request (" << ref.chunks
                      << " chunks); nothing new queued\n";
        }
    }
    if (cli.has("wait")) return follow(pool, ref.id, interval, cli.has("json"));
    return core::exit_ok;
}

int status(const std::vector<std::string>& args, const core::Env& env) {
    auto cli = parse(args, "backfill-worker status [ID] [--wait] [--json]",
                     "Progress of a backfill per resource: chunks done, running, pending, waiting for a user to "
                     "reconnect, failed; rows written, requests made, rate and ETA. Without ID: every running backfill.",
                     {wait_flag, interval_flag, json_flag});
    if (cli.help_requested()) {
        std::cout << cli.help();
        return core::exit_ok;
    }
    if (cli.positional().size() > 1) throw core::usage_error("status: unexpected argument '" + cli.positional()[1] + "'");
    std::optional<long long> id;
    if (!cli.positional().empty()) id = parse_id(cli.positional()[0]);
    if (cli.has("wait") && !id) throw core::usage_error("status --wait needs a backfill ID");
    int interval = interval_seconds(cli);
    store::Pool pool(env.require("OURA_DATABASE_URL"), 1);
    if (id) {
        auto s = read_status(pool, *id);
        if (!s) throw core::usage_error("status: no backfill " + std::to_string(*id) + " (see backfill-worker list)");
        if (cli.has("wait")) return follow(pool, *id, interval, cli.has("json"));
        if (cli.has("json")) std::cout << status_json(*s) << "\n";
        else print_status(std::cout, *s);
        return core::exit_ok;
    }
    auto all = pool.transact([](store::Transaction& tx) { return store::list_backfills(tx, 1000); });
    std::vector<store::BackfillStatus> running;
    for (auto& s : all)
        if (s.state == "running") running.push_back(std::move(s));
    if (cli.has("json")) {
        core::JsonWriter w;
        w.begin_array();
        for (const auto& s : running) write_status(w, s);
        w.end_array();
        std::cout << w.take() << "\n";
    } else if (running.empty()) {
        std::cout << "no backfill is running (backfill-worker list shows the finished ones)\n";
    } else {
        for (const auto& s : running) {
            print_status(std::cout, s);
            std::cout << "\n";
        }
    }
    return core::exit_ok;
}

int list(const std::vector<std::string>& args, const core::Env& env) {
    auto cli = parse(args, "backfill-worker list [--limit N] [--json]", "The newest backfills, newest first.",
                     {{"limit", "N", "how many (default 20, at most 1000)"}, json_flag});
    if (cli.help_requested()) {
        std::cout << cli.help();
        return core::exit_ok;
    }
    if (!cli.positional().empty()) throw core::usage_error("list: unexpected argument '" + cli.positional()[0] + "'");
    int limit = static_cast<int>(cli.int_or("limit", 20, 1, 1000));
    store::Pool pool(env.require("OURA_DATABASE_URL"), 1);
    auto all = pool.transact([&](store::Transaction& tx) { return store::list_backfills(tx, limit); });
    if (cli.has("json")) {
        core::JsonWriter w;
        w.begin_array();
        for (const auto& s : all) write_status(w, s);
        w.end_array();
        std::cout << w.take() << "\n";
        return core::exit_ok;
    }
    if (all.empty()) {
        std::cout << "no backfills yet (backfill-worker enqueue --help)\n";
        return core::exit_ok;
    }
    std::cout << std::left << std::setw(8) << "id" << std::setw(11) << "state" << std::setw(13) << "done/chunks"
              << std::setw(8) << "failed" << std::setw(25) << "window" << std::setw(14) << "users" << std::setw(11)
              << "by" << "created\n";
    for (const auto& s : all)
        std::cout << std::left << std::setw(8) << s.id << std::setw(11) << s.state << std::setw(13)
                  << (std::to_string(s.totals.succeeded) + "/" + std::to_string(s.totals.total)) << std::setw(8)
                  << s.totals.failed << std::setw(25) << (core::format_date(s.from) + ".." + core::format_date(s.to))
                  << std::setw(14) << users_text(s) << std::setw(11) << s.requested_by << s.created_at << "\n";
    return core::exit_ok;
}

int cancel(const std::vector<std::string>& args, const core::Env& env) {
    auto cli = parse(args, "backfill-worker cancel ID [--json]",
                     "Cancels a running backfill: its pending and parked chunks are cancelled at once, a running "
                     "chunk's worker finds its next heartbeat refused and its result discarded.",
                     {json_flag});
    if (cli.help_requested()) {
        std::cout << cli.help();
        return core::exit_ok;
    }
    long long id = single_id(cli, "cancel");
    store::Pool pool(env.require("OURA_DATABASE_URL"), 1);
    auto before = read_status(pool, id);
    if (!before) throw core::usage_error("cancel: no backfill " + std::to_string(id) + " (see backfill-worker list)");
    bool cancelled = pool.transact([&](store::Transaction& tx) { return store::cancel_backfill(tx, id); });
    if (cli.has("json")) {
        core::JsonWriter w;
        w.begin_object().field("id", id).field("cancelled", cancelled).field("state", cancelled ? std::string("cancelled") : before->state).end_object();
        std::cout << w.take() << "\n";
    } else if (cancelled) {
        std::cout << "backfill " << id << " cancelled (" << before->totals.remaining() << " chunk(s) not run)\n";
    } else {
        std::cerr << "backfill-worker: backfill " << id << " is " << before->state << ", not running; nothing cancelled\n";
    }
    return cancelled ? core::exit_ok : core::exit_failure;
}

int retry_failed(const std::vector<std::string>& args, const core::Env& env) {
    auto cli = parse(args, "backfill-worker retry-failed ID [--wait] [--json]",
                     "Queues the dead and failed chunks of a backfill again, with fresh attempts; the chunks that "
                     "succeeded are not fetched again.",
                     {wait_flag, interval_flag, json_flag});
    if (cli.help_requested()) {
        std::cout << cli.help();
        return core::exit_ok;
    }
    long long id = single_id(cli, "retry-failed");
    int interval = interval_seconds(cli);
    store::Pool pool(env.require("OURA_DATABASE_URL"), 1);
    long long requeued = 0;
    try {
        requeued = pool.transact([&](store::Transaction& tx) { return store::retry_failed_chunks(tx, id); });
    } catch (const std::invalid_argument& e) {
        throw core::usage_error(std::string("retry-failed: ") + e.what());
    }
    if (!cli.has("wait") || !cli.has("json")) {
        if (cli.has("json")) {
            core::JsonWriter w;
            w.begin_object().field("id", id).field("requeued", requeued).end_object();
            std::cout << w.take() << "\n";
        } else {
            std::cout << "backfill " << id << ": " << requeued << " chunk(s) queued again\n";
        }
    }
    if (cli.has("wait")) return follow(pool, id, interval, cli.has("json"));
    return core::exit_ok;
}

}  // namespace

bool wants_help(const std::vector<std::string>& run_args) {
    core::CommandLine cli("backfill-worker run", "", {});
    cli.parse(run_args);
    if (!cli.positional().empty()) throw core::usage_error("run: unexpected argument '" + cli.positional()[0] + "'");
    return cli.help_requested();
}

std::string run_help() {
    core::CommandLine cli(
        "backfill-worker run",
        "The daemon: OURA_BACKFILL_CONCURRENCY workers claim backfill chunks (user x resource x window) from the job\n"
        "queue under a lease, fetch them through the poller's sync engine and write them through the same store\n"
        "path. Idle workers wake on NOTIFY; a dead Oura grant parks the user's chunks until they reconnect. Every\n"
        "Oura request draws from the budget shared in PostgreSQL. SIGTERM: stop claiming, finish or give back the\n"
        "running chunks within OURA_SHUTDOWN_GRACE_SECONDS, exit 0.",
        {},
        "Environment (docs/configuration.md has the whole list):\n"
        "  OURA_DATABASE_URL, OURA_TOKEN_ENCRYPTION_KEYS (or OURA_TOKEN_ENCRYPTION_KEY), OURA_CLIENT_ID,\n"
        "  OURA_CLIENT_SECRET, OURA_API_BASE_URL, OURA_HTTP_PORT (default 8080)\n"
        "  OURA_BACKFILL_CONCURRENCY     chunks run at once (default 4)\n"
        "  OURA_BACKFILL_LEASE           a chunk's lease, renewed by heartbeats (default 60s)\n"
        "  OURA_BACKFILL_POLL_INTERVAL   idle poll besides NOTIFY (default 5s)\n"
        "  OURA_BACKFILL_RETRY_BASE      first retry delay of a failed chunk, doubling (default 5s)\n"
        "  OURA_API_BUDGET_REQUESTS      Oura requests per window for all workers together (default 5000; 0 = off)\n"
        "  OURA_API_BUDGET_WINDOW        the budget's window (default 5m)\n"
        "Exit codes: 0 stopped cleanly, 1 a worker failed or the grace ran out, 2 bad configuration.");
    return cli.help();
}

int run_command(const std::vector<std::string>& args, const core::Env& env, const core::Logger&) {
    if (args.empty() || args[0] == "--help" || args[0] == "help" || args[0] == "-h") {
        std::cout << overview << "\n";
        return args.empty() ? core::exit_usage : core::exit_ok;
    }
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "enqueue") return enqueue(rest, env);
    if (args[0] == "status") return status(rest, env);
    if (args[0] == "list") return list(rest, env);
    if (args[0] == "cancel") return cancel(rest, env);
    if (args[0] == "retry-failed") return retry_failed(rest, env);
    throw core::usage_error("unknown command '" + args[0] + "' (see backfill-worker --help)");
}

}  // namespace oura::backfill_worker
