// The wire protocol: one JSON object per line (docs/protocol.md).
//   request   {"id":N,"method":"zone.boot","params":{...}[,"nfds":K]}
//   answer    {"id":N,"result":...} | {"id":N,"error":{"code":"...","message":"..."}}
//   progress  {"id":N,"progress":{...}}   (zero or more, before the answer)
// A message that carries file descriptors says how many in "nfds"; they ride
// with SCM_RIGHTS on the message's bytes and are taken in arrival order.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "runtime/common/error.hpp"

namespace zone::api {

using json = nlohmann::json;

inline constexpr int kProtocolVersion = 2;
inline constexpr const char* kDefaultSocket = "/run/zoned/zoned.sock";

// Stable error codes (besides errno names such as "ENOENT" for system errors).
namespace code {
inline constexpr const char* kParse = "PARSE_ERROR";          // not JSON
inline constexpr const char* kInvalidRequest = "INVALID_REQUEST"; // JSON, but not a request
inline constexpr const char* kLineTooLong = "LINE_TOO_LONG";  // over 1 MiB
inline constexpr const char* kUnknownMethod = "UNKNOWN_METHOD";
inline constexpr const char* kInvalidParams = "INVALID_PARAMS";
inline constexpr const char* kInvalidConfig = "INVALID_CONFIG";
inline constexpr const char* kNotFound = "NOT_FOUND";
inline constexpr const char* kExists = "EXISTS";
inline constexpr const char* kBadState = "BAD_STATE";         // wrong zone state for the call
inline constexpr const char* kBusy = "BUSY";                  // zone locked by another call
inline constexpr const char* kNotAuthorized = "NOT_AUTHORIZED";
inline constexpr const char* kNoDaemon = "NO_DAEMON";         // client side: cannot reach zoned
inline constexpr const char* kProtocol = "PROTOCOL_ERROR";    // client side: bad answer
inline constexpr const char* kInternal = "INTERNAL";
} // namespace code

struct Request {
    json id;  // number or string, echoed back; null when the request had none
    std::string method;
    json params = json::object();
    int nfds = 0;
};

Result<Request> parse_request(std::string_view line);

std::string encode_request(const json& id, const std::string& method, const json& params,
                           int nfds = 0);
std::string encode_result(const json& id, const json& result, int nfds = 0);
std::string encode_error(const json& id, const Error& e);
std::string encode_progress(const json& id, const json& progress, int nfds = 0);

// Typed access to params with errors that name the parameter.
Result<std::string> param_string(const json& params, const char* key);
Result<bool> param_bool(const json& params, const char* key, bool dflt);
Result<long long> param_int(const json& params, const char* key, long long dflt);

} // namespace zone::api
