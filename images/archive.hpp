// Archives in and out of the store, through libarchive: a tarball (plain,
// gzip, xz, zstd, ...) unpacked into a new version, the layers of an OCI
// image layout, and the export/import format of a version (.tar.zst).
//
// Unpacking never trusts the archive: names are split and checked
// (tree::split_member), every parent directory is opened below the new root
// with O_NOFOLLOW one component at a time (a symlink on the way is refused),
// hardlinks must point at an entry already unpacked inside the root, and
// device nodes are refused unless the caller allows them.
#pragma once

#include <set>
#include <string>

#include "images/store.hpp"
#include "runtime/common/error.hpp"

namespace zone::images {

struct UnpackOptions {
    bool allow_devices = false; // create char/block device nodes instead of refusing them
    bool whiteouts = false;     // OCI layer: ".wh.X" deletes X, ".wh..wh..opq" empties its dir
    std::string prefix;         // only members below this directory ("rootfs"), stripped
};

struct UnpackStats {
    unsigned long long entries = 0;
    unsigned long long bytes = 0;
};

// Unpacks the archive readable on `fd` (any format and compression libarchive
// knows) into the directory `rootfd`. `what` names the archive in errors.
Result<UnpackStats> unpack_archive_fd(int fd, int rootfd, const std::string& what,
                                      const UnpackOptions& opts, ProgressFn fn = nullptr,
                                      void* ctx = nullptr);

// An OCI image layout (https://github.com/opencontainers/image-spec,
// image-layout.md) in the directory `layoutfd`: index.json -> the first
// manifest (or the one whose org.opencontainers.image.ref.name annotation is
// `ref`, when given) -> its layers, applied in order with whiteouts. Blob
// digests (sha256) are checked before use.
Result<UnpackStats> unpack_oci_layout(int layoutfd, int rootfd, const std::string& what,
                                      const std::string& ref, bool allow_devices,
                                      ProgressFn fn = nullptr, void* ctx = nullptr);

// Writes `manifest_json` as "manifest.json", then the tree `rootfd` below
// "rootfs/", as a pax tar compressed with zstd, to `outfd`.
Result<UnpackStats> export_version(int rootfd, const std::string& manifest_json, int outfd,
                                   const std::string& what, ProgressFn fn = nullptr,
                                   void* ctx = nullptr);

// Reads only the leading "manifest.json" of an exported version.
Result<std::string> read_export_manifest(int fd, const std::string& what);

// sha256 of everything readable from `fd` (from its current offset), hex.
Result<std::string> sha256_fd(int fd, const std::string& what);

} // namespace zone::images
