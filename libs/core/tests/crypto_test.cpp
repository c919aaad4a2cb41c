#include <catch2/catch.hpp>

#include "oura/core/config.hpp"
#include "oura/core/crypto.hpp"

using namespace oura::core;

TEST_CASE("SHA-256 and HMAC-SHA256 match the published test vectors", "[unit][crypto]") {
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // RFC 4231 test case 2
    CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("constant-time comparison tells equal from different", "[unit][crypto]") {
    CHECK(constant_time_equal("abc", "abc"));
    CHECK_FALSE(constant_time_equal("abc", "abd"));
    CHECK_FALSE(constant_time_equal("abc", "abcd"));
}

TEST_CASE("base64url has no padding and the URL-safe alphabet", "[unit][crypto]") {
    CHECK(base64url("") == "");
    CHECK(base64url("f") == "Zg");
    CHECK(base64url("fo") == "Zm8");
    CHECK(base64url("foo") == "Zm9v");
    CHECK(base64url("\xfb\xff") == "-_8");
    CHECK(random_bytes(32).size() == 32);
    CHECK(random_bytes(16) != random_bytes(16));
}

TEST_CASE("an encrypted token decrypts only with the same key and the same place", "[unit][crypto]") {
    std::string key(32, 'k'), other(32, 'o');
    auto blob = aes256gcm_encrypt(key, "refresh-token-value", "user=1;col=refresh;v=1");
    CHECK(blob.find("refresh-token-value") == std::string::npos);
    CHECK(aes256gcm_decrypt(key, blob, "user=1;col=refresh;v=1") == "refresh-token-value");
    CHECK_THROWS(aes256gcm_decrypt(other, blob, "user=1;col=refresh;v=1"));
    CHECK_THROWS(aes256gcm_decrypt(key, blob, "user=2;col=refresh;v=1"));
    auto tampered = blob;
    tampered[15] ^= 1;
    CHECK_THROWS(aes256gcm_decrypt(key, tampered, "user=1;col=refresh;v=1"));
    CHECK(aes256gcm_encrypt(key, "x", "a") != aes256gcm_encrypt(key, "x", "a"));  // fresh nonce each time
}

TEST_CASE("a 32-byte key is accepted as hex or base64 and refused otherwise", "[unit][crypto]") {
    CHECK(decode_key32(std::string(64, 'a'))->size() == 32);
    CHECK(decode_key32("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")->size() == 32);
    CHECK_FALSE(decode_key32("too-short"));
    CHECK_FALSE(decode_key32(std::string(64, 'z')));
}

TEST_CASE("versioned keys parse from commas, spaces or lines, newest first or not", "[unit][crypto]") {
    auto hex = std::string(64, 'a');
    auto b64 = std::string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    auto keys = parse_versioned_keys("2:" + b64 + ",1:" + hex, "OURA_TOKEN_ENCRYPTION_KEYS");
    REQUIRE(keys.size() == 2);
    CHECK(keys.at(1) == std::string(32, '\xaa'));
    CHECK(keys.at(2) == std::string(32, '\0'));
    CHECK(parse_versioned_keys("1:" + hex + "\n7:" + b64 + "\n", "K").rbegin()->first == 7);
    CHECK(parse_versioned_keys(" 3:" + hex + " , 4:" + hex + " ", "K").size() == 2);
}

TEST_CASE("a malformed key list names the variable and the entry, never the key", "[unit][crypto]") {
    auto hex = std::string(64, 'a');
    auto message = [](const std::string& text) {
        try {
            parse_versioned_keys(text, "OURA_TOKEN_ENCRYPTION_KEYS");
        } catch (const oura::core::config_error& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    CHECK(message("") == "OURA_TOKEN_ENCRYPTION_KEYS: holds no key (expected VERSION:KEY[,VERSION:KEY...])");
    CHECK(message(" , ") == message(""));
    CHECK(message(hex).find("OURA_TOKEN_ENCRYPTION_KEYS: entry 1 is not VERSION:KEY") == 0);
    CHECK(message("2:" + hex + ",x:" + hex).find("entry 2 has no key version") != std::string::npos);
    CHECK(message("0:" + hex).find("entry 1 has no key version from 1 to 1000000") != std::string::npos);
    CHECK(message("-1:" + hex).find("entry 1 has no key version") != std::string::npos);
    CHECK(message("99999999999999999999:" + hex).find("entry 1 has no key version") != std::string::npos);
    CHECK(message("2:secret-but-short") == "OURA_TOKEN_ENCRYPTION_KEYS: key version 2 is not 32 bytes as 64 hex digits or base64");
    CHECK(message("2:" + hex + ",2:" + hex) == "OURA_TOKEN_ENCRYPTION_KEYS: key version 2 is given twice");
    for (const auto& bad : {"2:secret-but-short", "x:aaaa", "aaaa"}) CHECK(message(bad).find("aaaa") == std::string::npos);
    CHECK(message("2:secret-but-short").find("secret") == std::string::npos);
}
