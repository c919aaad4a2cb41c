#pragma once
// Small cryptographic primitives on OpenSSL 3.0.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace oura::core {

std::string sha256_hex(std::string_view data);     // lower-case hex
std::string sha256_raw(std::string_view data);     // 32 raw bytes
std::string hmac_sha256_hex(std::string_view key, std::string_view message);  // lower-case hex
std::string to_hex(std::string_view bytes, bool upper = false);

// Compares in time independent of where the inputs differ (length differences still return early,
// which reveals only the length).
bool constant_time_equal(std::string_view a, std::string_view b);

// `n` cryptographically random bytes; throws std::runtime_error if the RNG fails.
std::string random_bytes(std::size_t n);
// URL-safe base64 without padding (RFC 4648 §5), as PKCE and OAuth state use.
std::string base64url(std::string_view bytes);

}  // namespace oura::core

namespace oura::core {

// AES-256-GCM for secrets at rest (OAuth tokens). The blob is nonce(12) ‖ ciphertext ‖ tag(16);
// `aad` binds it to its place (user id, column, key version) so a blob copied elsewhere fails.
std::string aes256gcm_encrypt(std::string_view key32, std::string_view plaintext, std::string_view aad);
// Throws std::runtime_error when the key, the AAD or any byte of the blob is wrong.
std::string aes256gcm_decrypt(std::string_view key32, std::string_view blob, std::string_view aad);

// A 32-byte key from 64 hex digits or standard/URL-safe base64; nullopt when it is neither.
std::optional<std::string> decode_key32(std::string_view text);

// Versioned keys "VERSION:KEY" separated by commas, spaces or newlines ("2:<base64>,1:<hex>"):
// version (1..1000000) → 32 raw bytes. Throws config_error naming `variable` and the entry
// (by position and version, never by key text) when an entry is malformed, a version repeats or
// the text holds no entry.
std::map<int, std::string> parse_versioned_keys(std::string_view text, std::string_view variable);

}  // namespace oura::core
