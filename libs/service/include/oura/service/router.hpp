#pragma once
// Maps a request to the handler of its route. Pure: no sockets, no threads, testable as a value.
// A pattern is a path of literal segments and "{name}" segments (one segment each), e.g.
// "/api/users/{id}/sleep". The matched pattern, not the raw path, names the route in metrics.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "oura/http/message.hpp"

namespace oura::service {

using PathParams = std::map<std::string, std::string, std::less<>>;
using RouteHandler = std::function<http::Response(const http::Request&, const PathParams&)>;

// The route label of requests no pattern matched (404): one series for every unknown path.
inline constexpr std::string_view unmatched_route = "unmatched";

struct Routed {
    http::Response response;
    std::string route;  // the matched pattern, or unmatched_route
    std::string error;  // what the handler threw (for the log; the client sees a plain 500)
};

class Router {
public:
    // Throws std::invalid_argument for a pattern not starting with '/' or with a malformed "{…}".
    void add(std::string_view method, std::string pattern, RouteHandler handler);
    // The first route whose pattern and method match answers; a path matched only under other
    // methods is a 405 with Allow; anything else a 404. Never throws: a handler's exception is a 500.
    Routed dispatch(const http::Request& request) const;

private:
    struct Route {
        std::string method;
        std::string pattern;
        std::vector<std::string> segments;  // "{name}" marks a parameter
        RouteHandler handler;
    };
    std::vector<Route> routes_;
};

}  // namespace oura::service
