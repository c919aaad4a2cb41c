// backfill-worker as an operator and a user would meet it: real worker processes, the real
// simulator, the real PostgreSQL; the database compared with the simulator's truth value by value.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>

#include "harness.hpp"
#include "lsan.hpp"
#include "oura/core/json.hpp"
#include "oura/core/process.hpp"
#include "oura/store/jobs.hpp"
#include "sim.hpp"
#include "binary_env.hpp"
#include "truth.hpp"
#include "wait.hpp"

using oura::test::Simulator;
using oura::test::TestDatabase;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// Generous: on a loaded machine the two-year backfill took 4 minutes (80 s on a quiet one).
constexpr auto backfill_deadline = std::chrono::minutes(10);

struct Platform {
    Simulator& sim;
    TestDatabase& db;
    std::map<std::string, std::string> env;
    fs::path dir;
    int workers_started = 0;

    Platform(Simulator& s, TestDatabase& d) : sim(s), db(d) {
        env = oura::test::platform_env(sim, db.writer_url());
        env["OURA_INITIAL_BACKFILL_DAYS"] = "0";
        env["OURA_HTTP_PORT"] = "0";
        env["OURA_BACKFILL_LEASE"] = "2s";
        env["OURA_BACKFILL_POLL_INTERVAL"] = "200ms";
        env["OURA_BACKFILL_RETRY_BASE"] = "100ms";
        env["OURA_SHUTDOWN_GRACE_SECONDS"] = "20";
        env["OURA_HTTP_TIMEOUT"] = "2s";
        dir = fs::temp_directory_path() / ("oura-backfill-test-" + std::to_string(::getpid()) + "-" + db.name());
        fs::create_directories(dir);
        // libpqxx 6.4 leaks an error result when a connection is cut mid-query (docs/known-issues.md).
        std::ofstream(dir / "lsan.supp") << oura::test::known_leak_suppressions;
        env["LSAN_OPTIONS"] = "suppressions=" + (dir / "lsan.supp").string();
    }
    ~Platform() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }

    void register_users() {
        for (const auto& id : sim.users()) oura::test::register_user(sim, id, env);
    }

    oura::core::ProcessResult command(std::vector<std::string> args, std::map<std::string, std::string> extra = {}) {
        auto e = env;
        for (auto& [k, v] : extra) e[k] = v;
        return oura::test::run_binary("backfill-worker", args, e);
    }

    // Enqueues through the operator command; the backfill's id.
    long long enqueue(std::vector<std::string> args) {
        args.insert(args.begin(), "enqueue");
        args.push_back("--json");
        auto r = command(args);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        return *oura::core::get_int(oura::core::parse_json(r.out), "id");
    }

    struct Worker {
        std::unique_ptr<oura::core::ChildProcess> process;
        std::string url;
        fs::path log;
    };
    Worker start_worker(std::map<std::string, std::string> extra = {}) {
        auto e = env;
        for (auto& [k, v] : extra) e[k] = v;
        Worker w;
        w.log = dir / ("worker-" + std::to_string(++workers_started) + ".log");
        w.process = std::make_unique<oura::core::ChildProcess>(
            std::vector<std::string>{oura::test::binary("backfill-worker"), "run"}, e, w.log.string());
        auto line = w.process->read_line(30s);
        REQUIRE(line);
        w.url = *line;
        return w;
    }

    long long count(const std::string& sql) { return std::stoll(db.scalar(sql)); }
    std::string state(long long id) { return db.scalar("SELECT state FROM oura.backfills WHERE id = " + std::to_string(id)); }
    void wait_finished(long long id) {
        oura::test::wait_until("backfill " + std::to_string(id) + " has ended", [&] { return state(id) != "running"; },
                               backfill_deadline);
    }
    long long user_id(const std::string& oura_id) {
        return std::stoll(db.scalar("SELECT user_id FROM oura.users WHERE oura_user_id = '" + oura_id + "'"));
    }
    void require_database_equals_truth() {
        oura::test::load_truth(db, sim, [&](const std::string& id) { return user_id(id); });
        for (const auto& [what, sql] : oura::test::truth_checks) {
            INFO(what);
            CHECK(count(sql) == 0);
        }
    }
};

