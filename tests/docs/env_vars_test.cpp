// docs/configuration.md is the operator's only list of settings: every OURA_* variable the code
// reads must be in it, and nothing in it may be a name no code reads (a setting that does nothing).

#include <catch2/catch.hpp>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

namespace fs = std::filesystem;

namespace {

// name -> where it was seen ("path:line"), sorted so the failure lists read the same every run.
using Sightings = std::map<std::string, std::set<std::string>>;

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool under_tests(const fs::path& relative) {
    for (const auto& part : relative)
        if (part == "tests") return true;
    return false;
}

// How a name sits in a line: the text right before it and right after it decide whether it counts.
using Context = bool (*)(std::string_view before, std::string_view after);

bool in_quotes(std::string_view before, std::string_view after) {
    return before.ends_with("\"") && after.starts_with("\"");
}
bool in_getenv(std::string_view before, std::string_view after) {
    return before.ends_with("getenv(\"") && after.starts_with("\")");
}
bool expanded(std::string_view before, std::string_view) { return before.ends_with("$") || before.ends_with("${"); }
bool in_backticks(std::string_view before, std::string_view after) {
    return before.ends_with("`") && after.starts_with("`");
}

// Calls `found(name)` for each OURA_* name in `text` that `counts` accepts. (No std::regex: GCC 12
// warns inside it, and -Werror is on.)
template <class Found>
void names_in(std::string_view text, Context counts, Found&& found) {
    for (auto at = text.find("OURA_"); at != std::string_view::npos; at = text.find("OURA_", at + 1)) {
        auto end = at;
        while (end < text.size() && (std::isupper(static_cast<unsigned char>(text[end])) ||
                                     std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '_'))
            ++end;
        if (counts(text.substr(0, at), text.substr(end))) found(std::string(text.substr(at, end - at)));
    }
}

void scan(const fs::path& root, const fs::path& file, Context counts, Sightings& out) {
    const auto relative = fs::relative(file, root).generic_string();
    std::istringstream lines(read(file));
    std::string line;
    for (int n = 1; std::getline(lines, line); ++n)
        names_in(line, counts, [&](const std::string& name) { out[name].insert(relative + ":" + std::to_string(n)); });
}

// What the code reads. C++ outside tests: a string literal that is exactly a variable name (the Env
// helper and getenv take names that way; messages mentioning a name hold more than the name).
// C++ tests: getenv only, since tests also build fake environments for the Env helper from names.
// Shell: an expansion, $NAME or ${NAME...}; an assignment only sets what a binary then reads.
Sightings read_by_code(const fs::path& root) {
    Sightings out;
    for (const char* dir : {"libs", "services", "tools", "tests"}) {
        for (const auto& entry : fs::recursive_directory_iterator(root / dir)) {
            if (!entry.is_regular_file()) continue;
            const auto& p = entry.path();
            const auto ext = p.extension().string();
            if (ext == ".cpp" || ext == ".hpp")
                scan(root, p, under_tests(fs::relative(p, root)) ? in_getenv : in_quotes, out);
            else if (ext == ".sh")
                scan(root, p, expanded, out);
        }
    }
    for (const auto& entry : fs::directory_iterator(root / "deploy"))
        if (entry.is_regular_file() && entry.path().extension() == ".sh") scan(root, entry.path(), expanded, out);
    return out;
}

// What the reference documents: the names in the first column of its tables.
Sightings documented(const fs::path& root) {
    Sightings out;
    std::istringstream lines(read(root / "docs/configuration.md"));
    std::string line;
    for (int n = 1; std::getline(lines, line); ++n) {
        if (!line.starts_with("|")) continue;
        const auto first_cell = std::string_view(line).substr(1, line.find('|', 1) - 1);
        names_in(first_cell, in_backticks,
                 [&](const std::string& name) { out[name].insert("docs/configuration.md:" + std::to_string(n)); });
    }
    return out;
}

// "OURA_X (seen at a.cpp:1, b.sh:2)" per name of `names` missing from `other`.
std::string missing_from(const Sightings& names, const Sightings& other) {
    std::string out;
    for (const auto& [name, where] : names) {
        if (other.count(name)) continue;
        out += "\n  " + name + " (";
        bool first = true;
        for (const auto& w : where) {
            out += (first ? "" : ", ") + w;
            first = false;
        }
        out += ")";
    }
    return out;
}

}  // namespace

TEST_CASE("every OURA_ variable the code reads is documented, and every documented one is read", "[unit][docs]") {
    const fs::path root = OURA_SOURCE_DIR;
    const auto code = read_by_code(root);
    const auto docs = documented(root);
    // The scanners themselves work: the one variable every binary needs is found on both sides.
    REQUIRE(code.count("OURA_DATABASE_URL") == 1);
    REQUIRE(docs.count("OURA_DATABASE_URL") == 1);

    {
        INFO("read by the code but not in the tables of docs/configuration.md (add a row each):");
        CHECK(missing_from(code, docs) == "");
    }
    {
        INFO("in docs/configuration.md but read by no code (remove the row, or read the variable):");
        CHECK(missing_from(docs, code) == "");
    }
}
