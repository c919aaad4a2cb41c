#pragma once
// What every test with a database or a process needs: the run's private PostgreSQL cluster
// (started once per ctest run by the pg fixture), a fresh database per test cloned from the
// migrated template, and the paths of the binaries under test.

#include <pqxx/pqxx>

#include <string>

namespace oura::test {

// libpq URI of database `name` in the run's cluster; throws with a clear message when the cluster
// fixture is not running (run the tests through ctest).
std::string cluster_url(const std::string& name = "postgres");

// A database for one test, dropped at the end. `migrated` clones the template that has the whole
// schema (tens of milliseconds); otherwise it is empty.
class TestDatabase {
public:
    explicit TestDatabase(bool migrated = true);
    ~TestDatabase();
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;

    // As the superuser that owns the cluster: for setting up and inspecting.
    const std::string& url() const { return url_; }
    // As `oura_test_writer`, a login role whose only privileges come from membership in
    // oura_writer: what the services connect as in production. Write paths under test use this.
    std::string writer_url() const;
    // As `oura_test_sql`, a login member of oura_sql only: what query-api's SQL pool connects as.
    std::string sql_url() const;
    const std::string& name() const { return name_; }
    pqxx::connection connect() const { return pqxx::connection(url_); }
    // One value from one query, as text ("" for NULL): for terse assertions.
    std::string scalar(const std::string& sql) const;
    // The database goes away for its clients: new connections are refused and every open one is
    // cut. allow_connections() brings it back.
    void refuse_connections() const;
    void allow_connections() const;

private:
    std::string name_, url_;
};

// Path of a binary this build produced (bin/<name>).
std::string binary(const std::string& name);
// Path inside the source tree.
std::string source_path(const std::string& relative);

}  // namespace oura::test
