#include "oura/store/migrations.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "oura/core/crypto.hpp"
#include "oura/store/database.hpp"

namespace oura::store {
namespace {

// "oura" in ASCII: the key every migration runner locks.
constexpr long long migration_lock_key = 0x6f757261;

constexpr auto create_bookkeeping = R"sql(
    CREATE SCHEMA IF NOT EXISTS oura_meta;
    CREATE TABLE IF NOT EXISTS oura_meta.schema_migrations (
        name        text PRIMARY KEY,
        checksum    text NOT NULL,
        applied_at  timestamptz NOT NULL DEFAULT now(),
        duration_ms integer NOT NULL
    );
)sql";

constexpr auto bookkeeping_exists = R"sql(SELECT to_regclass('oura_meta.schema_migrations') IS NOT NULL)sql";

constexpr auto select_applied = R"sql(
    SELECT name, checksum, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
      FROM oura_meta.schema_migrations ORDER BY name
)sql";

constexpr auto insert_applied = R"sql(
    INSERT INTO oura_meta.schema_migrations (name, checksum, duration_ms) VALUES ($1, $2, $3)
)sql";

struct Applied {
    std::string checksum;
    std::string applied_at;
};

std::map<std::string, Applied> read_applied(pqxx::connection& conn) {
    std::map<std::string, Applied> out;
    pqxx::nontransaction tx(conn);
    if (!tx.exec1(bookkeeping_exists)[0].as<bool>()) return out;
    for (const auto& row : tx.exec(select_applied))
        out[row[0].as<std::string>()] = {row[1].as<std::string>(), row[2].as<std::string>()};
    return out;
}

void check_consistent(const std::map<std::string, Applied>& applied, const std::vector<Migration>& files) {
    std::map<std::string, const Migration*> by_name;
    for (const auto& m : files) by_name[m.name] = &m;
    for (const auto& [name, a] : applied) {
        auto it = by_name.find(name);
        if (it == by_name.end())
            throw migration_error("the database has migration " + name +
                                  " which this build does not know: it was migrated by a newer version");
        if (it->second->checksum != a.checksum)
            throw migration_error("migration " + name + " was edited after it was applied (checksum " +
                                  a.checksum.substr(0, 12) + "… in the database, " +
                                  it->second->checksum.substr(0, 12) +
                                  "… in the file); migrations are forward-only: restore the file and add a new one");
    }
}

}  // namespace

Migration make_migration(std::string name, std::string sql) {
    auto checksum = core::sha256_hex(sql);
    return Migration{std::move(name), std::move(sql), std::move(checksum)};
}

