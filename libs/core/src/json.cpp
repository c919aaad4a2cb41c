#include "oura/core/json.hpp"

#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>

namespace oura::core {

rapidjson::Document parse_json(std::string_view text) {
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    if (doc.HasParseError())
        throw json_error(std::string("invalid JSON at offset ") + std::to_string(doc.GetErrorOffset()) + ": " +
                         rapidjson::GetParseError_En(doc.GetParseError()));
    return doc;
}

std::string to_json(const rapidjson::Value& value) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
    value.Accept(writer);
    return std::string(buf.GetString(), buf.GetSize());
}

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Numbers reach the handler as their text; RawValue writes it unquoted (Writer::RawNumber of
// RapidJSON 1.1 writes a quoted string).
constexpr unsigned exact_flags = rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseValidateEncodingFlag;

// Forwards every event of the reader to a writer, numbers verbatim.
struct ExactForward {
    Writer* w = nullptr;
    bool Null() { return w->Null(); }
    bool Bool(bool b) { return w->Bool(b); }
    // Never called under kParseNumbersAsStringsFlag; here for the handler concept.
    bool Int(int i) { return w->Int(i); }
    bool Uint(unsigned u) { return w->Uint(u); }
    bool Int64(std::int64_t i) { return w->Int64(i); }
    bool Uint64(std::uint64_t u) { return w->Uint64(u); }
    bool Double(double d) { return w->Double(d); }
    bool RawNumber(const char* s, rapidjson::SizeType n, bool) { return w->RawValue(s, n, rapidjson::kNumberType); }
    bool String(const char* s, rapidjson::SizeType n, bool) { return w->String(s, n); }
    bool Key(const char* s, rapidjson::SizeType n, bool) { return w->Key(s, n); }
    bool StartObject() { return w->StartObject(); }
    bool EndObject(rapidjson::SizeType) { return w->EndObject(); }
    bool StartArray() { return w->StartArray(); }
    bool EndArray(rapidjson::SizeType) { return w->EndArray(); }
};

// Splits while reading once: values below the array's elements (and below the top object's other
// members) are captured into their own writer; the levels above are only walked.
class Splitter {
public:
    Splitter(std::string_view array_member, ExactArray& out) : member_(array_member), out_(out) {}

    bool Null() {
        return scalar([](Writer& w) { return w.Null(); });
    }
    bool Bool(bool b) {
        return scalar([b](Writer& w) { return w.Bool(b); });
    }
    bool Int(int i) {
        return scalar([i](Writer& w) { return w.Int(i); });
    }
    bool Uint(unsigned u) {
        return scalar([u](Writer& w) { return w.Uint(u); });
    }
    bool Int64(std::int64_t i) {
        return scalar([i](Writer& w) { return w.Int64(i); });
    }
    bool Uint64(std::uint64_t u) {
        return scalar([u](Writer& w) { return w.Uint64(u); });
    }
    bool Double(double d) {
        return scalar([d](Writer& w) { return w.Double(d); });
    }
    bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
        return scalar([&](Writer& w) { return w.RawValue(s, n, rapidjson::kNumberType); });
    }
    bool String(const char* s, rapidjson::SizeType n, bool) {
        return scalar([&](Writer& w) { return w.String(s, n); });
    }
    bool Key(const char* s, rapidjson::SizeType n, bool) {
        if (capture_depth_ > 0) return writer_.Key(s, n);
        key_.assign(s, n);
        return true;
    }
    bool StartObject() { return open(true); }
    bool StartArray() { return open(false); }
    bool EndObject(rapidjson::SizeType) { return close(true); }
    bool EndArray(rapidjson::SizeType) { return close(false); }

private:
    // Where a value that starts outside any capture goes.
    enum class Role { walk_array, walk_object, item, member, ignore };

    Role role_of(bool container, bool object) {
        if (depth_ == 0) {
            if (container && !object) {
                out_.found = true;
                items_depth_ = 1;
                return Role::walk_array;
            }
            if (object) {
                out_.top_object = true;
                return Role::walk_object;
            }
            return Role::ignore;
        }
        if (depth_ == items_depth_) {
            if (!object) out_.objects_only = false;
            return Role::item;
        }
        if (depth_ == 1 && out_.top_object) {
            if (container && !object && key_ == member_ && !out_.found) {
                out_.found = true;
                items_depth_ = 2;
                return Role::walk_array;
            }
            return Role::member;
        }
        return Role::ignore;
    }

    void begin_capture(Role role) {
        buffer_.Clear();
        writer_.Reset(buffer_);
        capture_role_ = role;
    }

    void end_capture() {
        std::string text(buffer_.GetString(), buffer_.GetSize());
        if (capture_role_ == Role::item)
            out_.items.push_back(std::move(text));
        else if (capture_role_ == Role::member)
            out_.members.emplace_back(key_, std::move(text));
    }

    template <typename F>
    bool scalar(F&& write) {
        if (capture_depth_ > 0) return write(writer_);
        auto role = role_of(false, false);
        if (role != Role::item && role != Role::member) return true;
        begin_capture(role);
        bool ok = write(writer_);
        end_capture();
        return ok;
    }

    bool open(bool object) {
        if (capture_depth_ > 0) {
            ++capture_depth_;
            return object ? writer_.StartObject() : writer_.StartArray();
        }
        auto role = role_of(true, object);
        if (role == Role::item || role == Role::member || role == Role::ignore) {
            begin_capture(role);
            capture_depth_ = 1;
            return object ? writer_.StartObject() : writer_.StartArray();
        }
        ++depth_;
        return true;
    }

    bool close(bool object) {
        if (capture_depth_ > 0) {
            bool ok = object ? writer_.EndObject() : writer_.EndArray();
            if (--capture_depth_ == 0) end_capture();
            return ok;
        }
        if (depth_ == items_depth_) items_depth_ = -1;
        --depth_;
        return true;
    }

    std::string_view member_;
    ExactArray& out_;
    int depth_ = 0;         // containers open outside captures
    int items_depth_ = -1;  // depth_ inside the array being split; -1 when not inside it
    int capture_depth_ = 0;
    Role capture_role_ = Role::ignore;
    std::string key_;
    rapidjson::StringBuffer buffer_;
    Writer writer_{buffer_};
};

