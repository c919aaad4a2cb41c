#pragma once
// A request budget shared beyond this process: Oura limits requests per application (5000 per 5
// minutes), so N worker replicas must draw from one budget instead of each assuming the whole
// limit. The client asks it before every HTTP request to the data API and tells it about every
// 429, so one replica's 429 pauses all of them. libs/sync provides the PostgreSQL implementation;
// this header keeps the client free of any database.

#include <chrono>

namespace oura::api {

class RequestBudget {
public:
    virtual ~RequestBudget() = default;
    // Returns once one request may go out (blocking while the budget is empty or paused). Throws
    // api_error(rate_limited) with retry_after when the wait would be longer than `max_wait`.
    // Must be thread-safe.
    virtual void acquire(std::chrono::milliseconds max_wait) = 0;
    // Oura answered 429: no request of any sharer goes out before `until`.
    virtual void on_rate_limited(std::chrono::system_clock::time_point until) = 0;
};

}  // namespace oura::api
