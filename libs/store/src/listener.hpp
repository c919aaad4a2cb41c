#pragma once
// The one LISTEN loop of the store: a connection of its own that LISTENs on a channel, and a wait
// that returns as soon as a wanted announcement came (JobWaiter, ChangeWaiter).

#include <pqxx/pqxx>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace oura::store {

class Listener {
public:
    // `wanted` (may be empty: every announcement) judges each payload.
    Listener(std::string url, std::string channel, std::function<bool(const std::string&)> wanted = {});
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    // Connects and LISTENs; throws database_unavailable when the database cannot be reached.
    void open();
    // True as soon as a wanted announcement came (also one since the last wait), or when the
    // connection was (re)opened or lost (announcements may have been missed: the caller treats it
    // as one); false after `timeout` without one. Never throws: while the database is away it
    // waits out the timeout and reconnects on the next call.
    bool wait(std::chrono::milliseconds timeout);

private:
    struct Receiver;
    void close();

    std::string url_, channel_;
    std::function<bool(const std::string&)> wanted_;
    std::unique_ptr<pqxx::connection> conn_;
    std::unique_ptr<Receiver> receiver_;  // destroyed before the connection it is registered with
    bool woke_ = false;
};

}  // namespace oura::store