// NNNN_verb_noun.sql: four digits, an underscore, lower-case words.
static bool well_named(std::string_view name) {
    if (name.size() < 10 || name.substr(name.size() - 4) != ".sql" || name[4] != '_') return false;
    for (std::size_t i = 0; i < 4; ++i)
        if (name[i] < '0' || name[i] > '9') return false;
    for (char c : name.substr(5, name.size() - 9))
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

std::vector<Migration> load_migrations(const std::filesystem::path& dir) {
    std::vector<Migration> out;
    std::error_code ec;
    std::filesystem::directory_iterator it(dir, ec);
    if (ec) throw migration_error("cannot read migrations directory " + dir.string() + ": " + ec.message());
    for (const auto& entry : it) {
        auto name = entry.path().filename().string();
        if (entry.path().extension() != ".sql") continue;
        if (!well_named(name))
            throw migration_error("migration file " + name + " is not named NNNN_verb_noun.sql");
        std::ifstream in(entry.path(), std::ios::binary);
        std::ostringstream content;
        content << in.rdbuf();
        out.push_back(make_migration(name, content.str()));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

std::string_view to_string(MigrationState state) {
    switch (state) {
        case MigrationState::applied: return "applied";
        case MigrationState::pending: return "pending";
        case MigrationState::modified: return "MODIFIED";
        case MigrationState::unknown: return "UNKNOWN";
    }
    return "?";
}

std::vector<MigrationStatus> migration_status(pqxx::connection& conn, const std::vector<Migration>& files) {
    auto applied = read_applied(conn);
    std::vector<MigrationStatus> out;
    for (const auto& m : files) {
        auto it = applied.find(m.name);
        if (it == applied.end()) {
            out.push_back({m.name, MigrationState::pending, ""});
        } else {
            auto state = it->second.checksum == m.checksum ? MigrationState::applied : MigrationState::modified;
            out.push_back({m.name, state, it->second.applied_at});
            applied.erase(it);
        }
    }
    for (const auto& [name, a] : applied) out.push_back({name, MigrationState::unknown, a.applied_at});
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

std::vector<std::string> migrate(pqxx::connection& conn, const std::vector<Migration>& files,
                                 const std::function<void(const std::string&)>& progress) {
    {
        pqxx::nontransaction tx(conn);
        // Session-level: a second runner waits here until the first is done, then finds nothing to do.
        tx.exec_params("SELECT pg_advisory_lock($1)", migration_lock_key);
    }
    struct Unlock {
        pqxx::connection& conn;
        ~Unlock() {
            try {
                pqxx::nontransaction tx(conn);
                tx.exec_params("SELECT pg_advisory_unlock($1)", migration_lock_key);
            } catch (...) {
                // The lock ends with the session anyway.
            }
        }
    } unlock{conn};

    {
        pqxx::work tx(conn);
        tx.exec(create_bookkeeping);
        tx.commit();
    }
    auto applied = read_applied(conn);
    check_consistent(applied, files);

    std::vector<std::string> done;
    for (const auto& m : files) {
        if (applied.count(m.name)) continue;
        if (progress) progress(m.name);
        auto start = std::chrono::steady_clock::now();
        try {
            pqxx::work tx(conn);
            tx.exec(m.sql);
            auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
            tx.exec_params(insert_applied, m.name, m.checksum, static_cast<int>(ms.count()));
            tx.commit();
        } catch (const pqxx::broken_connection&) {
            throw;
        } catch (const std::exception& e) {
            std::string what = e.what();
            while (!what.empty() && what.back() == '\n') what.pop_back();
            throw migration_error("migration " + m.name + " failed and was rolled back: " + what);
        }
        done.push_back(m.name);
    }
    return done;
}

std::string applied_version(pqxx::connection& conn) {
    auto applied = read_applied(conn);
    return applied.empty() ? std::string() : applied.rbegin()->first;
}

namespace {
// libpq takes connect_timeout in a URI's query or as a key=value pair; a probe must not hang on a
// black-holed address for the OS's minutes-long TCP timeout.
std::string with_connect_timeout(const std::string& url, std::chrono::seconds timeout) {
    auto seconds = std::to_string(std::max<long long>(1, timeout.count()));
    if (url.find("://") == std::string::npos) return url + " connect_timeout=" + seconds;
    return url + (url.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=" + seconds;
}
}  // namespace

SchemaReadiness schema_readiness(const std::string& url, const std::string& expected, std::chrono::seconds timeout) {
    SchemaReadiness out;
    out.expected = expected;
    try {
        auto conn = connect(with_connect_timeout(url, timeout));
        out.applied = applied_version(*conn);
    } catch (const database_unavailable& e) {
        out.reason = std::string("database unreachable: ") + e.what();
        return out;
    } catch (const std::exception& e) {
        out.reason = std::string("cannot read the schema version: ") + e.what();
        return out;
    }
    if (out.applied.empty()) {
        out.reason = "the database has no migrations applied; run oura-migrate";
    } else if (out.applied < expected) {
        out.reason = "the schema is at " + out.applied + ", this binary needs " + expected + "; run oura-migrate";
    } else {
        out.ready = true;
    }
    return out;
}

}  // namespace oura::store
