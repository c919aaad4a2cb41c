#include "spec_validator.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace oura::sim::spec {

bool spec_required() {
    const char* ci = std::getenv("CI");
    return ci && std::string_view(ci) == "true";
}

namespace {

std::string_view as_view(const rapidjson::Value& v) {
    return {v.GetString(), v.GetStringLength()};
}

std::string brief(const rapidjson::Value& v) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    v.Accept(w);
    std::string s = buf.GetString();
    if (s.size() > 60) s = s.substr(0, 57) + "...";
    return s;
}

std::string type_name(const rapidjson::Value& v) {
    if (v.IsNull()) return "null";
    if (v.IsBool()) return "boolean";
    if (v.IsInt64() || v.IsUint64()) return "integer";
    if (v.IsNumber()) return "number";
    if (v.IsString()) return "string";
    if (v.IsArray()) return "array";
    return "object";
}

bool has_type(const rapidjson::Value& v, std::string_view type) {
    if (type == "null") return v.IsNull();
    if (type == "boolean") return v.IsBool();
    if (type == "string") return v.IsString();
    if (type == "array") return v.IsArray();
    if (type == "object") return v.IsObject();
    if (type == "number") return v.IsNumber();
    if (type == "integer") {
        if (v.IsInt64() || v.IsUint64()) return true;
        // JSON Schema: a number with a zero fractional part is an integer.
        return v.IsDouble() && std::isfinite(v.GetDouble()) && std::floor(v.GetDouble()) == v.GetDouble();
    }
    return false;
}

// --- string formats (loose: shape and field ranges) ---------------------------------------------

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

bool is_date(std::string_view s) {
    int y = 0, m = 0, d = 0;
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
    if (!digits(s, 0, 4, y) || !digits(s, 5, 2, m) || !digits(s, 8, 2, d)) return false;
    static constexpr int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > month_days[m - 1]) return false;
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

enum class Zone { required, optional, utc };

bool is_date_time(std::string_view s, Zone zone) {
    if (s.size() < 19 || !is_date(s.substr(0, 10)) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ')) return false;
    int h = 0, mi = 0, se = 0;
    if (!digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se))
        return false;
    if (h > 23 || mi > 59 || se > 60) return false;
    std::size_t i = 19;
    if (i < s.size() && s[i] == '.') {
        ++i;
        const std::size_t first = i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
        if (i == first) return false;
    }
    const std::string_view rest = s.substr(i);
    if (rest.empty()) return zone == Zone::optional;
    if (rest == "Z" || rest == "z") return true;
    int oh = 0, om = 0;
    if (rest.size() != 6 || (rest[0] != '+' && rest[0] != '-') || !digits(rest, 1, 2, oh) || rest[3] != ':' ||
        !digits(rest, 4, 2, om) || oh > 14 || om > 59)
        return false;
    return zone != Zone::utc || (oh == 0 && om == 0);
}

bool is_uuid(std::string_view s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    return true;
}

std::size_t code_points(std::string_view s) {
    std::size_t n = 0;
    for (char c : s)
        if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++n;
    return n;
}

class Validator {
public:
    Validator(const rapidjson::Document& spec, std::vector<std::string>& errors) : spec_(spec), errors_(errors) {}

    void check_named(std::string_view name, const rapidjson::Value& inst, const std::string& path) {
        const rapidjson::Value* schema = schema_named(name);
        if (!schema) {
            error(path, "no schema #/components/schemas/" + std::string(name) + " in the spec");
            return;
        }
        check_named_format(name, inst, path);
        check(*schema, inst, path);
    }

private:
    const rapidjson::Value* schema_named(std::string_view name) const {
        if (!spec_.IsObject()) return nullptr;
        auto comps = spec_.FindMember("components");
        if (comps == spec_.MemberEnd() || !comps->value.IsObject()) return nullptr;
        auto schemas = comps->value.FindMember("schemas");
        if (schemas == comps->value.MemberEnd() || !schemas->value.IsObject()) return nullptr;
        for (auto it = schemas->value.MemberBegin(); it != schemas->value.MemberEnd(); ++it)
            if (as_view(it->name) == name) return &it->value;
        return nullptr;
    }

