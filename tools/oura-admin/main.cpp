// oura-admin: wiring only; the commands live in admin_app.
#include "admin_app.hpp"

int main(int argc, char** argv) {
    auto log = oura::core::make_logger("oura-admin");
    return oura::admin::run(std::vector<std::string>(argv + 1, argv + argc), oura::core::Env::process(), log);
}
