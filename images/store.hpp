// The gold image store: <root>/images/<name>/<version>/{rootfs/,manifest.json}.
// Versions are immutable once committed; a version directory appears only
// complete (built under a temporary name, then renamed into place).
//
//   <images_dir>/<name>/.lock          flock'ed by a build of <name> for its whole length
//   <images_dir>/<name>/.build-XXXXXX  a build in progress (stale ones: removed by the next build)
//   <images_dir>/<name>/<N>/           a committed version, N = 1, 2, 3, ...
#pragma once

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
using ProgressFn = void (*)(void* ctx, const std::string& line);

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
    Result<ImageVersion> build(const std::string& name, const std::string& source,
                               ProgressFn progress = nullptr, void* ctx = nullptr) const;

    // The host binary the "busybox" source copies; settable for tests.
    void set_busybox_path(std::string path) { busybox_ = std::move(path); }

  private:
    std::string name_dir(const std::string& name) const { return dir_ + "/" + name; }
    ImageVersion make_version(Manifest m) const;

    std::string dir_;
    std::string busybox_ = "/bin/busybox";
};

} // namespace zone::images
