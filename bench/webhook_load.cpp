// Load generator for bench/webhook_bench.sh: N keep-alive connections, each a thread sending signed
// Oura deliveries (a fresh object id each, signed at send time) back to back for D seconds, then
// prints deliveries/s and the latency percentiles of the 2xx answers. Plain sockets and OpenSSL's
// HMAC so the generator costs little of the CPU it shares with the service under test.
// Usage: webhook_load HOST PORT CONNECTIONS SECONDS SECRET OURA_USER_ID
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/hmac.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string hmac_hex(const std::string& key, const std::string& msg) {
    unsigned char out[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(msg.data()),
         msg.size(), out, &len);
    static const char* hex = "0123456789ABCDEF";
    std::string s;
    for (unsigned i = 0; i < len; ++i) {
        s.push_back(hex[out[i] >> 4]);
        s.push_back(hex[out[i] & 15]);
    }
    return s;
}

int connect_to(const char* host, int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, host, &a.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Reads one HTTP response (Content-Length bodies only); returns its status, -1 on a broken connection.
int read_response(int fd, std::string& buf) {
    for (;;) {
        auto end = buf.find("\r\n\r\n");
        if (end != std::string::npos) {
            int status = std::atoi(buf.c_str() + 9);
            std::size_t length = 0;
            auto cl = buf.find("Content-Length:");
            if (cl == std::string::npos) cl = buf.find("content-length:");
            if (cl != std::string::npos && cl < end) length = std::strtoul(buf.c_str() + cl + 15, nullptr, 10);
            if (buf.size() >= end + 4 + length) {
                buf.erase(0, end + 4 + length);
                return status;
            }
        }
        char tmp[4096];
        auto n = ::read(fd, tmp, sizeof tmp);
        if (n <= 0) return -1;
        buf.append(tmp, static_cast<std::size_t>(n));
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 7) {
        std::fprintf(stderr, "usage: webhook_load HOST PORT CONNECTIONS SECONDS SECRET OURA_USER_ID\n");
        return 2;
    }
    const char* host = argv[1];
    int port = std::atoi(argv[2]), connections = std::atoi(argv[3]);
    double seconds = std::atof(argv[4]);
    std::string secret = argv[5], user = argv[6];
    std::atomic<long long> ok{0}, other{0};
    std::mutex mutex;
    std::vector<double> latencies;
    auto start = std::chrono::steady_clock::now();
    auto until = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
    std::vector<std::thread> threads;
    for (int t = 0; t < connections; ++t)
        threads.emplace_back([&, t] {
            std::vector<double> mine;
            mine.reserve(200000);
            int fd = connect_to(host, port);
            std::string buf;
            for (long long i = 0; fd >= 0 && std::chrono::steady_clock::now() < until; ++i) {
                std::string body = R"({"event_type":"create","data_type":"sleep","object_id":"bench-)" + std::to_string(t) +
                                   "-" + std::to_string(i) + R"(","event_time":"2026-01-01T00:00:00+00:00","user_id":")" +
                                   user + "\"}";
                auto ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
                std::string req = "POST /webhook/oura HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                                  "x-oura-timestamp: " + ts + "\r\nx-oura-signature: " + hmac_hex(secret, ts + body) +
                                  "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
                auto sent = std::chrono::steady_clock::now();
                if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) break;
                int status = read_response(fd, buf);
                if (status < 0) break;
                if (status >= 200 && status < 300) {
                    ++ok;
                    mine.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - sent).count());
                } else {
                    ++other;
                }
            }
            if (fd >= 0) ::close(fd);
            std::lock_guard lock(mutex);
            latencies.insert(latencies.end(), mine.begin(), mine.end());
        });
    for (auto& th : threads) th.join();
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::sort(latencies.begin(), latencies.end());
    auto pct = [&](double p) {
        return latencies.empty() ? 0.0 : latencies[std::min(latencies.size() - 1, static_cast<std::size_t>(p * latencies.size()))];
    };
    std::printf("deliveries_ok=%lld other=%lld seconds=%.2f per_second=%.0f p50_ms=%.2f p99_ms=%.2f\n", ok.load(),
                other.load(), elapsed, ok.load() / elapsed, pct(0.50), pct(0.99));
    return 0;
}