    // The spec declares its time types as bare strings; their names say which shape they carry.
    void check_named_format(std::string_view name, const rapidjson::Value& inst, const std::string& path) {
        if (!inst.IsString()) return;
        const std::string_view s = as_view(inst);
        bool ok = true;
        if (name == "ISODate")
            ok = is_date(s);
        else if (name == "LocalizedDateTime")
            ok = is_date_time(s, Zone::required);
        else if (name == "UtcDateTime")
            ok = is_date_time(s, Zone::utc);
        else if (name == "LocalDateTime")
            ok = is_date_time(s, Zone::optional);
        if (!ok) error(path, "\"" + std::string(s) + "\" is not a valid " + std::string(name));
    }

    void error(const std::string& path, const std::string& what) { errors_.push_back(path + ": " + what); }

    void check(const rapidjson::Value& schema, const rapidjson::Value& inst, const std::string& path) {
        if (schema.IsBool()) {
            if (!schema.GetBool()) error(path, "no value is allowed here");
            return;
        }
        if (!schema.IsObject()) return;
        if (auto ref = schema.FindMember("$ref"); ref != schema.MemberEnd() && ref->value.IsString()) {
            constexpr std::string_view prefix = "#/components/schemas/";
            const std::string_view target = as_view(ref->value);
            if (target.substr(0, prefix.size()) != prefix) {
                error(path, "unsupported $ref " + std::string(target));
            } else if (depth_ >= 64) {
                error(path, "$ref nesting too deep");
            } else {
                ++depth_;
                check_named(target.substr(prefix.size()), inst, path);
                --depth_;
            }
        }
        if (auto t = schema.FindMember("type"); t != schema.MemberEnd()) {
            bool ok = false;
            std::string expected;
            if (t->value.IsString()) {
                ok = has_type(inst, as_view(t->value));
                expected = as_view(t->value);
            } else if (t->value.IsArray()) {
                for (const auto& one : t->value.GetArray()) {
                    if (!one.IsString()) continue;
                    ok = ok || has_type(inst, as_view(one));
                    expected += (expected.empty() ? "" : "|") + std::string(as_view(one));
                }
            }
            if (!ok) {
                error(path, "expected " + expected + ", got " + type_name(inst) + " " + brief(inst));
                return;  // the other keywords would only repeat the type error
            }
        }
        if (auto c = schema.FindMember("const"); c != schema.MemberEnd() && !(c->value == inst))
            error(path, "expected the constant " + brief(c->value) + ", got " + brief(inst));
        if (auto e = schema.FindMember("enum"); e != schema.MemberEnd() && e->value.IsArray()) {
            bool found = false;
            for (const auto& option : e->value.GetArray()) found = found || option == inst;
            if (!found) error(path, brief(inst) + " is not one of the enum values " + brief(e->value));
        }
        if (auto all = schema.FindMember("allOf"); all != schema.MemberEnd() && all->value.IsArray())
            for (const auto& sub : all->value.GetArray()) check(sub, inst, path);
        if (auto any = schema.FindMember("anyOf"); any != schema.MemberEnd() && any->value.IsArray())
            check_alternatives(any->value, inst, path, false);
        if (auto one = schema.FindMember("oneOf"); one != schema.MemberEnd() && one->value.IsArray())
            check_alternatives(one->value, inst, path, true);

        if (inst.IsString()) check_string(schema, inst, path);
        if (inst.IsNumber()) check_number(schema, inst, path);
        if (inst.IsObject()) check_object(schema, inst, path);
        if (inst.IsArray()) check_array(schema, inst, path);
    }

    void check_alternatives(const rapidjson::Value& options, const rapidjson::Value& inst, const std::string& path,
                            bool exactly_one) {
        std::size_t matches = 0;
        std::vector<std::string> closest;
        bool have_closest = false;
        for (const auto& option : options.GetArray()) {
            std::vector<std::string> branch;
            Validator sub(spec_, branch);
            sub.depth_ = depth_;
            sub.check(option, inst, path);
            if (branch.empty()) {
                ++matches;
            } else if (!have_closest || branch.size() < closest.size()) {
                closest = std::move(branch);
                have_closest = true;
            }
        }
        if (matches == 0) {
            std::string why = closest.empty() ? std::string("no alternative fits") : closest.front();
            error(path,
                  std::string(exactly_one ? "oneOf" : "anyOf") + ": matches no alternative (closest: " + why + ")");
        } else if (exactly_one && matches > 1) {
            error(path, "oneOf: matches " + std::to_string(matches) + " alternatives");
        }
    }

