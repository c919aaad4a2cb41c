#pragma once
// The Oura client's settings from the environment (DESIGN §7 names), shared by every binary that
// talks to Oura.

#include "oura/api/client.hpp"
#include "oura/core/config.hpp"

namespace oura::api {

// OURA_API_BASE_URL, OURA_AUTH_BASE_URL, OURA_CLIENT_ID, OURA_CLIENT_SECRET (each may be _FILE),
// OURA_CA_FILE (extra trust anchors), OURA_HTTP_TIMEOUT, OURA_OPENAPI_URL (where discovery reads
// Oura's OpenAPI document). `require_client` makes the client
// credentials mandatory (whatever refreshes tokens needs them). Throws core::config_error.
ApiOptions options_from_env(const core::Env& env, bool require_client);

}  // namespace oura::api