std::string read_file(const fs::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs `argv` on a pseudo-terminal (its stdout and stderr); what it wrote and its exit code.
oura::core::ProcessResult run_on_pty(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    REQUIRE(master >= 0);
    REQUIRE(grantpt(master) == 0);
    REQUIRE(unlockpt(master) == 0);
    std::string slave_name = ptsname(master);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        setsid();
        int slave = open(slave_name.c_str(), O_RDWR);
        dup2(slave, 0);
        dup2(slave, 1);
        dup2(slave, 2);
        close(master);
        for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
    oura::core::ProcessResult out;
    char buf[4096];
    for (;;) {
        pollfd p{master, POLLIN, 0};
        if (poll(&p, 1, 120000) <= 0) break;
        auto n = read(master, buf, sizeof buf);
        if (n <= 0) break;  // EIO once the child closed the terminal
        out.out.append(buf, static_cast<std::size_t>(n));
    }
    int status = 0;
    waitpid(pid, &status, 0);
    close(master);
    out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return out;
}

}  // namespace

TEST_CASE("two users' two years arrive through their initial backfills exactly as the simulator holds them",
          "[e2e][backfill]") {
    Simulator sim({"--users", "2", "--days", "730", "--seed", "11"});
    TestDatabase db;
    Platform p(sim, db);
    // A new user's history is queued by `users add`: two years ending today, plus a day for the zones.
    p.env["OURA_INITIAL_BACKFILL_DAYS"] = "731";
    p.register_users();
    REQUIRE(p.count("SELECT count(*) FROM oura.backfills WHERE requested_by = 'initial'") == 2);
    // Registering again (a re-consent) queues nothing new.
    p.register_users();
    REQUIRE(p.count("SELECT count(*) FROM oura.backfills") == 2);

    auto worker = p.start_worker({{"OURA_BACKFILL_CONCURRENCY", "4"}});
    auto first = std::stoll(db.scalar("SELECT min(id) FROM oura.backfills"));
    // Followed from a pipe: one plain line per interval, then the per-resource table.
    auto followed = p.command({"status", std::to_string(first), "--wait", "--interval", "1"});
    INFO(followed.err);
    CHECK(followed.exit_code == 0);
    CHECK(followed.out.find('\r') == std::string::npos);
    CHECK(followed.out.find("backfill " + std::to_string(first) + "  succeeded") != std::string::npos);
    CHECK(followed.out.find("heartrate") != std::string::npos);
    for (auto id : {first, first + 1}) p.wait_finished(id);
    CHECK(p.count("SELECT count(*) FROM oura.backfills WHERE state = 'succeeded'") == 2);
    CHECK(p.count("SELECT count(*) FROM oura.jobs WHERE state <> 'succeeded'") == 0);
    p.require_database_equals_truth();

    // The worker's own figures.
    auto metrics = sim.http().request("GET", worker.url + "/metrics", {}, {});
    CHECK(metrics.body.find("oura_jobs_processed_total{kind=\"backfill_chunk\",outcome=\"completed\"}") != std::string::npos);
    CHECK(metrics.body.find("oura_backfill_rows_written_total") != std::string::npos);
    CHECK(metrics.body.find("oura_budget_tokens_remaining") != std::string::npos);
    std::ofstream(p.dir / "metrics.txt") << metrics.body;
    auto lint = oura::core::run_process({"sh", "-c", "promtool check metrics < \"$0\"", (p.dir / "metrics.txt").string()});
    INFO(lint.out << lint.err);
    CHECK(lint.exit_code == 0);
    CHECK(worker.process->stop(SIGTERM, 30s) == 0);
}

TEST_CASE("a worker killed in the middle of a chunk: the chunk is claimed again after its lease and the result is whole",
          "[fault][backfill]") {
    Simulator sim({"--users", "1", "--days", "20", "--seed", "5"});
    TestDatabase db;
    Platform p(sim, db);
    p.register_users();
    REQUIRE(sim.call("POST", "/_sim/faults", R"({"route":"*","kind":"latency","latency_ms":300})").status == 200);
    auto id = p.enqueue({"--all", "--days", "21"});
    auto doomed = p.start_worker({{"OURA_BACKFILL_CONCURRENCY", "1"}});
    oura::test::wait_until("a chunk is running", [&] { return p.count("SELECT count(*) FROM oura.jobs WHERE state = 'running'") == 1; });
    auto job = std::stoll(db.scalar("SELECT id FROM oura.jobs WHERE state = 'running'"));
    auto generation = std::stoll(db.scalar("SELECT lease_generation FROM oura.jobs WHERE id = " + std::to_string(job)));
    REQUIRE(doomed.process->stop(SIGKILL, 10s) == 128 + SIGKILL);

    REQUIRE(sim.call("DELETE", "/_sim/faults").status == 200);
    auto heir = p.start_worker({{"OURA_BACKFILL_CONCURRENCY", "2"}});
    p.wait_finished(id);
    CHECK(p.state(id) == "succeeded");
    // Claimed again (a new generation) once the dead worker's lease ran out.
    CHECK(std::stoll(db.scalar("SELECT lease_generation FROM oura.jobs WHERE id = " + std::to_string(job))) > generation);
    CHECK(p.count("SELECT count(*) FROM oura.jobs WHERE state <> 'succeeded'") == 0);
    p.require_database_equals_truth();

    // The killed worker's completion, had it come late, is refused and writes nothing.
    pqxx::connection c(db.writer_url());
    pqxx::work tx(c);
    CHECK_THROWS_AS(oura::store::complete(tx, job, generation), oura::store::lease_lost);
    CHECK(heir.process->stop(SIGTERM, 30s) == 0);
}

