#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "oura/store/tokens.hpp"

using oura::core::config_error;
using oura::core::Env;
using oura::store::TokenCipher;
using oura::store::token_error;

namespace {

const std::string old_hex = std::string(64, '1');
const std::string new_hex = std::string(64, '2');

std::string config_message(std::map<std::string, std::string, std::less<>> vars) {
    try {
        TokenCipher::from_env(Env::from(std::move(vars)));
    } catch (const config_error& e) {
        return e.what();
    }
    return "accepted";
}

}  // namespace

TEST_CASE("a token sealed with an older key version still opens once a newer key seals", "[unit][tokens]") {
    auto before = TokenCipher::from_env(Env::from({{"OURA_TOKEN_ENCRYPTION_KEY", old_hex}}));
    CHECK(before.key_version() == 1);
    auto blob = before.seal(7, "access_token", "A-1");

    auto after = TokenCipher::from_env(Env::from({{"OURA_TOKEN_ENCRYPTION_KEYS", "2:" + new_hex + ",1:" + old_hex}}));
    CHECK(after.key_version() == 2);
    CHECK(after.open(7, "access_token", 1, blob) == "A-1");
    auto resealed = after.seal(7, "access_token", "A-1");
    CHECK(after.open(7, "access_token", 2, resealed) == "A-1");
    // The version is part of the AAD: a blob relabelled with another version does not open.
    CHECK_THROWS_AS(after.open(7, "access_token", 2, blob), token_error);
    CHECK_THROWS_AS(after.open(8, "access_token", 1, blob), token_error);

    auto only_new = TokenCipher::from_env(Env::from({{"OURA_TOKEN_ENCRYPTION_KEYS", "2:" + new_hex}}));
    CHECK(only_new.open(7, "access_token", 2, resealed) == "A-1");
    CHECK_THROWS_WITH(only_new.open(7, "access_token", 1, blob),
                      Catch::StartsWith("tokens of user 7 are sealed with key version 1, which is not configured"));
}

TEST_CASE("the key list may come from a mounted file", "[unit][tokens]") {
    char name[] = "/tmp/oura-keys-XXXXXX";
    int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    close(fd);
    std::string path = name;
    {
        std::ofstream out(path);
        out << "3:" << new_hex << "\n1:" << old_hex << "\n";
    }
    auto cipher = TokenCipher::from_env(Env::from({{"OURA_TOKEN_ENCRYPTION_KEYS_FILE", path}}));
    std::remove(path.c_str());
    CHECK(cipher.key_version() == 3);
    CHECK(cipher.holds(1));
    CHECK_FALSE(cipher.holds(2));
}

TEST_CASE("bad key settings stop the start with the variable named and no key shown", "[unit][tokens]") {
    CHECK(config_message({}) ==
          "OURA_TOKEN_ENCRYPTION_KEY (or OURA_TOKEN_ENCRYPTION_KEYS for several versions) is required");
    CHECK(config_message({{"OURA_TOKEN_ENCRYPTION_KEYS", "2:" + new_hex}, {"OURA_TOKEN_ENCRYPTION_KEY", old_hex}})
              .find("OURA_TOKEN_ENCRYPTION_KEYS is set, so OURA_TOKEN_ENCRYPTION_KEY") == 0);
    CHECK(config_message({{"OURA_TOKEN_ENCRYPTION_KEYS", "2:" + new_hex}, {"OURA_TOKEN_ENCRYPTION_KEY_VERSION", "2"}})
              .find("OURA_TOKEN_ENCRYPTION_KEYS is set") == 0);
    auto bad = config_message({{"OURA_TOKEN_ENCRYPTION_KEYS", "2:" + new_hex + ";1:" + old_hex}});
    CHECK(bad.find("OURA_TOKEN_ENCRYPTION_KEYS: ") == 0);
    CHECK(bad.find(new_hex) == std::string::npos);
    CHECK(config_message({{"OURA_TOKEN_ENCRYPTION_KEY", "short"}}).find("OURA_TOKEN_ENCRYPTION_KEY must be 32 bytes") == 0);
    CHECK(config_message({{"OURA_TOKEN_ENCRYPTION_KEY", old_hex}, {"OURA_TOKEN_ENCRYPTION_KEY_VERSION", "0"}})
              .find("OURA_TOKEN_ENCRYPTION_KEY_VERSION") != std::string::npos);
}
