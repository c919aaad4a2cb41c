#include "listener.hpp"

#include <thread>

#include "oura/store/database.hpp"

namespace oura::store {

struct Listener::Receiver final : pqxx::notification_receiver {
    Receiver(pqxx::connection& conn, Listener& owner) : pqxx::notification_receiver(conn, owner.channel_), owner(owner) {}
    void operator()(const std::string& payload, int) override {
        if (!owner.wanted_ || owner.wanted_(payload)) owner.woke_ = true;
    }
    Listener& owner;
};

Listener::Listener(std::string url, std::string channel, std::function<bool(const std::string&)> wanted)
    : url_(std::move(url)), channel_(std::move(channel)), wanted_(std::move(wanted)) {}

Listener::~Listener() { close(); }

void Listener::open() {
    conn_ = connect(url_);
    // libpqxx sends LISTEN as the receiver registers, so announcements from here on are kept.
    receiver_ = std::make_unique<Receiver>(*conn_, *this);
}

void Listener::close() {
    receiver_.reset();
    conn_.reset();
}

bool Listener::wait(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    if (!conn_) {
        try {
            open();
        } catch (const std::exception&) {
            // The database is away: wait out the timeout rather than spin on reconnects.
            close();
            std::this_thread::sleep_until(deadline);
            return false;
        }
        // Whatever was announced while the connection was down is lost: look now.
        return true;
    }
    for (;;) {
        if (woke_) {
            woke_ = false;
            return true;
        }
        auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        try {
            conn_->await_notification(static_cast<long>(left.count() / 1000000), static_cast<long>(left.count() % 1000000));
        } catch (const pqxx::failure&) {
            // A lost connection may have swallowed announcements: look now, reconnect next time.
            close();
            return true;
        }
    }
}

}  // namespace oura::store
