// /openapi.json from the route table the app registers its routes with, so the two cannot differ.
#include <map>

#include "oura/core/json.hpp"
#include "query_api_internal.hpp"

namespace oura::query_api {

std::string openapi_json(const std::vector<RouteDoc>& routes) {
    std::map<std::string, std::vector<const RouteDoc*>> by_path;
    for (const auto& r : routes) by_path[r.path].push_back(&r);
    core::JsonWriter w;
    w.begin_object().field("openapi", "3.0.3");
    w.key("info").begin_object().field("title", "Oura platform query-api").field("version", "1").end_object();
    w.key("components").begin_object().key("securitySchemes").begin_object();
    w.key("bearer").begin_object().field("type", "http").field("scheme", "bearer").end_object();
    w.end_object().end_object();
    w.key("paths").begin_object();
    for (const auto& [path, list] : by_path) {
        w.key(path).begin_object();
        for (const auto* r : list) {
            std::string method = r->method;
            for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            w.key(method).begin_object().field("summary", r->summary);
            w.field("x-oura-role", r->role == service::Role::admin ? "admin" : r->role == service::Role::read ? "read" : "none");
            if (r->role != service::Role::none)
                w.key("security").begin_array().begin_object().key("bearer").begin_array().end_array().end_object().end_array();
            w.key("parameters").begin_array();
            for (std::size_t i = 0, at = 0; (at = path.find('{', i)) != std::string::npos; i = at + 1) {
                auto end = path.find('}', at);
                w.begin_object().field("name", path.substr(at + 1, end - at - 1)).field("in", "path").field("required", true);
                w.key("schema").begin_object().field("type", "string").end_object().end_object();
            }
            for (const auto& q : r->query) {
                w.begin_object().field("name", q).field("in", "query").field("required", false);
                w.key("schema").begin_object().field("type", "string").end_object().end_object();
            }
            w.end_array();
            w.key("responses").begin_object();
            w.key("200").begin_object().field("description", "OK").end_object();
            w.key("400").begin_object().field("description", "Bad input; the JSON error names the parameter").end_object();
            if (r->role != service::Role::none) {
                w.key("401").begin_object().field("description", "No valid token").end_object();
                w.key("403").begin_object().field("description", "The token's role may not use this route").end_object();
            }
            w.key("429").begin_object().field("description", "Rate limited; see Retry-After").end_object();
            w.end_object();
            w.end_object();
        }
        w.end_object();
    }
    w.end_object().end_object();
    return w.take();
}

}  // namespace oura::query_api
