// zoneadm detach / attach: a zone leaves this zoned (its manifest written,
// optionally with its files as one archive) and comes back here or on
// another zoned.
#include <climits>
#include <functional>
#include <memory>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

#include "images/store.hpp"
#include "runtime/common/fs.hpp"
#include "runtime/common/log.hpp"
#include "runtime/zone_archive.hpp"
#include "runtime/zone_qa.hpp"

namespace zone::qa {

namespace {

constexpr int kManifestFormat = 1;

std::string detached_path(Daemon& d, const std::string& zone) {
    return d.paths().zone_dir(zone) + "/detached.json";
}

// What a zone's files need wherever they go: the image they sit on.
Result<nlohmann::json> make_manifest(Daemon& d, Zone& z) {
    TRY(ref, config::parse_image_ref(z.config.get_or("image", "")));
    unsigned version = z.status.image_version ? z.status.image_version : ref.version;
    nlohmann::json image{{"ref", z.config.get_or("image", "")}, {"name", ref.name}, {"version", version}};
    if (auto v = d.images().resolve(ref.name, version)) image["digest"] = v->manifest.digest;
    else image["digest"] = "";
    return nlohmann::json{{"format", kManifestFormat},
                          {"zone", z.name},
                          {"uuid", z.config.uuid},
                          {"config", config::to_json(z.config)},
                          {"root_type", z.config.get_or("root-type", "overlay")},
                          {"files", files_dir_name(z.config)},
                          {"image", image},
                          {"detached", images::rfc3339_now()}};
}

// The image version a manifest needs, from this store: the same name and
// version, with the same digest when both sides know it. With `force`, the
// newest version of the name stands in when that one is missing or differs.
Result<unsigned> match_image(Daemon& d, const nlohmann::json& m, bool force) {
    const auto& img = m.value("image", nlohmann::json::object());
    std::string name = img.value("name", std::string());
    unsigned version = img.value("version", 0U);
    std::string digest = img.value("digest", std::string());
    std::string want = name + "@" + std::to_string(version) +
                       (digest.empty() ? "" : " (digest " + digest + ")");
    if (m.value("root_type", std::string("overlay")) == "copy") return version;  // carries its image
    auto have = d.images().resolve(name, version);
    std::string problem;
    if (!have) problem = "image " + want + " is not in this zoned's store";
    else if (!digest.empty() && !have->manifest.digest.empty() && digest != have->manifest.digest)
        problem = "image " + name + "@" + std::to_string(version) + " here has digest " +
                  have->manifest.digest + ", the zone's files need " + digest;
    if (problem.empty()) return version;
    if (force) {
        auto newest = d.images().resolve(name, 0);
        if (newest) {
            ZLOG_WARN("attach -F: %s; using %s@%u", problem.c_str(), name.c_str(), newest->manifest.version);
            return newest->manifest.version;
        }
    }
    return make_error(api::code::kNotFound,
                      problem + "; import it first ('zonectl image import'), or attach -F to use the newest " +
                          name + " there is");
}

Result<void> set_installed(Daemon& d, Zone& z, unsigned version) {
    ZoneStatus st;
    st.state = ZoneState::Installed;
    st.image_version = version;
    TRY_VOID(save_status(d, z, st));
    return ok();
}

// attach of a zone detached in place: its files never left.
Result<api::json> attach_in_place(Daemon& d, Zone& z, bool force) {
    TRY(text, fs::read_file(detached_path(d, z.name)));
    auto m = nlohmann::json::parse(text, nullptr, false);
    if (m.is_discarded() || !m.is_object())
        return make_error("EINVAL", detached_path(d, z.name) + " is not a JSON object");
    TRY(version, match_image(d, m, force));
    TRY_VOID(set_installed(d, z, version));
    if (::unlink(detached_path(d, z.name).c_str()) < 0)
        ZLOG_WARN("zone=%s removing detached.json: %s, ignoring", z.name.c_str(), std::strerror(errno));
    ZLOG_INFO("zone=%s attached in place", z.name.c_str());
    return api::json{{"name", z.name}, {"changed", true}, {"state", "installed"}, {"image_version", version}};
}

// The zone's configuration from an archive's manifest, under the name it
// is attached as. It keeps its uuid unless a zone here has that one.
Result<config::ZoneConfig> archived_config(Daemon& d, const nlohmann::json& m, const std::string& name) {
    auto j = m.value("config", nlohmann::json::object());
    j["name"] = name;
    TRY(cfg, config::from_json(j));
    TRY_VOID(config::verify(cfg));
    for (auto& other : d.registry().all()) {
        if (other->name == name) continue;  // locked by our caller
        auto lk = ZoneLock::acquire(other, std::chrono::seconds(5));
        if (!lk || ((*lk)->exists && (*lk)->config.uuid == cfg.uuid)) cfg.uuid.clear();
    }
    if (cfg.uuid.empty()) {
        TRY(uuid, new_uuid());
        cfg.uuid = uuid;
    }
    return cfg;
}

// Where an attached zone's manifest and files come from: an archive (read
// as a stream) or a directory holding a detached zone (detached.json and
// upper/ or rootfs/), both opened by the client and passed as descriptors.
struct AttachSource {
    nlohmann::json manifest;
    std::function<Result<void>(const std::string& what, const std::string& dest)> extract;
};

Result<AttachSource> archive_source(int fd, std::shared_ptr<archive::ZoneArchiveReader>& keep) {
    TRY(reader, archive::ZoneArchiveReader::open(fd));
    keep = std::make_shared<archive::ZoneArchiveReader>(std::move(reader));
    auto r = keep;
    return AttachSource{r->manifest(), [r](const std::string& what, const std::string& dest) {
                            return r->extract(what, dest);
                        }};
}

Result<AttachSource> directory_source(int fd) {
    // The client's directory, reached through zoned's own descriptor.
    std::string dir = "/proc/self/fd/" + std::to_string(fd);
    auto text = fs::read_file(dir + "/detached.json");
    if (!text)
        return make_error(api::code::kInvalidParams,
                          "the directory holds no detached zone (no readable detached.json)");
    auto m = nlohmann::json::parse(*text, nullptr, false);
    if (m.is_discarded() || !m.is_object())
        return make_error(api::code::kInvalidParams, "the directory's detached.json is not a JSON object");
    return AttachSource{m, [dir](const std::string& what, const std::string& dest) {
                            return fs::copy_tree(dir + "/" + what, dest);
                        }};
}

Result<api::json> attach_from(Daemon& d, Zone& z, const AttachSource& src, bool force) {
    const auto& m = src.manifest;
    if (m.value("format", 0) != kManifestFormat)
        return make_error(api::code::kInvalidParams, "zone manifest format " +
                                                         std::to_string(m.value("format", 0)) +
                                                         " is not known here (expected 1)");
    // Everything is checked before anything is written.
    TRY(cfg, archived_config(d, m, z.name));
    TRY(version, match_image(d, m, force));
    std::string what = files_dir_name(cfg);
    if (m.value("files", what) != what)
        return make_error(api::code::kInvalidParams, "the zone's files are '" + m.value("files", std::string()) +
                                                         "/' but its root-type needs '" + what + "/'");
    TRY_VOID(d.store().save_config(cfg));
    z.config = cfg;
    z.exists = true;
    ZoneStatus st;
    st.state = ZoneState::Incomplete;  // found as such if cut off
    auto made = [&]() -> Result<void> {
        TRY_VOID(save_status(d, z, st));
        const std::string dir = d.paths().zone_dir(z.name);
        char real[PATH_MAX];
        if (!::realpath(dir.c_str(), real)) return sys_error("realpath(" + dir + ")");
        TRY_VOID(src.extract(what, std::string(real) + "/.new-" + what));
        TRY_VOID(swap_in(dir, what));
        TRY_VOID(fs::mkdir_p(dir + "/root", 0755));
        if (what == "upper") TRY_VOID(fresh_work(dir));
        return set_installed(d, z, version);
    }();
    if (!made) {
        (void)d.store().remove_zone(z.name);
        z.exists = false;
        return std::move(made).error().wrap("zone '" + z.name + "': attaching");
    }
    ZLOG_INFO("zone=%s attached (was '%s' elsewhere), image %s@%u", z.name.c_str(),
              m.value("zone", std::string()).c_str(), cfg.get_or("image", "").c_str(), version);
    return api::json{{"name", z.name}, {"changed", true}, {"state", "installed"},
                     {"uuid", cfg.uuid}, {"image_version", version}};
}

} // namespace

Result<api::json> detach_zone(Daemon& d, Zone& z, int archive_fd) {
    TRY(m, make_manifest(d, z));
    const std::string what = files_dir_name(z.config);
    if (archive_fd >= 0) {
        auto w = archive::write_zone_archive(archive_fd, m, d.paths().zone_dir(z.name) + "/" + what, what);
        if (!w) return std::move(w).error().wrap("zone '" + z.name + "': writing the archive");
    }
    TRY_VOID(fs::write_file_atomic(detached_path(d, z.name), m.dump(2) + "\n", 0600));
    // The zone leaves this host: its addresses go back to the pool.
    if (auto r = d.network().release(z.name); !r)
        ZLOG_WARN("zone=%s releasing its addresses: %s, ignoring", z.name.c_str(), r.error().message().c_str());
    ZoneStatus st = z.status;
    st.state = ZoneState::Configured;
    st.address.clear();
    st.detached = true;
    TRY_VOID(save_status(d, z, st));
    ZLOG_INFO("zone=%s detached%s", z.name.c_str(), archive_fd >= 0 ? " (archive written)" : "");
    return api::json{{"name", z.name}, {"changed", true}, {"state", "configured"}, {"detached", true},
                     {"manifest", m}};
}

Result<api::json> attach_zone(Daemon& d, Zone& z, int source_fd, bool is_dir, bool force) {
    if (source_fd >= 0) {
        if (z.exists)
            return make_error(api::code::kExists,
                              "zone '" + z.name + "' is already configured here; attach under another "
                                                  "name (-z NEW) or delete the zone first");
        std::shared_ptr<archive::ZoneArchiveReader> keep;
        auto src = is_dir ? directory_source(source_fd) : archive_source(source_fd, keep);
        if (!src) return std::move(src).error();
        return attach_from(d, z, *src, force);
    }
    if (!z.exists) return make_error(api::code::kNotFound, "zone '" + z.name + "' is not configured");
    if (!z.status.detached || !fs::exists(detached_path(d, z.name)))
        return make_error(api::code::kBadState, "zone '" + z.name +
                                                    "' is not detached; attach needs a detached zone, an "
                                                    "archive (-a FILE) or a directory (-d DIR)");
    return attach_in_place(d, z, force);
}

} // namespace zone::qa
