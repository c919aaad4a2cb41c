#pragma once
// Collections Oura publishes that the catalog does not know yet (DESIGN §4: Oura adds resources
// between spec versions): found in Oura's OpenAPI document, fetched like any collection, and kept
// raw in oura_documents, never dropped.

#include <string>
#include <vector>

#include "oura/api/catalog.hpp"
#include "oura/api/client.hpp"
#include "oura/core/log.hpp"
#include "oura/store/documents.hpp"

namespace oura::sync {

// The collections of Oura's OpenAPI document that the catalog does not know, ready for
// Syncer::sync_window (stored as documents, never as a time series). Never throws: a document
// that cannot be fetched or read is logged and yields none, so discovery never fails a run.
std::vector<api::Resource> discover_collections(api::OuraClient& client, const core::Logger& log);

// How to store a page of `resource`: the catalog's fields for a known collection; for a
// discovered one, the first of the usual field names (day, start_day; bedtime_start,
// start_datetime, start_time, timestamp; bedtime_end, end_datetime, end_time) that a document of
// the page carries as a string, and documents without an "id" keyed by their hash.
store::DocumentShape shape_for(const api::Resource& resource, const std::vector<std::string>& documents);

}  // namespace oura::sync
