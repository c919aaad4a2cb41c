#include "oura/service/router.hpp"

#include <stdexcept>

#include "oura/core/json.hpp"

namespace oura::service {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t pos = 1;  // past the leading '/'
    while (pos <= path.size()) {
        auto end = path.find('/', pos);
        if (end == std::string_view::npos) end = path.size();
        out.push_back(path.substr(pos, end - pos));
        pos = end + 1;
    }
    return out;
}

bool is_param(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::add(std::string_view method, std::string pattern, RouteHandler handler) {
    if (pattern.empty() || pattern.front() != '/') throw std::invalid_argument("route pattern must start with '/': " + pattern);
    Route route{std::string(method), pattern, {}, std::move(handler)};
    for (auto segment : split_path(pattern)) {
        bool has_brace = segment.find_first_of("{}") != std::string_view::npos;
        if (has_brace && !is_param(segment)) throw std::invalid_argument("malformed route parameter in " + pattern);
        route.segments.emplace_back(segment);
    }
    routes_.push_back(std::move(route));
}

Routed Router::dispatch(const http::Request& request) const {
    auto segments = split_path(request.path());
    std::string allow;
    const Route* path_match = nullptr;
    for (const auto& route : routes_) {
        if (route.segments.size() != segments.size()) continue;
        PathParams params;
        bool matches = true;
        for (std::size_t i = 0; i < segments.size() && matches; ++i) {
            const auto& want = route.segments[i];
            if (is_param(want)) {
                if (segments[i].empty()) matches = false;
                else params[want.substr(1, want.size() - 2)] = http::percent_decode(segments[i], false);
            } else {
                matches = want == segments[i];
            }
        }
        if (!matches) continue;
        if (route.method != request.method) {
            if (!path_match) path_match = &route;
            if (allow.find(route.method) == std::string::npos) allow += (allow.empty() ? "" : ", ") + route.method;
            continue;
        }
        Routed out;
        out.route = route.pattern;
        try {
            out.response = route.handler(request, params);
        } catch (const std::exception& e) {
            out.error = e.what();
            out.response = http::json_response(500, core::error_body("internal error"));
        } catch (...) {
            out.error = "unknown exception";
            out.response = http::json_response(500, core::error_body("internal error"));
        }
        return out;
    }
    Routed out;
    if (path_match) {
        out.route = path_match->pattern;
        out.response = http::json_response(405, core::error_body("method not allowed"));
        out.response.headers.set("Allow", allow);
    } else {
        out.route = std::string(unmatched_route);
        out.response = http::json_response(404, core::error_body("not found"));
    }
    return out;
}

}  // namespace oura::service
