#include "protocol.hpp"

namespace zone::api {

Result<Request> parse_request(std::string_view line) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded()) return make_error(code::kParse, "request is not valid JSON");
    if (!j.is_object()) return make_error(code::kInvalidRequest, "request is not a JSON object");
    Request r;
    if (auto it = j.find("id"); it != j.end()) {
        if (!it->is_number_integer() && !it->is_string() && !it->is_null())
            return make_error(code::kInvalidRequest, "request 'id' must be a number or a string");
        r.id = *it;
    }
    auto m = j.find("method");
    if (m == j.end() || !m->is_string() || m->get<std::string>().empty())
        return make_error(code::kInvalidRequest, "request has no 'method' string");
    r.method = m->get<std::string>();
    if (auto p = j.find("params"); p != j.end() && !p->is_null()) {
        if (!p->is_object()) return make_error(code::kInvalidRequest, "request 'params' must be an object");
        r.params = *p;
    }
    if (auto n = j.find("nfds"); n != j.end()) {
        if (!n->is_number_unsigned() || n->get<unsigned>() > 16)
            return make_error(code::kInvalidRequest, "request 'nfds' must be 0..16");
        r.nfds = n->get<int>();
    }
    return r;
}

static std::string line_of(const json& j) {
    // Replace invalid UTF-8 instead of throwing: messages may quote user input.
    return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string encode_request(const json& id, const std::string& method, const json& params, int nfds) {
    json j{{"id", id}, {"method", method}, {"params", params}};
    if (nfds) j["nfds"] = nfds;
    return line_of(j);
}

std::string encode_result(const json& id, const json& result, int nfds) {
    json j{{"id", id}, {"result", result}};
    if (nfds) j["nfds"] = nfds;
    return line_of(j);
}

std::string encode_error(const json& id, const Error& e) {
    std::string c = e.code.empty() ? (e.err ? errno_name(e.err) : code::kInternal) : e.code;
    return line_of(json{{"id", id}, {"error", {{"code", c}, {"message", e.message()}}}});
}

std::string encode_progress(const json& id, const json& progress, int nfds) {
    json j{{"id", id}, {"progress", progress}};
    if (nfds) j["nfds"] = nfds;
    return line_of(j);
}

Result<std::string> param_string(const json& params, const char* key) {
    auto it = params.find(key);
    if (it == params.end() || !it->is_string())
        return make_error(code::kInvalidParams, std::string("parameter '") + key + "' must be a string");
    return it->get<std::string>();
}

Result<bool> param_bool(const json& params, const char* key, bool dflt) {
    auto it = params.find(key);
    if (it == params.end() || it->is_null()) return dflt;
    if (!it->is_boolean())
        return make_error(code::kInvalidParams, std::string("parameter '") + key + "' must be a boolean");
    return it->get<bool>();
}

Result<long long> param_int(const json& params, const char* key, long long dflt) {
    auto it = params.find(key);
    if (it == params.end() || it->is_null()) return dflt;
    if (!it->is_number_integer())
        return make_error(code::kInvalidParams, std::string("parameter '") + key + "' must be an integer");
    return it->get<long long>();
}

} // namespace zone::api
