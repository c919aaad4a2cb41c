#pragma once
// HTTP messages as plain values. Beast stays inside this library's .cpp files so that the rest of
// the code base (and its compile times) never sees it.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oura::http {

// Header fields in arrival order; names compare case-insensitively.
class Headers {
public:
    void set(std::string_view name, std::string_view value);  // replaces every field of that name
    void add(std::string_view name, std::string_view value);
    std::optional<std::string_view> get(std::string_view name) const;
    const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

private:
    std::vector<std::pair<std::string, std::string>> fields_;
};

struct Request {
    std::string method;   // "GET", "POST", …
    std::string target;   // path and query as received, e.g. "/v2/usercollection/sleep?start_date=…"
    Headers headers;
    std::string body;     // raw bytes, exactly as received (webhook signatures are over these)
    std::string remote;   // peer address
    std::chrono::steady_clock::time_point received{};  // when the whole request was read (request metrics)

    std::string_view path() const;                              // target without the query
    std::optional<std::string> query(std::string_view key) const;  // first value, percent-decoded
    std::vector<std::pair<std::string, std::string>> query_params() const;
};

// What the simulator may do to a response to imitate a misbehaving server.
enum class Fault {
    none,
    reset,     // close the connection with a TCP reset instead of answering
    truncate,  // send the headers with the full Content-Length but only half of the body, then close
};

// Where a streamed response body goes (Server-Sent Events, exports). The producer runs on a thread
// of its own and may block; each write waits until the chunk is on its way to the client, so a slow
// client slows the producer down instead of growing memory.
class StreamSink {
public:
    virtual ~StreamSink() = default;
    // Sends one chunk (empty chunks are skipped). False once the client is gone or a write timed
    // out: the producer should return then.
    virtual bool write(std::string_view chunk) = 0;
    // False once the server drains for shutdown or the client is gone: long-lived streams (SSE)
    // must check it at least every second or so and return.
    virtual bool open() const = 0;
};
using StreamProducer = std::function<void(StreamSink&)>;

struct Response {
    int status = 200;
    Headers headers;
    std::string body;
    std::chrono::milliseconds delay{0};  // wait this long before answering (does not block a thread)
    Fault fault = Fault::none;
    bool close = false;  // close the connection after this response
    // When set, `body` is ignored: the headers go out with chunked transfer encoding, then the
    // producer writes the body; the connection closes when it returns.
    StreamProducer stream;
};

Response json_response(int status, std::string body);
Response text_response(int status, std::string body, std::string_view content_type = "text/plain; charset=utf-8");

std::string percent_decode(std::string_view s, bool plus_is_space = true);
std::string percent_encode(std::string_view s);  // RFC 3986 unreserved characters stay as they are
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);  // also for form bodies
std::string build_query(const std::vector<std::pair<std::string, std::string>>& params);

// The standard reason phrase, for logs and bodies.
std::string_view reason(int status);

}  // namespace oura::http