TEST_CASE("workers whose database goes away in the middle reconnect and finish the backfill", "[fault][backfill]") {
    Simulator sim({"--users", "1", "--days", "20", "--seed", "6"});
    TestDatabase db;
    Platform p(sim, db);
    p.register_users();
    REQUIRE(sim.call("POST", "/_sim/faults", R"({"route":"*","kind":"latency","latency_ms":150})").status == 200);
    auto id = p.enqueue({"--all", "--days", "21"});
    auto worker = p.start_worker({{"OURA_BACKFILL_CONCURRENCY", "2"}});
    oura::test::wait_until("a chunk has finished", [&] { return p.count("SELECT count(*) FROM oura.jobs WHERE state = 'succeeded'") > 0; });

    // The database goes away: no new connections, every open one cut.
    db.refuse_connections();
    bool noticed = oura::test::poll_until([&] {
        auto log = read_file(worker.log);
        return log.find("cannot claim jobs") != std::string::npos || log.find("cannot record a chunk") != std::string::npos;
    }, std::chrono::minutes(1));
    db.allow_connections();
    REQUIRE(noticed);

    p.wait_finished(id);
    CHECK(p.state(id) == "succeeded");
    p.require_database_equals_truth();
    CHECK(worker.process->stop(SIGTERM, 30s) == 0);
}

TEST_CASE("asked to stop while its database is away, a worker stops at once and leaves its chunks to their leases",
          "[fault][backfill]") {
    Simulator sim({"--users", "1", "--days", "20", "--seed", "7"});
    TestDatabase db;
    Platform p(sim, db);
    p.register_users();
    REQUIRE(sim.call("POST", "/_sim/faults", R"({"route":"*","kind":"latency","latency_ms":300})").status == 200);
    auto id = p.enqueue({"--all", "--days", "21"});
    auto worker = p.start_worker({{"OURA_BACKFILL_CONCURRENCY", "2"}, {"OURA_BACKFILL_LEASE", "60s"}});
    oura::test::wait_until("a chunk has finished", [&] { return p.count("SELECT count(*) FROM oura.jobs WHERE state = 'succeeded'") > 0; });

    db.refuse_connections();
    bool retrying = oura::test::poll_until([&] {
        return read_file(worker.log).find("cannot record a chunk's outcome yet") != std::string::npos;
    }, std::chrono::minutes(1));
    // It used to keep retrying for a whole lease (60 s here), past the pod's grace period.
    auto code = worker.process->stop(SIGTERM, 10s);
    db.allow_connections();
    REQUIRE(retrying);
    CHECK(code == 0);
    CHECK(read_file(worker.log).find("its lease will expire and it runs again") != std::string::npos);

    // Nothing is lost: once the leases expire (made to here), another worker finishes the backfill.
    {
        auto c = db.connect();
        pqxx::nontransaction(c).exec("UPDATE oura.jobs SET lease_until = now() - interval '1 second' WHERE state = 'running'");
    }
    REQUIRE(sim.call("DELETE", "/_sim/faults").status == 200);
    auto second = p.start_worker({{"OURA_BACKFILL_CONCURRENCY", "2"}});
    p.wait_finished(id);
    CHECK(p.state(id) == "succeeded");
    p.require_database_equals_truth();
    CHECK(second.process->stop(SIGTERM, 30s) == 0);
}

