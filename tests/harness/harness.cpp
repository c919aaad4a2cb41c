#include "harness.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace oura::test {
namespace {

std::string state_value(const std::string& key) {
    const char* state = std::getenv("OURA_TEST_PG_STATE");
    if (!state) throw std::runtime_error("OURA_TEST_PG_STATE is not set: run the tests through ctest (the pg fixture starts the cluster)");
    std::ifstream in(state);
    if (!in) throw std::runtime_error(std::string("no test cluster: ") + state + " is missing (did the pg.start fixture fail?)");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
    throw std::runtime_error(key + " missing from " + state);
}

std::string unique_name() {
    static std::atomic<int> counter{0};
    return "t_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

}  // namespace

std::string cluster_url(const std::string& name) {
    return "postgresql://postgres@127.0.0.1:" + state_value("PGPORT") + "/" + name;
}

TestDatabase::TestDatabase(bool migrated) : name_(unique_name()), url_(cluster_url(name_)) {
    pqxx::connection admin(cluster_url());
    pqxx::nontransaction tx(admin);
    tx.exec("CREATE DATABASE " + tx.quote_name(name_) + (migrated ? " TEMPLATE oura_template" : ""));
    // CREATE DATABASE … TEMPLATE copies objects but not database-level privileges (CONNECT, TEMP),
    // which oura-migrate granted on the template: copy them so a clone grants what a database
    // migrated by oura-migrate grants, no more (a NULL acl would give PUBLIC TEMP) and no less.
    if (migrated)
        tx.exec_params("UPDATE pg_database SET datacl = (SELECT datacl FROM pg_database WHERE datname = 'oura_template') "
                       "WHERE datname = $1",
                       name_);
}

std::string TestDatabase::writer_url() const {
    auto url = url_;
    return url.replace(url.find("postgres@"), 8, "oura_test_writer");
}

std::string TestDatabase::sql_url() const {
    auto url = url_;
    return url.replace(url.find("postgres@"), 8, "oura_test_sql");
}

TestDatabase::~TestDatabase() {
    try {
        pqxx::connection admin(cluster_url());
        pqxx::nontransaction tx(admin);
        tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
    } catch (...) {
        // The whole cluster is thrown away at the end of the run.
    }
}

std::string TestDatabase::scalar(const std::string& sql) const {
    pqxx::connection c(url_);
    pqxx::nontransaction tx(c);
    auto r = tx.exec1(sql);
    return r[0].is_null() ? std::string() : r[0].as<std::string>();
}

void TestDatabase::refuse_connections() const {
    pqxx::connection admin(cluster_url());
    pqxx::nontransaction tx(admin);
    tx.exec("ALTER DATABASE " + tx.quote_name(name_) + " WITH ALLOW_CONNECTIONS false");
    tx.exec_params("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                   name_);
}

void TestDatabase::allow_connections() const {
    pqxx::connection admin(cluster_url());
    pqxx::nontransaction tx(admin);
    tx.exec("ALTER DATABASE " + tx.quote_name(name_) + " WITH ALLOW_CONNECTIONS true");
}

std::string binary(const std::string& name) {
    const char* dir = std::getenv("OURA_TEST_BIN_DIR");
    return std::string(dir ? dir : OURA_TEST_DEFAULT_BIN_DIR) + "/" + name;
}

std::string source_path(const std::string& relative) { return std::string(OURA_SOURCE_DIR) + "/" + relative; }

}  // namespace oura::test
