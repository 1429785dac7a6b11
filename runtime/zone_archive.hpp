// A zone archive: one .tar.zst (libarchive, pax format) that carries a zone
// from one zoned to another. The first entry is zone.json (the manifest: the
// configuration, the image name, version and digest the files sit on); the
// zone's own files follow under one prefix ("upper/" or "rootfs/") with
// owners, modes, times and extended attributes, so an overlay upper keeps
// its trusted.overlay.* marks and its 0/0 character-device whiteouts.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "runtime/common/error.hpp"

struct archive;

namespace zone::archive {

inline constexpr const char* kManifestEntry = "zone.json";

// Writes the archive to `fd` (a file or a pipe; not closed).
Result<void> write_zone_archive(int fd, const nlohmann::json& manifest, const std::string& files_dir,
                                const std::string& prefix);

class ZoneArchiveReader {
  public:
    // Reads the archive from `fd` up to its manifest, nothing more: a caller
    // checks the manifest before anything is written.
    static Result<ZoneArchiveReader> open(int fd);
    const nlohmann::json& manifest() const { return manifest_; }
    // Extracts the rest into `dest` (which must not exist): entries under
    // `prefix/` only. Refused, with the entry named: any other entry, a
    // path with "..", an absolute path, a hard link leaving the prefix, a
    // device node other than an overlay whiteout (character device 0/0).
    // Extraction never follows a symlink (ARCHIVE_EXTRACT_SECURE_SYMLINKS).
    Result<void> extract(const std::string& prefix, const std::string& dest);

  private:
    struct Free {
        void operator()(struct ::archive* a) const noexcept;
    };
    std::unique_ptr<struct ::archive, Free> ar_;
    nlohmann::json manifest_;
};

// Pure: `name` (an archive entry) below `prefix`, as the path relative to
// it ("" for the prefix itself); nullopt-like false when it is not below it
// or is not a clean relative path (absolute, "..", ".", empty components).
bool entry_below(const std::string& name, const std::string& prefix, std::string& rel);

} // namespace zone::archive
