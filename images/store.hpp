// The gold image store: <root>/images/<name>/<version>/{rootfs/,manifest.json}.
// Versions are immutable once committed; a version directory appears only
// complete (built under a temporary name, then renamed into place).
//
//   <images_dir>/<name>/.lock          flock'ed by a build of <name> for its whole length
//   <images_dir>/<name>/.build-XXXXXX  a build in progress (stale ones: removed by the next build)
//   <images_dir>/<name>/<N>/           a committed version, N = 1, 2, 3, ...
//   <images_dir>/<name>/tags.json      {"TAG": N, ...}
//   <images_dir>/<name>/.last          the highest version ever committed (never reused)
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/common/error.hpp"

namespace zone::images {

// Error codes of this module (the same strings as the wire protocol's).
inline constexpr const char* kCodeNotFound = "NOT_FOUND";
inline constexpr const char* kCodeInvalid = "EINVAL";

struct Manifest {
    std::string name;
    unsigned version = 0;
    std::string source;          // "busybox", "tar:/path", ...
    unsigned parent = 0;         // version this one was derived from, 0 = none
    std::string created;         // RFC 3339 UTC
    unsigned long long size = 0; // bytes of regular files in rootfs
    std::string digest;          // content digest, "" when not computed
    bool operator==(const Manifest&) const = default;
};

nlohmann::json to_json(const Manifest& m);
Result<Manifest> manifest_from_json(const nlohmann::json& j);
// manifest.json's text -> Manifest; never throws.
Result<Manifest> parse_manifest(std::string_view text);

// "1", "2", ... -> the number; nullopt for anything else ("01", "0", "x", ".build-1").
std::optional<unsigned> parse_version_dir(std::string_view entry);

// Now, as RFC 3339 UTC: "2026-05-07T12:34:56Z".
std::string rfc3339_now();

struct ImageVersion {
    Manifest manifest;
    std::string dir;    // <root>/images/<name>/<version>
    std::string rootfs; // <dir>/rootfs
};

// Progress of a long build: one short line at a time ("copying busybox").
// A line that starts with '\r' (kTransient) only updates the current status
// ("unpacked 2000 entries"): a terminal overwrites it in place.
using ProgressFn = void (*)(void* ctx, const std::string& line);
inline constexpr char kTransient = '\r';

// Fills the empty root of a new version: `rootfd` is the directory (0755
// root:root), `rootfs` its path (for tools that take one, like debootstrap),
// `version` the number it will be committed as.
using Filler =
    std::function<Result<void>(int rootfd, const std::string& rootfs, unsigned version)>;

struct NewVersion {
    std::string source;        // the manifest's "source"
    unsigned parent = 0;       // version it derives from, 0 = none
    unsigned version = 0;      // 0 = the next one; else exactly this one (import)
    std::string expect_digest; // when set, the new tree must have this digest (import)
};

// What a build reads besides its source string.
struct BuildOptions {
    int source_fd = -1;          // tar: the archive; oci: the layout directory (else opened by path)
    bool allow_devices = false;  // keep device nodes of tar/oci sources instead of refusing them
};

// Which zones use which version of one image (derived from the zones' state
// and configuration by the daemon, never counted: docs/images.md).
using Users = std::map<unsigned, std::vector<std::string>>;

struct GcDecision {
    unsigned version = 0;
    bool remove = false;
    std::string why; // "newest", "tag stable", "used by zone web", "unused"
};

// Pure: gc keeps the newest version, every tagged one and every one in use;
// the rest goes. One decision per version, ascending.
std::vector<GcDecision> plan_gc(const std::vector<unsigned>& versions,
                                const std::map<std::string, unsigned>& tags, const Users& users);

// Tag names: like image names, but not all digits (so NAME@TAG never reads as a version).
Result<void> check_tag(const std::string& tag);

class Store {
  public:
    explicit Store(std::string images_dir) : dir_(std::move(images_dir)) {}
    const std::string& dir() const { return dir_; }

    // Image names follow zone names: [A-Za-z0-9][A-Za-z0-9_.-]{0,62}.
    static Result<void> check_name(const std::string& name);

    Result<std::vector<ImageVersion>> list() const; // every version of every image
    // Ascending. NOT_FOUND when the image has no committed version.
    Result<std::vector<ImageVersion>> versions(const std::string& name) const;
    // version 0 = the newest one. NOT_FOUND error (code "NOT_FOUND") when absent.
    Result<ImageVersion> resolve(const std::string& name, unsigned version) const;

    // Builds the next version of `name` from `source` ("busybox").
    // Builds of the same name are serialized (flock on <name>/.lock), across
    // threads and processes alike.
    // Sources: busybox, debootstrap[:SUITE], tar:FILE, oci:DIR (docs/images.md).
    Result<ImageVersion> build(const std::string& name, const std::string& source,
                               ProgressFn progress = nullptr, void* ctx = nullptr,
                               const BuildOptions& opts = {}) const;
    // The general form: a new version filled by `fill`, committed atomically
    // (size and digest computed) or, on any failure, not at all.
    Result<ImageVersion> create(const std::string& name, const NewVersion& nv, const Filler& fill,
                                ProgressFn progress = nullptr, void* ctx = nullptr) const;

    // Tags of an image (empty when none).
    Result<std::map<std::string, unsigned>> tags(const std::string& name) const;
    // Points `tag` at an existing version (moving it if it pointed elsewhere).
    Result<void> tag(const std::string& name, unsigned version, const std::string& tag) const;
    Result<void> untag(const std::string& name, const std::string& tag) const;

    // Removes one version (tags on it go too). The caller has checked that no
    // zone uses it. Atomic for readers: renamed away first, then deleted.
    Result<void> remove_version(const std::string& name, unsigned version) const;
    // Removes an image with all its versions and tags.
    Result<void> remove_image(const std::string& name) const;
    // Applies plan_gc to `name` with its users; returns the decisions taken.
    Result<std::vector<GcDecision>> gc(const std::string& name, const Users& users,
                                       bool dry_run = false) const;
    // Image names in the store, sorted.
    Result<std::vector<std::string>> names() const;

    // The host binary the "busybox" source copies; settable for tests.
    void set_busybox_path(std::string path) { busybox_ = std::move(path); }

  private:
    std::string name_dir(const std::string& name) const { return dir_ + "/" + name; }
    ImageVersion make_version(Manifest m) const;

    std::string dir_;
    std::string busybox_ = "/bin/busybox";
};

} // namespace zone::images