TEST_CASE("with a fifth of Oura's answers failing (429, 5xx, hangs, resets) the backfill completes with the same data",
          "[fault][backfill]") {
    Simulator sim({"--users", "1", "--days", "20", "--seed", "9", "--fault",
                   "429:probability=0.05,retry_after=1;500:probability=0.05;hang:probability=0.05,latency_ms=3000;"
                   "reset:probability=0.05"});
    TestDatabase db;
    Platform p(sim, db);
    p.register_users();
    auto id = p.enqueue({"--all", "--days", "21"});
    auto worker = p.start_worker({{"OURA_BACKFILL_CONCURRENCY", "3"}});
    p.wait_finished(id);
    CHECK(p.state(id) == "succeeded");
    CHECK(sim.answers_with_status(429) + sim.answers_with_status(500) > 0);
    REQUIRE(sim.call("DELETE", "/_sim/faults").status == 200);
    p.require_database_equals_truth();
    CHECK(worker.process->stop(SIGTERM, 30s) == 0);
}

TEST_CASE("two workers share the chunks: each runs some, none runs a chunk twice", "[e2e][backfill]") {
    Simulator sim({"--users", "2", "--days", "20", "--seed", "4"});
    TestDatabase db;
    Platform p(sim, db);
    p.register_users();
    REQUIRE(sim.call("POST", "/_sim/faults", R"({"route":"*","kind":"latency","latency_ms":100})").status == 200);
    auto id = p.enqueue({"--all", "--days", "21"});
    auto a = p.start_worker({{"OURA_BACKFILL_CONCURRENCY", "2"}});
    auto b = p.start_worker({{"OURA_BACKFILL_CONCURRENCY", "2"}});
    p.wait_finished(id);
    CHECK(p.state(id) == "succeeded");
    // One claim per chunk (attempts), and both processes did some of them.
    CHECK(p.count("SELECT count(*) FROM oura.jobs WHERE attempts <> 1 OR lease_generation <> 1") == 0);
    CHECK(p.count("SELECT count(DISTINCT split_part(locked_by, '/', 2)) FROM oura.jobs") == 2);
    REQUIRE(sim.call("DELETE", "/_sim/faults").status == 200);
    p.require_database_equals_truth();
    CHECK(a.process->stop(SIGTERM, 30s) == 0);
    CHECK(b.process->stop(SIGTERM, 30s) == 0);
}

TEST_CASE("two workers held to a shared budget of 50 requests per 3 s meet no 429 from a simulator enforcing it",
          "[e2e][backfill]") {
    Simulator sim({"--users", "1", "--days", "20", "--seed", "8", "--page-size", "4", "--series-page-size", "500",
                   "--rate-limit-per-app", "50/3"});
    TestDatabase db;
    Platform p(sim, db);
    p.register_users();
    REQUIRE(sim.call("DELETE", "/_sim/stats").status == 200);
    auto id = p.enqueue({"--all", "--days", "21"});
    std::map<std::string, std::string> budget{{"OURA_BACKFILL_CONCURRENCY", "3"},
                                              {"OURA_API_BUDGET_REQUESTS", "50"},
                                              {"OURA_API_BUDGET_WINDOW", "3s"}};
    auto a = p.start_worker(budget);
    auto b = p.start_worker(budget);
    p.wait_finished(id);
    CHECK(p.state(id) == "succeeded");
    CHECK(p.count("SELECT sum(requests) FROM oura.backfill_chunks") > 50);  // the limit had to bite
    CHECK(sim.answers_with_status(429) == 0);
    p.require_database_equals_truth();
    CHECK(a.process->stop(SIGTERM, 30s) == 0);
    CHECK(b.process->stop(SIGTERM, 30s) == 0);
}

