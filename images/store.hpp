// The gold image store: <root>/images/<name>/<version>/{rootfs/,manifest.json}.
// Versions are immutable once committed; a version directory appears only
// complete (built under a temporary name, then renamed into place).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/common/error.hpp"

namespace zone::images {

struct Manifest {
    std::string name;
    unsigned version = 0;
    std::string source;        // "busybox", "tar:/path", ...
    unsigned parent = 0;       // version this one was derived from, 0 = none
    std::string created;       // RFC 3339 UTC
    unsigned long long size = 0;  // bytes of regular files in rootfs
    std::string digest;        // content digest, "" when not computed
};

nlohmann::json to_json(const Manifest& m);
Result<Manifest> manifest_from_json(const nlohmann::json& j);

struct ImageVersion {
    Manifest manifest;
    std::string dir;     // <root>/images/<name>/<version>
    std::string rootfs;  // <dir>/rootfs
};

// Progress of a long build: one short line at a time ("copying busybox").
using ProgressFn = void (*)(void* ctx, const std::string& line);

class Store {
  public:
    explicit Store(std::string images_dir) : dir_(std::move(images_dir)) {}
    const std::string& dir() const { return dir_; }

    // Image names follow zone names: [A-Za-z0-9][A-Za-z0-9_.-]{0,62}.
    static Result<void> check_name(const std::string& name);

    Result<std::vector<ImageVersion>> list() const;                 // every version of every image
    Result<std::vector<ImageVersion>> versions(const std::string& name) const;  // ascending
    // version 0 = the newest one. NOT_FOUND error (code "NOT_FOUND") when absent.
    Result<ImageVersion> resolve(const std::string& name, unsigned version) const;

    // Builds the next version of `name` from `source` ("busybox").
    Result<ImageVersion> build(const std::string& name, const std::string& source,
                               ProgressFn progress = nullptr, void* ctx = nullptr) const;

  private:
    std::string dir_;
};

} // namespace zone::images
