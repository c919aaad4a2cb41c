#pragma once
// Pieces of query-api shared by its source files (not a public header).

#include <string>
#include <string_view>
#include <vector>

#include "oura/service/auth.hpp"
#include "oura/store/read_api.hpp"

namespace oura::query_api {

// One documented route: what /openapi.json lists and what the app registers, from one table.
struct RouteDoc {
    std::string method, path, summary;
    service::Role role = service::Role::none;  // none: no token needed
    std::vector<std::string> query;            // query parameters
};

std::string openapi_json(const std::vector<RouteDoc>& routes);

struct StatusThresholds {
    double late_after_seconds = 7200;
    double stale_after_seconds = 93600;
};
// The whole /status page, with the pipeline's state and the newest changes. No secrets: the
// snapshot holds none.
std::string status_page(const store::PipelineSnapshot& snapshot, const std::vector<store::ChangeEvent>& recent,
                        const StatusThresholds& thresholds);
// The login form of /status (a read token becomes an HttpOnly cookie; never a URL parameter).
std::string login_page(bool failed);
// The page's live part alone (/status?fragment=1), which the page swaps in after a change.
std::string status_content(const store::PipelineSnapshot& snapshot, const StatusThresholds& thresholds);

}  // namespace oura::query_api
