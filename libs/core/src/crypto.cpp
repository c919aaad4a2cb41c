#include "oura/core/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

#include "oura/core/config.hpp"
#include "oura/core/text.hpp"

namespace oura::core {

std::string to_hex(std::string_view bytes, bool upper) {
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 0xf]);
    }
    return out;
}

std::string sha256_raw(std::string_view data) {
    std::string out(32, '\0');
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
    return out;
}

std::string sha256_hex(std::string_view data) { return to_hex(sha256_raw(data)); }

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
              message.size(), mac, &len))
        throw std::runtime_error("HMAC-SHA256 failed");
    return to_hex(std::string_view(reinterpret_cast<const char*>(mac), len));
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
        throw std::runtime_error("random number generator failed");
    return out;
}

std::string base64url(std::string_view bytes) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(bytes[k])); };
    for (; i + 3 <= bytes.size(); i += 3) {
        unsigned v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        for (int s = 18; s >= 0; s -= 6) out.push_back(alphabet[(v >> s) & 63]);
    }
    if (bytes.size() - i == 1) {
        unsigned v = byte(i) << 16;
        out.push_back(alphabet[(v >> 18) & 63]);
        out.push_back(alphabet[(v >> 12) & 63]);
    } else if (bytes.size() - i == 2) {
        unsigned v = byte(i) << 16 | byte(i + 1) << 8;
        out.push_back(alphabet[(v >> 18) & 63]);
        out.push_back(alphabet[(v >> 12) & 63]);
        out.push_back(alphabet[(v >> 6) & 63]);
    }
    return out;
}

}  // namespace oura::core

namespace oura::core {
namespace {
constexpr std::size_t gcm_nonce = 12;
constexpr std::size_t gcm_tag = 16;

struct CipherCtx {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    ~CipherCtx() { EVP_CIPHER_CTX_free(ctx); }
};

const unsigned char* u8(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
}  // namespace

std::string aes256gcm_encrypt(std::string_view key, std::string_view plaintext, std::string_view aad) {
    if (key.size() != 32) throw std::invalid_argument("AES-256-GCM needs a 32-byte key");
    std::string nonce = random_bytes(gcm_nonce);
    std::string out = nonce;
    out.resize(gcm_nonce + plaintext.size() + gcm_tag);
    auto* cipher = reinterpret_cast<unsigned char*>(out.data()) + gcm_nonce;
    CipherCtx c;
    int len = 0;
    if (!c.ctx || EVP_EncryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, u8(key), u8(nonce)) != 1 ||
        EVP_EncryptUpdate(c.ctx, nullptr, &len, u8(aad), static_cast<int>(aad.size())) != 1 ||
        EVP_EncryptUpdate(c.ctx, cipher, &len, u8(plaintext), static_cast<int>(plaintext.size())) != 1 ||
        EVP_EncryptFinal_ex(c.ctx, cipher + len, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_GET_TAG, gcm_tag, cipher + plaintext.size()) != 1)
        throw std::runtime_error("AES-256-GCM encryption failed");
    return out;
}

std::string aes256gcm_decrypt(std::string_view key, std::string_view blob, std::string_view aad) {
    if (key.size() != 32) throw std::invalid_argument("AES-256-GCM needs a 32-byte key");
    if (blob.size() < gcm_nonce + gcm_tag) throw std::runtime_error("encrypted value is too short");
    auto nonce = blob.substr(0, gcm_nonce);
    auto cipher = blob.substr(gcm_nonce, blob.size() - gcm_nonce - gcm_tag);
    std::string tag(blob.substr(blob.size() - gcm_tag));
    std::string out(cipher.size(), '\0');
    CipherCtx c;
    int len = 0;
    auto* plain = reinterpret_cast<unsigned char*>(out.data());
    if (!c.ctx || EVP_DecryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, u8(key), u8(nonce)) != 1 ||
        EVP_DecryptUpdate(c.ctx, nullptr, &len, u8(aad), static_cast<int>(aad.size())) != 1 ||
        EVP_DecryptUpdate(c.ctx, plain, &len, u8(cipher), static_cast<int>(cipher.size())) != 1 ||
        EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_TAG, gcm_tag, tag.data()) != 1 ||
        EVP_DecryptFinal_ex(c.ctx, plain + len, &len) != 1)
        throw std::runtime_error("encrypted value failed authentication (wrong key, wrong place, or tampered)");
    return out;
}

std::optional<std::string> decode_key32(std::string_view text) {
    auto hex = [](char ch) -> int {
        if (ch >= '0' && ch <= '9') return ch - '0';
        if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
        return -1;
    };
    if (text.size() == 64) {
        std::string out;
        for (std::size_t i = 0; i < 64; i += 2) {
            int hi = hex(text[i]), lo = hex(text[i + 1]);
            if (hi < 0 || lo < 0) {
                out.clear();
                break;
            }
            out.push_back(static_cast<char>(hi * 16 + lo));
        }
        if (out.size() == 32) return out;
    }
    std::string b64(text);
    while (!b64.empty() && b64.back() == '=') b64.pop_back();
    for (auto& ch : b64) {
        if (ch == '-') ch = '+';
        if (ch == '_') ch = '/';
    }
    while (b64.size() % 4) b64.push_back('=');
    std::string out(b64.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), u8(b64), static_cast<int>(b64.size()));
    if (n < 0) return std::nullopt;
    std::size_t padding = static_cast<std::size_t>(std::count(b64.end() - std::min<std::size_t>(2, b64.size()), b64.end(), '='));
    out.resize(static_cast<std::size_t>(n) - padding);
    if (out.size() != 32) return std::nullopt;
    return out;
}

std::map<int, std::string> parse_versioned_keys(std::string_view text, std::string_view variable) {
    auto fail = [&](const std::string& what) { return config_error(std::string(variable) + ": " + what); };
    std::map<int, std::string> keys;
    std::size_t entry = 0;
    // Commas for one-line values, whitespace and newlines for mounted files.
    for (const auto& item : split_list(text, ", \t\r\n")) {
        ++entry;
        auto where = "entry " + std::to_string(entry);
        auto colon = item.find(':');
        if (colon == std::string::npos)
            throw fail(where + " is not VERSION:KEY (e.g. 2:$(openssl rand -base64 32))");
        auto parsed = parse_int(std::string_view(item).substr(0, colon), 1, 1000000);
        if (!parsed) throw fail(where + " has no key version from 1 to 1000000 before ':'");
        int version = static_cast<int>(*parsed);
        auto key = decode_key32(std::string_view(item).substr(colon + 1));
        if (!key) throw fail("key version " + std::to_string(version) + " is not 32 bytes as 64 hex digits or base64");
        if (!keys.emplace(version, std::move(*key)).second)
            throw fail("key version " + std::to_string(version) + " is given twice");
    }
    if (keys.empty()) throw fail("holds no key (expected VERSION:KEY[,VERSION:KEY...])");
    return keys;
}

}  // namespace oura::core