TEST_CASE("an operator cancels a backfill, retries only its dead chunks, and a duplicate enqueue returns the running one",
          "[e2e][backfill]") {
    Simulator sim({"--users", "1", "--days", "20", "--seed", "3"});
    TestDatabase db;
    Platform p(sim, db);
    p.register_users();
    auto oura_id = sim.users().at(0);

    // Duplicate enqueue: the same request (users named differently) returns the running backfill.
    auto first = p.command({"enqueue", "--users", oura_id, "--days", "21", "--json"});
    REQUIRE(first.exit_code == 0);
    auto id = *oura::core::get_int(oura::core::parse_json(first.out), "id");
    auto jobs = p.count("SELECT count(*) FROM oura.jobs");
    auto again = p.command({"enqueue", "--users", std::to_string(p.user_id(oura_id)), "--days", "21", "--json"});
    REQUIRE(again.exit_code == 0);
    auto dup = oura::core::parse_json(again.out);
    CHECK(*oura::core::get_int(dup, "id") == id);
    CHECK_FALSE(*oura::core::get_bool(dup, "created"));
    CHECK(p.count("SELECT count(*) FROM oura.jobs") == jobs);

    // Bad arguments: exit 2, one line, nothing written.
    for (const auto& bad : std::vector<std::vector<std::string>>{{"enqueue", "--all"},
                                                                {"enqueue", "--all", "--days", "0"},
                                                                {"enqueue", "--users", "nobody", "--days", "3"},
                                                                {"enqueue", "--all", "--days", "3", "--resources", "sleeep"},
                                                                {"enqueue", "--all", "--start", "2024-02-01", "--end", "2024-01-01"},
                                                                {"cancel"},
                                                                {"cancel", "x1"},
                                                                {"retry-failed", "999999"},
                                                                {"status", "1", "2"},
                                                                {"frobnicate"}}) {
        auto r = p.command(bad);
        INFO(oura::test::joined(bad) << ": " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
    CHECK(p.count("SELECT count(*) FROM oura.jobs") == jobs);
    CHECK(p.count("SELECT count(*) FROM oura.backfills") == 1);

    // Cancel while a slow chunk runs: nothing more is claimed.
    REQUIRE(sim.call("POST", "/_sim/faults", R"({"route":"*","kind":"latency","latency_ms":1500})").status == 200);
    auto worker = p.start_worker({{"OURA_BACKFILL_CONCURRENCY", "1"}});
    oura::test::wait_until("a chunk is running", [&] { return p.count("SELECT count(*) FROM oura.jobs WHERE state = 'running'") == 1; });
    auto cancelled = p.command({"cancel", std::to_string(id)});
    INFO(cancelled.err);
    CHECK(cancelled.exit_code == 0);
    CHECK(p.state(id) == "cancelled");
    CHECK(p.count("SELECT count(*) FROM oura.jobs WHERE state IN ('pending', 'running', 'waiting_token')") == 0);
    oura::test::wait_until("the worker let go of the cancelled chunk", [&] {
        return read_file(worker.log).find("chunk finished") != std::string::npos;
    });
    CHECK(p.count("SELECT count(*) FROM oura.jobs WHERE state = 'succeeded'") == 0);
    CHECK(worker.process->stop(SIGTERM, 30s) == 0);
    REQUIRE(sim.call("DELETE", "/_sim/faults").status == 200);

    // A new backfill whose workout chunk dies: its single allowed attempt meets six 500s in a row.
    auto second = p.enqueue({"--all", "--days", "21", "--resources", "workout,sleep"});
    p.db.scalar("UPDATE oura.jobs SET max_attempts = 1 WHERE state = 'pending' AND payload->>'resource' = 'workout' RETURNING 1");
    REQUIRE(sim.call("POST", "/_sim/faults",
                     R"({"route":"/v2/usercollection/workout","kind":"500","count":6})").status == 200);
    worker = p.start_worker({{"OURA_BACKFILL_CONCURRENCY", "1"}});
    auto waited = run_on_pty({oura::test::binary("backfill-worker"), "status", std::to_string(second), "--wait"}, p.env);
    // On a terminal: a bar redrawn in place, then the table; exit 1 because a chunk is dead.
    CHECK(waited.exit_code == 1);
    CHECK(waited.out.find('\r') != std::string::npos);
    CHECK(waited.out.find("%") != std::string::npos);
    CHECK(waited.out.find("retry-failed " + std::to_string(second)) != std::string::npos);
    CHECK(p.state(second) == "failed");
    auto succeeded = p.count("SELECT count(*) FROM oura.jobs WHERE state = 'succeeded'");

    auto retried = p.command({"retry-failed", std::to_string(second), "--wait", "--json"});
    INFO(retried.err);
    CHECK(retried.exit_code == 0);
    auto final_status = oura::core::parse_json(retried.out);
    CHECK(std::string(*oura::core::get_string(final_status, "state")) == "succeeded");
    // Only the dead chunk ran again.
    CHECK(p.count("SELECT count(*) FROM oura.jobs WHERE state = 'succeeded'") == succeeded + 1);
    CHECK(worker.process->stop(SIGTERM, 30s) == 0);
}

TEST_CASE("SIGTERM while a chunk runs: the worker gives the chunk back or finishes it, and exits 0", "[e2e][backfill]") {
    Simulator sim({"--users", "1", "--days", "20", "--seed", "2"});
    TestDatabase db;
    Platform p(sim, db);
    p.register_users();
    REQUIRE(sim.call("POST", "/_sim/faults", R"({"route":"*","kind":"latency","latency_ms":1000})").status == 200);
    auto id = p.enqueue({"--all", "--days", "21"});
    auto worker = p.start_worker({{"OURA_BACKFILL_CONCURRENCY", "2"}, {"OURA_SHUTDOWN_GRACE_SECONDS", "10"}});
    oura::test::wait_until("chunks are running", [&] { return p.count("SELECT count(*) FROM oura.jobs WHERE state = 'running'") == 2; });
    CHECK(worker.process->stop(SIGTERM, 15s) == 0);
    // Nothing is left holding a lease: every chunk is done or claimable now.
    CHECK(p.count("SELECT count(*) FROM oura.jobs WHERE state = 'running'") == 0);
    CHECK(p.count("SELECT count(*) FROM oura.jobs WHERE state = 'pending' AND run_after > now()") == 0);
    CHECK(p.count("SELECT count(*) FROM oura.jobs WHERE attempts > 1") == 0);
    CHECK(p.state(id) == "running");
}

TEST_CASE("a user whose grant is dead has their chunks parked, and they resume when the user connects again",
          "[e2e][backfill]") {
    Simulator sim({"--users", "1", "--days", "10", "--seed", "12"});
    TestDatabase db;
    Platform p(sim, db);
    auto oura_id = sim.users().at(0);
    // Registered with a refresh token Oura will refuse: once the access token expires, the grant is dead.
    auto [access, refresh] = sim.mint_token(oura_id);
    (void)refresh;
    auto added = oura::test::run_binary(
        "oura-admin", {"users", "add", "--access-token", access, "--refresh-token", "not-a-refresh-token-of-oura"}, p.env);
    REQUIRE(added.exit_code == 0);
    REQUIRE(sim.call("POST", "/_sim/tokens/expire").status == 200);
    auto id = p.enqueue({"--all", "--days", "11", "--resources", "sleep,daily_activity,workout"});
    auto worker = p.start_worker({{"OURA_BACKFILL_CONCURRENCY", "1"}});
    oura::test::wait_until("every chunk of the user waits for them", [&] {
        return p.count("SELECT count(*) FROM oura.jobs WHERE state = 'waiting_token'") == 3;
    });
    CHECK(p.state(id) == "running");
    // Parking spends no attempt: waiting never ends in the dead letter.
    CHECK(p.count("SELECT count(*) FROM oura.jobs WHERE attempts > 0") == 0);
    auto shown = p.command({"status", std::to_string(id)});
    CHECK(shown.out.find("wait for users to reconnect") != std::string::npos);

    // The user connects again: `users add` with the new pair resumes the parked chunks.
    auto [new_access, new_refresh] = sim.mint_token(oura_id);
    auto again = oura::test::run_binary(
        "oura-admin", {"users", "add", "--access-token", new_access, "--refresh-token", new_refresh}, p.env);
    REQUIRE(again.exit_code == 0);
    CHECK(again.out.find("3 job(s) that waited for this user to reconnect resumed") != std::string::npos);
    p.wait_finished(id);
    CHECK(p.state(id) == "succeeded");
    CHECK(worker.process->stop(SIGTERM, 30s) == 0);
}

TEST_CASE("the poller queues a new user's initial backfill once, and a second run queues nothing", "[e2e][backfill]") {
    Simulator sim({"--users", "1", "--days", "5", "--seed", "13"});
    TestDatabase db;
    Platform p(sim, db);
    p.register_users();  // OURA_INITIAL_BACKFILL_DAYS=0 here: users add queued nothing
    REQUIRE(p.count("SELECT count(*) FROM oura.backfills") == 0);
    auto env = p.env;
    env["OURA_INITIAL_BACKFILL_DAYS"] = "30";
    for (int run = 0; run < 2; ++run) {
        auto r = oura::test::run_binary("poller", {"--days", "2", "--resources", "daily_activity"}, env);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    CHECK(p.count("SELECT count(*) FROM oura.backfills WHERE requested_by = 'initial' AND initial_for_user IS NOT NULL") == 1);
    CHECK(p.count("SELECT to_day - from_day + 1 FROM oura.backfills") == 30);
    CHECK(p.count("SELECT count(*) FROM oura.users WHERE initial_backfill_at IS NULL") == 0);
}