    void check_string(const rapidjson::Value& schema, const rapidjson::Value& inst, const std::string& path) {
        const std::string_view s = as_view(inst);
        if (auto m = schema.FindMember("minLength");
            m != schema.MemberEnd() && m->value.IsUint64() && code_points(s) < m->value.GetUint64())
            error(path, "shorter than minLength " + std::to_string(m->value.GetUint64()));
        if (auto m = schema.FindMember("maxLength");
            m != schema.MemberEnd() && m->value.IsUint64() && code_points(s) > m->value.GetUint64())
            error(path, "longer than maxLength " + std::to_string(m->value.GetUint64()));
        if (auto f = schema.FindMember("format"); f != schema.MemberEnd() && f->value.IsString()) {
            const std::string_view format = as_view(f->value);
            bool ok = true;
            if (format == "date")
                ok = is_date(s);
            else if (format == "date-time")
                ok = is_date_time(s, Zone::required);
            else if (format == "uuid" || format == "uuid4")
                ok = is_uuid(s);
            if (!ok) error(path, "\"" + std::string(s) + "\" is not a valid " + std::string(format));
        }
    }

    void check_number(const rapidjson::Value& schema, const rapidjson::Value& inst, const std::string& path) {
        const double v = inst.GetDouble();
        auto bound = [&](const char* key, auto fails) {
            if (auto m = schema.FindMember(key);
                m != schema.MemberEnd() && m->value.IsNumber() && fails(m->value.GetDouble()))
                error(path, brief(inst) + " violates " + key + " " + brief(m->value));
        };
        bound("minimum", [v](double b) { return v < b; });
        bound("maximum", [v](double b) { return v > b; });
        bound("exclusiveMinimum", [v](double b) { return v <= b; });
        bound("exclusiveMaximum", [v](double b) { return v >= b; });
    }

    void check_object(const rapidjson::Value& schema, const rapidjson::Value& inst, const std::string& path) {
        if (auto req = schema.FindMember("required"); req != schema.MemberEnd() && req->value.IsArray()) {
            for (const auto& name : req->value.GetArray())
                if (name.IsString() && !inst.HasMember(name))
                    error(path, "missing required property \"" + std::string(as_view(name)) + "\"");
        }
        const auto props = schema.FindMember("properties");
        const bool has_props = props != schema.MemberEnd() && props->value.IsObject();
        const auto extra = schema.FindMember("additionalProperties");
        const bool has_extra = extra != schema.MemberEnd();
        for (auto m = inst.MemberBegin(); m != inst.MemberEnd(); ++m) {
            const std::string child = path + "." + std::string(as_view(m->name));
            if (has_props) {
                if (auto p = props->value.FindMember(m->name); p != props->value.MemberEnd()) {
                    check(p->value, m->value, child);
                    continue;
                }
            }
            if (has_extra) {
                check(extra->value, m->value, child);  // `false` reports, `true` accepts, a schema checks
            } else if (has_props) {
                error(child, "unknown property (not in the schema's properties)");
            }
        }
    }

    void check_array(const rapidjson::Value& schema, const rapidjson::Value& inst, const std::string& path) {
        const auto n = inst.Size();
        if (auto m = schema.FindMember("minItems");
            m != schema.MemberEnd() && m->value.IsUint64() && n < m->value.GetUint64())
            error(path, "fewer than minItems " + std::to_string(m->value.GetUint64()));
        if (auto m = schema.FindMember("maxItems");
            m != schema.MemberEnd() && m->value.IsUint64() && n > m->value.GetUint64())
            error(path, "more than maxItems " + std::to_string(m->value.GetUint64()));
        if (auto items = schema.FindMember("items"); items != schema.MemberEnd()) {
            for (rapidjson::SizeType i = 0; i < n; ++i)
                check(items->value, inst[i], path + "[" + std::to_string(i) + "]");
        }
    }

    const rapidjson::Document& spec_;
    std::vector<std::string>& errors_;
    int depth_ = 0;
};

}  // namespace

rapidjson::Document load_spec(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read the OpenAPI spec at " + path);
    std::stringstream text;
    text << in.rdbuf();
    rapidjson::Document doc;
    doc.Parse(text.str().c_str());
    if (doc.HasParseError())
        throw std::runtime_error("the OpenAPI spec at " + path +
                                 " is not JSON: " + rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
                                 std::to_string(doc.GetErrorOffset()));
    return doc;
}

std::vector<std::string> validate(const rapidjson::Document& spec, std::string_view schema_name,
                                  const rapidjson::Value& instance) {
    std::vector<std::string> errors;
    Validator(spec, errors).check_named(schema_name, instance, "$");
    return errors;
}

}  // namespace oura::sim::spec
