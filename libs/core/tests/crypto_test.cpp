#include <catch2/catch.hpp>

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
