// oura-admin: wiring only; the commands live in admin_app.
#include "admin_app.hpp"
#include "oura/core/cli.hpp"

int main(int argc, char** argv) {
    using namespace oura;
    return core::run_command("oura-admin", [&] {
        auto env = core::Env::process();
        auto log = core::make_logger("oura-admin", env);  // a bad OURA_LOG_LEVEL stops every command
        return admin::run(std::vector<std::string>(argv + 1, argv + argc), env, log);
    });
}
