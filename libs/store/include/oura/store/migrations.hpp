#pragma once
// Forward-only schema migrations: migrations/NNNN_verb_noun.sql, embedded in the binaries at build
// time, applied in name order, each in its own transaction, recorded with a SHA-256 checksum in
// oura_meta.schema_migrations. An advisory lock keeps two runners from racing.

#include <pqxx/pqxx>

#include <chrono>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace oura::store {

struct Migration {
    std::string name;      // file name, e.g. "0001_create_schemas_and_roles.sql"
    std::string sql;
    std::string checksum;  // SHA-256 hex of the file's bytes
};

// Refused to migrate: an applied file was edited, the database knows a migration these files do
// not, or a migration failed. The message names the file.
class migration_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

Migration make_migration(std::string name, std::string sql);
std::vector<Migration> embedded_migrations();  // the files this build was made with
// Every NNNN_*.sql in `dir`, sorted by name; throws migration_error for a badly named .sql file.
std::vector<Migration> load_migrations(const std::filesystem::path& dir);

enum class MigrationState { applied, pending, modified, unknown };
std::string_view to_string(MigrationState state);

struct MigrationStatus {
    std::string name;
    MigrationState state;
    std::string applied_at;  // empty when pending
};

// Reads what is applied; does not change the database (no lock, no bookkeeping table created).
std::vector<MigrationStatus> migration_status(pqxx::connection& conn, const std::vector<Migration>& files);

// Applies every pending migration; returns the names applied (empty when up to date).
// `progress` is told each name before it runs. Throws migration_error.
std::vector<std::string> migrate(pqxx::connection& conn, const std::vector<Migration>& files,
                                 const std::function<void(const std::string&)>& progress = {});

// The newest applied migration's name, or empty (for /readyz: "migrations at the expected version").
std::string applied_version(pqxx::connection& conn);

// What /readyz reports: whether the database answers and has the migrations a binary needs.
struct SchemaReadiness {
    bool ready = false;
    std::string applied;   // newest applied migration; empty when none or unreachable
    std::string expected;  // newest migration the binary was built with
    std::string reason;    // why not ready (never holds a password); empty when ready
};

// Opens a fresh connection to `url` (giving up after `timeout`) and reads the newest applied
// migration. Ready when it is `expected` or a newer one: the upgrade hook migrates before new pods
// roll out, so pods of the previous release must stay ready meanwhile. Never throws.
SchemaReadiness schema_readiness(const std::string& url, const std::string& expected,
                                 std::chrono::seconds timeout = std::chrono::seconds(3));

}  // namespace oura::store