template <typename Handler>
void read_exact(std::string_view text, Handler& handler) {
    rapidjson::Reader reader;
    rapidjson::MemoryStream ms(text.data(), text.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> is(ms);
    auto result = reader.Parse<exact_flags>(is, handler);
    if (result.IsError())
        throw json_error(std::string("invalid JSON at offset ") + std::to_string(result.Offset()) + ": " +
                         rapidjson::GetParseError_En(result.Code()));
}

const rapidjson::Value* member(const rapidjson::Value& obj, std::string_view key) {
    if (!obj.IsObject()) return nullptr;
    auto it = obj.FindMember(rapidjson::Value(rapidjson::StringRef(key.data(), key.size())));
    return it == obj.MemberEnd() ? nullptr : &it->value;
}
}  // namespace

std::string compact_json_exact(std::string_view text) {
    rapidjson::StringBuffer buf;
    Writer writer(buf);
    ExactForward forward{&writer};
    read_exact(text, forward);
    return std::string(buf.GetString(), buf.GetSize());
}

ExactArray split_array_exact(std::string_view text, std::string_view array_member) {
    ExactArray out;
    Splitter splitter(array_member, out);
    read_exact(text, splitter);
    return out;
}

std::optional<std::string_view> get_string(const rapidjson::Value& obj, std::string_view key) {
    auto v = member(obj, key);
    if (!v || !v->IsString()) return std::nullopt;
    return std::string_view(v->GetString(), v->GetStringLength());
}

std::optional<std::int64_t> get_int(const rapidjson::Value& obj, std::string_view key) {
    auto v = member(obj, key);
    if (!v || !v->IsInt64()) return std::nullopt;
    return v->GetInt64();
}

std::optional<double> get_double(const rapidjson::Value& obj, std::string_view key) {
    auto v = member(obj, key);
    if (!v || !v->IsNumber()) return std::nullopt;
    return v->GetDouble();
}

std::optional<bool> get_bool(const rapidjson::Value& obj, std::string_view key) {
    auto v = member(obj, key);
    if (!v || !v->IsBool()) return std::nullopt;
    return v->GetBool();
}

std::string error_body(std::string_view message) {
    JsonWriter w;
    w.begin_object().field("detail", message).end_object();
    return w.take();
}

namespace {
// RapidJSON output stream appending to a std::string, so a writer can add to a caller's buffer.
struct StringOut {
    using Ch = char;
    std::string* out;
    void Put(char c) { out->push_back(c); }
    void Flush() {}
};
rapidjson::SizeType size_of(std::string_view s) {
    return static_cast<rapidjson::SizeType>(s.size());
}
}  // namespace

struct JsonWriter::Impl {
    explicit Impl(std::string& out) : stream{&out}, writer(stream) {}
    StringOut stream;
    rapidjson::Writer<StringOut> writer;
};

JsonWriter::JsonWriter() : impl_(std::make_unique<Impl>(own_)) {}
JsonWriter::JsonWriter(std::string& out) : impl_(std::make_unique<Impl>(out)) {}
JsonWriter::~JsonWriter() = default;

JsonWriter& JsonWriter::begin_object() {
    impl_->writer.StartObject();
    return *this;
}
JsonWriter& JsonWriter::end_object() {
    impl_->writer.EndObject();
    return *this;
}
JsonWriter& JsonWriter::begin_array() {
    impl_->writer.StartArray();
    return *this;
}
JsonWriter& JsonWriter::end_array() {
    impl_->writer.EndArray();
    return *this;
}
JsonWriter& JsonWriter::key(std::string_view name) {
    impl_->writer.Key(name.data(), size_of(name), true);
    return *this;
}
JsonWriter& JsonWriter::string(std::string_view value) {
    impl_->writer.String(value.data(), size_of(value), true);
    return *this;
}
JsonWriter& JsonWriter::integer(std::int64_t value) {
    impl_->writer.Int64(value);
    return *this;
}
JsonWriter& JsonWriter::number(double value) {
    // Writer::Double refuses NaN and infinity by writing nothing, which would leave a key
    // without a value: an unparsable document.
    if (!std::isfinite(value))
        impl_->writer.Null();
    else
        impl_->writer.Double(value);
    return *this;
}
JsonWriter& JsonWriter::boolean(bool value) {
    impl_->writer.Bool(value);
    return *this;
}
JsonWriter& JsonWriter::null() {
    impl_->writer.Null();
    return *this;
}
JsonWriter& JsonWriter::raw(std::string_view json) {
    impl_->writer.RawValue(json.data(), json.size(), rapidjson::kObjectType);
    return *this;
}

const std::string& JsonWriter::str() const {
    return *impl_->stream.out;
}
std::string JsonWriter::take() {
    return std::move(*impl_->stream.out);
}

}  // namespace oura::core
