// image.* methods: the gold image store (images/store.hpp, docs/images.md).
#include <climits>
#include <fcntl.h>
#include <map>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups/tree.hpp"
#include "images/archive.hpp"
#include "images/layers.hpp"
#include "images/store.hpp"
#include "images/tree.hpp"
#include "runtime/common/fs.hpp"
#include "runtime/common/log.hpp"
#include "runtime/daemon.hpp"
#include "runtime/image_patch.hpp"
#include "runtime/image_usage.hpp"

namespace zone {

namespace {

images::Store image_store(Call& c) {
    return images::Store(c.daemon.paths().images_dir());
}

// Each build step reaches the client as {"message": "..."}; a status line
// that a terminal may overwrite carries "transient": true.
void send_progress(void* ctx, const std::string& line) {
    if (!line.empty() && line[0] == images::kTransient)
        static_cast<Call*>(ctx)->progress(
            api::json{{"message", line.substr(1)}, {"transient", true}});
    else
        static_cast<Call*>(ctx)->progress(api::json{{"message", line}});
}

// ---- which zones use which version ---------------------------------------------

// One zone's use of an image, derived from its configuration and state each
// time it is asked (never a counter that could drift from the truth):
//  - a zone whose root is mounted (ready, running, shutting down, down) uses
//    the version it booted on;
//  - an installed overlay zone uses the version it will boot on: the pinned
//    one (image=NAME@V) or the newest (image=NAME, "floating");
//  - configured zones and installed copy zones use no version.
struct ZoneUse {
    std::string zone;
    std::string image;
    unsigned version = 0; // 0: names the image, uses no version
    bool floating = false;
    bool installed = false;
};

// A zone whose root is mounted runs the configuration it booted with, which
// may name another image than its committed one.
config::ZoneConfig effective_config(const Zone& z, bool mounted) {
    if (mounted && !z.status.booted_config.empty()) {
        auto j = api::json::parse(z.status.booted_config, nullptr, false);
        if (!j.is_discarded())
            if (auto cfg = config::from_json(j); cfg) return std::move(cfg).value();
    }
    return z.config;
}

// `strict`: a zone busy for more than 5 s is an error (gc, remove must not
// guess); otherwise it is left out (list, info).
Result<std::vector<ZoneUse>> zone_uses(Call& c, const images::Store& store, bool strict = true) {
    std::vector<ZoneUse> out;
    for (auto& zp : c.daemon.registry().all()) {
        auto lk = ZoneLock::acquire(zp, std::chrono::seconds(5));
        if (!lk) {
            if (!strict) continue;
            return make_error(api::code::kBusy,
                              "zone '" + zp->name +
                                  "' is busy: cannot tell which image versions it uses");
        }
        Zone& z = **lk;
        if (!z.exists) continue;
        ZoneState s = z.status.state;
        bool mounted = s == ZoneState::Ready || s == ZoneState::Running ||
                       s == ZoneState::ShuttingDown || s == ZoneState::Down;
        config::ZoneConfig cfg = effective_config(z, mounted);
        auto use =
            image_use(s, cfg.get_or("image", ""), cfg.get_or("root-type", "overlay") == "copy",
                      z.status.image_version, [&](const config::ImageRef& r) {
                          auto v = store.resolve(r.name, r.version);
                          return v ? v->manifest.version : 0u;
                      });
        if (!use) continue;
        ZoneUse u{z.name, use->image, use->version, use->floating, use->installed};
        out.push_back(std::move(u));
    }
    return out;
}

images::Users users_of(const std::vector<ZoneUse>& uses, const std::string& image) {
    images::Users users;
    for (const auto& u : uses)
        if (u.image == image && u.version) users[u.version].push_back(u.zone);
    return users;
}

std::string join_names(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v)
        out += (out.empty() ? "" : ", ") + s;
    return out;
}

api::json version_json(const images::ImageVersion& v, const images::Users* users,
                       const std::map<std::string, unsigned>* tags) {
    api::json j = images::to_json(v.manifest);
    j["rootfs"] = v.rootfs;
    api::json zones = api::json::array(), t = api::json::array();
    if (users)
        if (auto it = users->find(v.manifest.version); it != users->end())
            for (const auto& z : it->second)
                zones.push_back(z);
    if (tags)
        for (const auto& [name, ver] : *tags)
            if (ver == v.manifest.version) t.push_back(name);
    j["zones"] = zones;
    j["tags"] = t;
    return j;
}

// "version" (0 or absent: the newest), or "version_tag": the version a tag
// of image `name` points at.
Result<unsigned> param_version(Call& c, const std::string& name) {
    const api::json& params = c.params;
    if (params.contains("version_tag")) {
        TRY(tag, api::param_string(params, "version_tag"));
        TRY(tags, image_store(c).tags(name));
        auto it = tags.find(tag);
        if (it == tags.end())
            return make_error(api::code::kNotFound, "image '" + name + "' has no tag '" + tag + "'");
        return it->second;
    }
    TRY(version, api::param_int(params, "version", 0));
    if (version < 0 || version > INT_MAX)
        return make_error(api::code::kInvalidParams,
                          "parameter 'version' must be 0 (the newest) or a version number");
    return static_cast<unsigned>(version);
}

// ---- build ---------------------------------------------------------------------

// zone:NAME: the zone's file system as it is now (its image version plus its
// own changes), read through a detached read-only overlay of its upper over
// its lower, with the zone frozen for the whole read and thawed after, even
// on error. The zone's lock is held too: no boot, halt or uninstall meanwhile.
Result<images::ImageVersion> build_from_zone(Call& c, const std::string& name,
                                             const std::string& zone_name) {
    auto zp = c.daemon.registry().find(zone_name);
    if (!zp) return std::move(zp).error();
    TRY(lk, ZoneLock::acquire(*zp));
    Zone& z = *lk;
    if (!z.exists) return make_error(api::code::kNotFound, "no zone named '" + zone_name + "'");
    ZoneState s = z.status.state;
    if (s == ZoneState::Configured || s == ZoneState::Incomplete)
        return make_error(api::code::kBadState, "zone '" + zone_name + "' is " +
                                                    std::string(to_string(s)) +
                                                    ": it has no file system yet");
    const std::string dir = c.daemon.paths().zone_dir(zone_name);
    bool running = s == ZoneState::Running || s == ZoneState::Ready || s == ZoneState::ShuttingDown;
    config::ZoneConfig cfg = effective_config(z, running);
    bool copy = cfg.get_or("root-type", "overlay") == "copy";
    std::vector<std::string> layers;
    unsigned parent = 0;
    if (copy) {
        layers.push_back(dir + "/rootfs");
    } else {
        TRY(ref, config::parse_image_ref(cfg.get_or("image", "")));
        unsigned v = running ? z.status.image_version : ref.version;
        TRY(img, c.daemon.images().resolve(ref.name, v));
        layers = {dir + "/upper", img.rootfs};
        if (ref.name == name) parent = img.manifest.version;
    }
    std::optional<cg::Cgroup> cgroup;
    if (running && !z.status.cgroup.empty()) {
        TRY(g, cg::Cgroup::open(z.status.cgroup));
        cgroup = std::move(g);
    }
    auto fill = [&](int rootfd, const std::string&, unsigned) -> Result<void> {
        if (cgroup) {
            send_progress(&c, "freezing zone '" + zone_name + "'");
            TRY_VOID(cgroup->freeze(true));
        }
        ScopeExit thaw([&] {
            if (!cgroup) return;
            if (auto r = cgroup->freeze(false); !r)
                ZLOG_ERROR("zone=%s thawing after an image build: %s", zone_name.c_str(),
                           r.error().message().c_str());
        });
        std::string what = "zone '" + zone_name + "'";
        if (layers.size() == 1) {
            TRY(d, fs::open_dir(layers[0]));
            return images::tree::copy_tree(d.get(), rootfd, what, send_progress, &c);
        }
        // Files the zone never changed are the image version's own (the
        // inode check in copy_tree_linking holds whatever options the
        // zone's overlay has): shared, not copied.
        TRY(m, images::mount_layers(layers));
        TRY(upper, fs::open_dir(layers[0]));
        TRY(lower, fs::open_dir(layers[1]));
        images::tree::LinkFrom from{lower.get(), upper.get()};
        return images::tree::copy_tree_linking(m.get(), rootfd, from, what, send_progress, &c);
    };
    return c.daemon.images().create(name, images::NewVersion{"zone:" + zone_name, parent, 0, ""},
                                    fill, send_progress, &c);
}

// Builds of one name are serialized by the store's flock; builds of
// different names run side by side.
Result<api::json> image_build(Call& c) {
    TRY(name, api::param_string(c.params, "name"));
    TRY(from, api::param_string(c.params, "from"));
    TRY(devices, api::param_bool(c.params, "allow_devices", false));
    TRY_VOID(images::Store::check_name(name)); // before the name reaches the log
    ZLOG_INFO("image=%s build from '%s' requested by uid %u", name.c_str(), from.c_str(),
              c.peer.uid);
    Result<images::ImageVersion> v = make_error("EINVAL", "");
    if (from.rfind("zone:", 0) == 0) {
        v = build_from_zone(c, name, from.substr(5));
    } else {
        images::BuildOptions opts;
        opts.allow_devices = devices;
        if (!c.fds.empty()) opts.source_fd = c.fds[0].get();
        v = image_store(c).build(name, from, send_progress, &c, opts);
    }
    if (!v) return std::move(v).error();
    ZLOG_INFO("image=%s version %u built (%llu bytes)", name.c_str(), v->manifest.version,
              v->manifest.size);
    return version_json(*v, nullptr, nullptr);
}

// ---- patch ---------------------------------------------------------------------

// The command runs over the newest version in a throw-away overlay inside
// the new version's build directory, under the image's build lock (so the
// newest stays the newest); exit 0 commits lower + upper, merged by
// overlayfs itself (whiteouts applied), as the next version.
Result<api::json> image_patch(Call& c) {
    TRY(name, api::param_string(c.params, "name"));
    TRY_VOID(images::Store::check_name(name));
    auto it = c.params.find("argv");
    if (it == c.params.end() || !it->is_array() || it->empty())
        return make_error(api::code::kInvalidParams,
                          "parameter 'argv' must be a non-empty array of strings");
    std::vector<std::string> argv;
    for (const auto& a : *it) {
        if (!a.is_string())
            return make_error(api::code::kInvalidParams, "parameter 'argv' must hold strings");
        argv.push_back(a.get<std::string>());
    }
    TRY(base, c.daemon.images().resolve(name, 0));
    std::string cmdline = join_names(argv);
    ZLOG_INFO("image=%s patch of version %u by uid %u: %s", name.c_str(), base.manifest.version,
              c.peer.uid, cmdline.c_str());
    std::string label;
    for (const auto& a : argv)
        label += (label.empty() ? "" : " ") + a;
    auto fill = [&](int rootfd, const std::string& rootfs, unsigned) -> Result<void> {
        TRY(now, c.daemon.images().resolve(name, 0));
        if (now.manifest.version != base.manifest.version)
            return make_error(api::code::kBusy, "image '" + name + "' got version " +
                                                    std::to_string(now.manifest.version) +
                                                    " while the patch waited; run it again");
        std::string scratch = fs::dirname(rootfs) + "/patch";
        PatchRun run{base.rootfs, scratch + "/upper", scratch + "/work", scratch + "/root", argv};
        for (const auto& d : {scratch, run.upper, run.work, run.mountpoint})
            if (::mkdir(d.c_str(), 0700) < 0) return sys_error("mkdir(" + d + ")");
        ScopeExit drop([&] { (void)fs::remove_tree(scratch); });
        send_progress(&c, "running '" + label + "' over " + name + "@" +
                              std::to_string(base.manifest.version));
        TRY(status, run_patch_command(run, send_progress, &c));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            return make_error(
                "EIO", "the patch command '" + label + "' " +
                           (WIFEXITED(status)
                                ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                : "was killed by signal " + std::to_string(WTERMSIG(status))) +
                           "; nothing was committed");
        clean_patch_upper(run);
        send_progress(&c, "merging the changes into a new version");
        TRY(merged, images::mount_layers({run.upper, base.rootfs}));
        TRY(lower, fs::open_dir(base.rootfs));
        TRY(upper, fs::open_dir(run.upper));
        images::tree::LinkFrom from{lower.get(), upper.get()};
        return images::tree::copy_tree_linking(merged.get(), rootfd, from, "patched tree",
                                               send_progress, &c);
    };
    TRY(v, c.daemon.images().create(
               name, images::NewVersion{"patch:" + label, base.manifest.version, 0, ""}, fill,
               send_progress, &c));
    ZLOG_INFO("image=%s version %u committed by patch", name.c_str(), v.manifest.version);
    return version_json(v, nullptr, nullptr);
}

// ---- list, info ------------------------------------------------------------------

Result<api::json> image_list(Call& c) {
    auto store = image_store(c);
    TRY(all, store.list());
    TRY(uses, zone_uses(c, store, /*strict=*/false));
    api::json out = api::json::array();
    std::map<std::string, std::map<std::string, unsigned>> tags;
    for (const auto& v : all) {
        const std::string& n = v.manifest.name;
        if (!tags.count(n)) {
            auto t = store.tags(n);
            tags[n] = t ? *t : std::map<std::string, unsigned>{};
        }
        auto users = users_of(uses, n);
        out.push_back(version_json(v, &users, &tags[n]));
    }
    return api::json{{"images", out}};
}

Result<api::json> image_info(Call& c) {
    TRY(name, api::param_string(c.params, "name"));
    TRY(version, param_version(c, name));
    auto store = image_store(c);
    TRY(v, store.resolve(name, version));
    TRY(uses, zone_uses(c, store, /*strict=*/false));
    TRY(tags, store.tags(name));
    auto users = users_of(uses, name);
    api::json j = version_json(v, &users, &tags);
    TRY(all, store.versions(name));
    j["newest"] = all.back().manifest.version;
    return j;
}

// ---- tag, remove, gc -------------------------------------------------------------

Result<api::json> image_tag(Call& c) {
    TRY(name, api::param_string(c.params, "name"));
    TRY(tag, api::param_string(c.params, "tag"));
    TRY(remove, api::param_bool(c.params, "remove", false));
    if (remove) {
        TRY_VOID(image_store(c).untag(name, tag));
        return api::json{{"name", name}, {"tag", tag}, {"removed", true}};
    }
    TRY(version, param_version(c, name));
    TRY_VOID(image_store(c).tag(name, version, tag));
    TRY(v, image_store(c).resolve(name, version));
    return api::json{{"name", name}, {"tag", tag}, {"version", v.manifest.version}};
}

Result<api::json> image_remove(Call& c) {
    TRY(name, api::param_string(c.params, "name"));
    TRY(version, param_version(c, name));
    auto store = image_store(c);
    TRY(all, store.versions(name));
    TRY(uses, zone_uses(c, store));
    std::vector<std::string> zones;
    if (version == 0) { // the whole image
        for (const auto& u : uses)
            if (u.image == name && u.installed) zones.push_back(u.zone);
        if (!zones.empty())
            return make_error(api::code::kBusy,
                              "image '" + name + "' is in use by zone(s) " + join_names(zones) +
                                  "; uninstall them or point them at another image first");
        TRY_VOID(store.remove_image(name));
        ZLOG_INFO("image=%s removed by uid %u", name.c_str(), c.peer.uid);
        return api::json{{"name", name}, {"removed", "all"}};
    }
    TRY(v, store.resolve(name, version));
    for (const auto& u : uses)
        if (u.image == name && u.version == version) zones.push_back(u.zone);
    if (!zones.empty())
        return make_error(api::code::kBusy, "image '" + name + "' version " +
                                                std::to_string(version) + " is in use by zone(s) " +
                                                join_names(zones));
    if (version == all.back().manifest.version) {
        for (const auto& u : uses)
            if (u.image == name && u.floating && u.installed) zones.push_back(u.zone);
        if (!zones.empty())
            return make_error(api::code::kBusy,
                              "version " + std::to_string(version) + " is the newest of image '" +
                                  name + "', which zone(s) " + join_names(zones) +
                                  " boot on; they would go back to an older version");
    }
    TRY_VOID(store.remove_version(name, v.manifest.version));
    ZLOG_INFO("image=%s version %u removed by uid %u", name.c_str(), version, c.peer.uid);
    return api::json{{"name", name}, {"removed", version}};
}

Result<api::json> image_gc(Call& c) {
    TRY(dry, api::param_bool(c.params, "dry_run", false));
    auto store = image_store(c);
    std::vector<std::string> names;
    if (c.params.contains("name")) {
        TRY(n, api::param_string(c.params, "name"));
        names.push_back(n);
    } else {
        TRY(all, store.names());
        names = std::move(all);
    }
    TRY(uses, zone_uses(c, store));
    api::json out = api::json::array();
    for (const auto& n : names) {
        auto decisions = store.gc(n, users_of(uses, n), dry);
        if (!decisions) {
            if (decisions.error().code == images::kCodeNotFound && !c.params.contains("name"))
                continue;
            return std::move(decisions).error();
        }
        for (const auto& d : *decisions)
            out.push_back({{"name", n},
                           {"version", d.version},
                           {"removed", d.remove && !dry},
                           {"would_remove", d.remove},
                           {"why", d.why}});
    }
    return api::json{{"versions", out}};
}

// ---- export, import --------------------------------------------------------------

// The file is the client's: it sends an fd opened for writing (export) or
// reading (import), so the daemon writes and reads only what the caller may.
Result<api::json> image_export(Call& c) {
    TRY(name, api::param_string(c.params, "name"));
    TRY(version, param_version(c, name));
    if (c.fds.size() != 1)
        return make_error(api::code::kInvalidParams,
                          "image.export needs one fd: the file to write");
    TRY(v, image_store(c).resolve(name, version));
    TRY(root, fs::open_dir(v.rootfs));
    std::string what = name + "@" + std::to_string(v.manifest.version);
    send_progress(&c, "exporting " + what);
    TRY(st, images::export_version(root.get(), images::to_json(v.manifest).dump(2) + "\n",
                                   c.fds[0].get(), what, send_progress, &c));
    struct stat fst {};
    (void)::fstat(c.fds[0].get(), &fst);
    return api::json{{"name", name},
                     {"version", v.manifest.version},
                     {"digest", v.manifest.digest},
                     {"entries", st.entries},
                     {"bytes", st.bytes},
                     {"file_size", fst.st_size}};
}

Result<api::json> image_import(Call& c) {
    if (c.fds.size() != 1)
        return make_error(api::code::kInvalidParams, "image.import needs one fd: the file to read");
    int fd = c.fds[0].get();
    TRY(text, images::read_export_manifest(fd, "import"));
    TRY(m, images::parse_manifest(text));
    if (m.digest.empty())
        return make_error(images::kCodeInvalid,
                          "import: the manifest has no digest to verify against");
    std::string name = m.name;
    if (c.params.contains("name")) {
        TRY(n, api::param_string(c.params, "name"));
        name = n;
    }
    TRY_VOID(images::Store::check_name(name));
    if (auto have = c.daemon.images().resolve(name, m.version); have) {
        if (have->manifest.digest == m.digest)
            return api::json{
                {"name", name}, {"version", m.version}, {"digest", m.digest}, {"already", true}};
        return make_error(api::code::kExists,
                          "image '" + name + "' version " + std::to_string(m.version) +
                              " exists with other content (" + have->manifest.digest + ")");
    }
    if (::lseek(fd, 0, SEEK_SET) < 0)
        return sys_error("lseek(import file)")
            .wrap("import reads the file twice: give a file, not a pipe");
    TRY(devices, api::param_bool(c.params, "allow_devices", false));
    auto fill = [&](int rootfd, const std::string&, unsigned) -> Result<void> {
        images::UnpackOptions o;
        o.prefix = "rootfs";
        o.allow_devices = devices;
        TRY(st, images::unpack_archive_fd(fd, rootfd, "import", o, send_progress, &c));
        send_progress(&c,
                      "unpacked " + std::to_string(st.entries) + " entries; verifying the digest");
        return ok();
    };
    images::NewVersion nv{m.source, m.parent, m.version, m.digest};
    TRY(v, c.daemon.images().create(name, nv, fill, send_progress, &c));
    ZLOG_INFO("image=%s version %u imported by uid %u", name.c_str(), v.manifest.version,
              c.peer.uid);
    return api::json{{"name", name},
                     {"version", v.manifest.version},
                     {"digest", v.manifest.digest},
                     {"already", false}};
}

} // namespace

std::vector<Method> image_methods() {
    return {
        {"image.build", Access::Admin, image_build},
        {"image.list", Access::Anyone, image_list},
        {"image.info", Access::Anyone, image_info},
        {"image.tag", Access::Admin, image_tag},
        {"image.remove", Access::Admin, image_remove},
        {"image.gc", Access::Admin, image_gc},
        {"image.patch", Access::Admin, image_patch},
        {"image.export", Access::Admin, image_export},
        {"image.import", Access::Admin, image_import},
    };
}

} // namespace zone
