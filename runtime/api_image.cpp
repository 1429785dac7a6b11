// image.* methods: the gold image store (images/store.hpp, docs/images.md).
#include <climits>

#include "images/store.hpp"
#include "runtime/common/log.hpp"
#include "runtime/daemon.hpp"

namespace zone {

namespace {

images::Store image_store(Call& c) {
    return images::Store(c.daemon.paths().images_dir());
}

api::json version_json(const images::ImageVersion& v) {
    api::json j = images::to_json(v.manifest);
    j["rootfs"] = v.rootfs;
    return j;
}

// Each build step reaches the client as {"message": "..."}.
void send_progress(void* ctx, const std::string& line) {
    static_cast<Call*>(ctx)->progress(api::json{{"message", line}});
}

// Builds of one name are serialized by the store's flock; builds of
// different names run side by side.
Result<api::json> image_build(Call& c) {
    TRY(name, api::param_string(c.params, "name"));
    TRY(from, api::param_string(c.params, "from"));
    TRY_VOID(images::Store::check_name(name));  // before the name reaches the log
    ZLOG_INFO("image=%s build from '%s' requested by uid %u", name.c_str(), from.c_str(),
              c.peer.uid);
    auto v = image_store(c).build(name, from, send_progress, &c);
    if (!v) return std::move(v).error();
    ZLOG_INFO("image=%s version %u built (%llu bytes)", name.c_str(), v->manifest.version,
              v->manifest.size);
    return version_json(*v);
}

Result<api::json> image_list(Call& c) {
    TRY(all, image_store(c).list());
    api::json out = api::json::array();
    for (const auto& v : all)
        out.push_back(version_json(v));
    return api::json{{"images", out}};
}

Result<api::json> image_info(Call& c) {
    TRY(name, api::param_string(c.params, "name"));
    TRY(version, api::param_int(c.params, "version", 0));
    if (version < 0 || version > INT_MAX)
        return make_error(api::code::kInvalidParams,
                          "parameter 'version' must be 0 (the newest) or a version number");
    TRY(v, image_store(c).resolve(name, static_cast<unsigned>(version)));
    return version_json(v);
}

} // namespace

std::vector<Method> image_methods() {
    return {
        {"image.build", Access::Admin, image_build},
        {"image.list", Access::Anyone, image_list},
        {"image.info", Access::Anyone, image_info},
    };
}

} // namespace zone
