// libFuzzer target: zoned's request path up to the handlers. Bytes arrive in
// chunks of any size (framing), each line is parsed as a request, its
// parameters are read the way handlers read them, and a `config` parameter
// goes through the configuration model (from_json, verify, the cgroup
// limits, the authorization decision of a creator) and back (to_json),
// which must round-trip.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cgroups/limits.hpp"
#include "runtime/api/framing.hpp"
#include "runtime/api/protocol.hpp"
#include "runtime/auth.hpp"
#include "runtime/config/zone_config.hpp"

namespace {

using zone::api::json;

void exercise_config(const json& params) {
    auto it = params.find("config");
    if (it == params.end() || !it->is_object()) return;
    json j = *it;
    if (auto n = params.find("name"); n != params.end() && n->is_string()) j["name"] = *n;
    auto cfg = zone::config::from_json(j);
    if (!cfg) return;
    (void)zone::config::verify(*cfg);
    (void)zone::cg::limits_from_config(*cfg);
    // What zoned decides for a member of the creator group committing it.
    zone::auth::CreatorPolicy policy;
    policy.group = "qa";
    policy.templates = {"default"};
    policy.max_memory = 1ULL << 30;
    policy.max_ncpus_hundredths = 150;
    policy.max_processes = 100;
    zone::auth::Caller caller;
    caller.uid = 1000;
    caller.user = "alice";
    caller.creator = true;
    zone::auth::Request r{"zone.config.commit", zone::auth::Need::Configure, cfg->name, *cfg,
                          "default"};
    auto d = zone::auth::decide(caller, r, nullptr, policy);
    (void)zone::auth::decide(caller, r, &*cfg, policy);
    r.need = zone::auth::Need::Clone;
    (void)zone::auth::decide(caller, r, &*cfg, policy);
    // Admitted means within the bounds.
    if (d.allowed() && !zone::auth::check_creator_bounds(*cfg, policy).empty()) std::abort();
    auto again = zone::config::from_json(zone::config::to_json(*cfg));
    if (!again || !(*again == *cfg)) std::abort(); // the stored form must read back
}

void exercise(const std::string& line) {
    auto req = zone::api::parse_request(line);
    if (!req) {
        (void)zone::api::encode_error(nullptr, req.error());
        return;
    }
    for (const char* k : {"name", "user", "command", "template"})
        (void)zone::api::param_string(req->params, k);
    for (const char* k : {"create", "tty", "force"})
        (void)zone::api::param_bool(req->params, k, false);
    for (const char* k : {"timeout", "rows", "version"})
        (void)zone::api::param_int(req->params, k, 0);
    exercise_config(req->params);
    (void)zone::api::encode_result(req->id, req->params);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // A small line limit so that the fuzzer reaches the oversized-line path.
    zone::api::LineBuffer buf(4096);
    std::string_view in(reinterpret_cast<const char*>(data), size);
    // The first byte chooses the chunk size: reads split lines anywhere.
    size_t chunk = in.empty() ? 1 : static_cast<unsigned char>(in[0]) % 64 + 1;
    std::string line;
    for (size_t off = 0; off < in.size(); off += chunk) {
        buf.feed(in.substr(off, chunk));
        for (;;) {
            auto st = buf.next(line);
            if (st == zone::api::LineBuffer::Status::NeedMore) break;
            if (st == zone::api::LineBuffer::Status::Line) exercise(line);
        }
    }
    if (buf.buffered() > 4096 + 64) std::abort(); // the limit must bound memory
    return 0;
}
