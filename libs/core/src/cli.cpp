#include "oura/core/cli.hpp"

#include <iostream>

#include "oura/core/config.hpp"
#include "oura/core/text.hpp"

namespace oura::core {

CommandLine::CommandLine(std::string usage, std::string description, std::vector<Flag> flags, std::string epilog)
    : usage_(std::move(usage)), description_(std::move(description)), epilog_(std::move(epilog)),
      flags_(std::move(flags)) {
    flags_.push_back({"help", "", "show this help and exit"});
}

void CommandLine::parse(int argc, char** argv) {
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
    parse(args);
}

void CommandLine::parse(const std::vector<std::string>& args) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& arg = args[i];
        if (arg == "--") {
            positional_.insert(positional_.end(), args.begin() + static_cast<long>(i) + 1, args.end());
            break;
        }
        if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
            positional_.push_back(arg);
            continue;
        }
        auto eq = arg.find('=');
        std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
        const Flag* flag = nullptr;
        for (const auto& f : flags_)
            if (f.name == name) flag = &f;
        if (!flag) throw usage_error("unknown option --" + name + " (see --help)");
        if (flag->value_name.empty()) {
            if (eq != std::string::npos) throw usage_error("--" + name + " takes no value");
            values_[name] = "true";
        } else if (eq != std::string::npos) {
            values_[name] = arg.substr(eq + 1);
        } else {
            if (i + 1 >= args.size()) throw usage_error("--" + name + " needs a value: --" + name + " " + flag->value_name);
            values_[name] = args[++i];
        }
    }
}

bool CommandLine::has(std::string_view name) const { return values_.find(name) != values_.end(); }

std::optional<std::string> CommandLine::value(std::string_view name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

std::string CommandLine::value_or(std::string_view name, std::string_view fallback) const {
    auto v = value(name);
    return v ? *v : std::string(fallback);
}

long long CommandLine::int_or(std::string_view name, long long fallback, long long min, long long max) const {
    auto v = value(name);
    if (!v) return fallback;
    auto out = parse_int(*v, min, max);
    if (!out)
        throw usage_error("--" + std::string(name) + " must be a whole number from " + std::to_string(min) + " to " +
                          std::to_string(max) + ", got '" + *v + "'");
    return *out;
}

std::string CommandLine::help() const {
    std::string out = "Usage: " + usage_ + "\n\n" + description_ + "\n\nOptions:\n";
    for (const auto& f : flags_) {
        std::string left = "  --" + f.name + (f.value_name.empty() ? "" : " " + f.value_name);
        if (left.size() < 26) left.resize(26, ' ');
        else left += "\n" + std::string(26, ' ');
        out += left + f.help + "\n";
    }
    if (!epilog_.empty()) out += "\n" + epilog_ + "\n";
    return out;
}

int run_command(std::string_view program, const std::function<int()>& body) {
    try {
        return body();
    } catch (const usage_error& e) {
        std::cerr << program << ": " << e.what() << "\n";
        return exit_usage;
    } catch (const config_error& e) {
        std::cerr << program << ": " << e.what() << "\n";
        return exit_usage;
    } catch (const startup_error& e) {
        std::cerr << program << ": " << e.what() << "\n";
        return exit_usage;
    } catch (const std::exception& e) {
        std::cerr << program << ": " << e.what() << "\n";
        return exit_failure;
    }
}

}  // namespace oura::core
