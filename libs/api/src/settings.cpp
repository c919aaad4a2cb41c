#include "oura/api/settings.hpp"

namespace oura::api {

ApiOptions options_from_env(const core::Env& env, bool require_client) {
    ApiOptions o;
    o.api_base_url = env.get_url("OURA_API_BASE_URL", "https://api.ouraring.com");
    o.auth_base_url = env.get_url("OURA_AUTH_BASE_URL", "https://cloud.ouraring.com");
    while (!o.api_base_url.empty() && o.api_base_url.back() == '/') o.api_base_url.pop_back();
    while (!o.auth_base_url.empty() && o.auth_base_url.back() == '/') o.auth_base_url.pop_back();
    o.token_url = o.api_base_url + "/oauth/token";
    o.openapi_url = env.get_url("OURA_OPENAPI_URL", "");
    o.client_id = require_client ? env.require("OURA_CLIENT_ID") : env.get_or("OURA_CLIENT_ID", "");
    o.client_secret = require_client ? env.require("OURA_CLIENT_SECRET") : env.get_or("OURA_CLIENT_SECRET", "");
    o.http.ca_file = env.get_readable_file("OURA_CA_FILE");
    o.http.read_timeout = env.get_duration("OURA_HTTP_TIMEOUT", o.http.read_timeout);
    return o;
}

}  // namespace oura::api
