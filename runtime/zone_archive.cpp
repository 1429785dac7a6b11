#include "zone_archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <climits>
#include <cstdlib>
#include <ctime>
#include <sys/stat.h>

#include "runtime/api/protocol.hpp"
#include "runtime/common/fs.hpp"

namespace zone::archive {

namespace {

inline constexpr size_t kMaxManifest = 1 << 20;

struct WriteFree {
    void operator()(struct ::archive* a) const noexcept { archive_write_free(a); }
};
struct ReadDiskFree {
    void operator()(struct ::archive* a) const noexcept { archive_read_free(a); }
};
struct EntryFree {
    void operator()(archive_entry* e) const noexcept { archive_entry_free(e); }
};
using Entry = std::unique_ptr<archive_entry, EntryFree>;

Error ar_error(struct ::archive* a, const std::string& op) {
    int e = archive_errno(a);
    const char* msg = archive_error_string(a);
    Error err = make_error("EIO", op + ": " + (msg ? msg : "libarchive error"));
    if (e > 0) err.err = e;
    return err;
}

Result<void> write_manifest(struct ::archive* out, const nlohmann::json& manifest) {
    std::string text = manifest.dump(2) + "\n";
    Entry e(archive_entry_new());
    archive_entry_set_pathname(e.get(), kManifestEntry);
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0600);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(text.size()));
    archive_entry_set_mtime(e.get(), std::time(nullptr), 0);
    if (archive_write_header(out, e.get()) != ARCHIVE_OK) return ar_error(out, "writing zone.json");
    if (archive_write_data(out, text.data(), text.size()) != static_cast<la_ssize_t>(text.size()))
        return ar_error(out, "writing zone.json");
    return ok();
}

// One entry of the tree read from disk, renamed below `prefix`, with its data.
Result<void> copy_disk_entry(struct ::archive* disk, struct ::archive* out, archive_entry* e,
                             const std::string& root, const std::string& prefix) {
    std::string path = archive_entry_pathname(e);
    std::string rel = path.size() > root.size() ? path.substr(root.size()) : "";
    archive_entry_set_pathname(e, (prefix + rel).c_str());
    if (archive_write_header(out, e) < ARCHIVE_WARN) return ar_error(out, "writing " + path);
    if (archive_entry_filetype(e) != AE_IFREG) return ok();
    char buf[1 << 16];
    for (;;) {
        la_ssize_t n = archive_read_data(disk, buf, sizeof buf);
        if (n < 0) return ar_error(disk, "reading " + path);
        if (n == 0) break;
        if (archive_write_data(out, buf, static_cast<size_t>(n)) != n) return ar_error(out, "writing " + path);
    }
    return ok();
}

} // namespace

bool entry_below(const std::string& name, const std::string& prefix, std::string& rel) {
    std::string n = name;
    while (n.size() > 1 && n.back() == '/') n.pop_back();  // "upper/" for a directory
    if (n == prefix) {
        rel.clear();
        return true;
    }
    if (n.rfind(prefix + "/", 0) != 0) return false;
    rel = n.substr(prefix.size() + 1);
    size_t pos = 0;
    while (pos <= rel.size()) {
        size_t slash = rel.find('/', pos);
        if (slash == std::string::npos) slash = rel.size();
        std::string part = rel.substr(pos, slash - pos);
        if (part.empty() || part == "." || part == "..") return false;
        pos = slash + 1;
    }
    return true;
}

Result<void> write_zone_archive(int fd, const nlohmann::json& manifest, const std::string& files_dir,
                                const std::string& prefix) {
    std::unique_ptr<struct ::archive, WriteFree> out(archive_write_new());
    if (!out) return make_error("ENOMEM", "archive_write_new");
    if (archive_write_add_filter_zstd(out.get()) != ARCHIVE_OK ||
        archive_write_set_format_pax_restricted(out.get()) != ARCHIVE_OK ||
        archive_write_open_fd(out.get(), fd) != ARCHIVE_OK)
        return ar_error(out.get(), "starting a .tar.zst");
    TRY_VOID(write_manifest(out.get(), manifest));

    std::unique_ptr<struct ::archive, ReadDiskFree> disk(archive_read_disk_new());
    if (!disk) return make_error("ENOMEM", "archive_read_disk_new");
    // Physical walk (a symlink is stored, never followed), numeric owners
    // (no name lookups: the ids are the zone's), one file system only.
    archive_read_disk_set_symlink_physical(disk.get());
    archive_read_disk_set_behavior(disk.get(), ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS |
                                                   ARCHIVE_READDISK_NO_FFLAGS);
    if (archive_read_disk_open(disk.get(), files_dir.c_str()) != ARCHIVE_OK)
        return ar_error(disk.get(), "reading " + files_dir);
    for (;;) {
        Entry e(archive_entry_new());
        int r = archive_read_next_header2(disk.get(), e.get());
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) return ar_error(disk.get(), "reading " + files_dir);
        archive_read_disk_descend(disk.get());
        TRY_VOID(copy_disk_entry(disk.get(), out.get(), e.get(), files_dir, prefix));
    }
    if (archive_write_close(out.get()) != ARCHIVE_OK) return ar_error(out.get(), "finishing the archive");
    return ok();
}

void ZoneArchiveReader::Free::operator()(struct ::archive* a) const noexcept { archive_read_free(a); }

Result<ZoneArchiveReader> ZoneArchiveReader::open(int fd) {
    ZoneArchiveReader r;
    r.ar_.reset(archive_read_new());
    struct ::archive* a = r.ar_.get();
    if (!a) return make_error("ENOMEM", "archive_read_new");
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) return ar_error(a, "opening the archive");
    archive_entry* e = nullptr;
    if (archive_read_next_header(a, &e) != ARCHIVE_OK) return ar_error(a, "reading the archive");
    if (std::string(archive_entry_pathname(e)) != kManifestEntry || archive_entry_size(e) < 0 ||
        static_cast<size_t>(archive_entry_size(e)) > kMaxManifest)
        return make_error(api::code::kInvalidParams,
                          "not a zone archive: its first entry is '" +
                              std::string(archive_entry_pathname(e)) + "', not a zone.json of at most 1 MiB");
    std::string text(static_cast<size_t>(archive_entry_size(e)), '\0');
    if (archive_read_data(a, text.data(), text.size()) != static_cast<la_ssize_t>(text.size()))
        return ar_error(a, "reading zone.json");
    r.manifest_ = nlohmann::json::parse(text, nullptr, false);
    if (r.manifest_.is_discarded() || !r.manifest_.is_object())
        return make_error(api::code::kInvalidParams, "not a zone archive: zone.json is not a JSON object");
    return r;
}

Result<void> ZoneArchiveReader::extract(const std::string& prefix, const std::string& dest) {
    struct ::archive* a = ar_.get();
    std::unique_ptr<struct ::archive, WriteFree> disk(archive_write_disk_new());
    if (!disk) return make_error("ENOMEM", "archive_write_disk_new");
    archive_write_disk_set_options(disk.get(), ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM |
                                                   ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
                                                   ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                   ARCHIVE_EXTRACT_SECURE_NODOTDOT);
    if (fs::exists(dest)) return sys_error(EEXIST, "extracting into " + dest);
    archive_entry* e = nullptr;
    for (;;) {
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) return ar_error(a, "reading the archive");
        std::string name = archive_entry_pathname(e), rel;
        if (!entry_below(name, prefix, rel))
            return make_error(api::code::kInvalidParams,
                              "archive entry '" + name + "' is not below '" + prefix + "/'; refused");
        mode_t type = archive_entry_filetype(e);
        if ((type == AE_IFCHR && archive_entry_rdev(e) != 0) || type == AE_IFBLK || type == AE_IFSOCK)
            return make_error(api::code::kInvalidParams,
                              "archive entry '" + name +
                                  "' is a device node; only overlay whiteouts (character device 0/0) are accepted");
        if (const char* link = archive_entry_hardlink(e)) {
            std::string lrel;
            if (!entry_below(link, prefix, lrel))
                return make_error(api::code::kInvalidParams, "archive entry '" + name +
                                                                 "' is a hard link to '" + link +
                                                                 "', outside '" + prefix + "/'; refused");
            archive_entry_set_hardlink(e, (dest + (lrel.empty() ? "" : "/" + lrel)).c_str());
        }
        archive_entry_set_pathname(e, (dest + (rel.empty() ? "" : "/" + rel)).c_str());
        if (archive_write_header(disk.get(), e) < ARCHIVE_WARN) return ar_error(disk.get(), "extracting " + name);
        const void* buf;
        size_t size;
        la_int64_t off;
        while ((r = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK)
            if (archive_write_data_block(disk.get(), buf, size, off) < ARCHIVE_WARN)
                return ar_error(disk.get(), "extracting " + name);
        if (r != ARCHIVE_EOF) return ar_error(a, "reading " + name);
        if (archive_write_finish_entry(disk.get()) < ARCHIVE_WARN) return ar_error(disk.get(), "extracting " + name);
    }
    if (archive_write_close(disk.get()) != ARCHIVE_OK) return ar_error(disk.get(), "finishing the extraction");
    if (!fs::exists(dest)) TRY_VOID(fs::mkdir_p(dest, 0755));
    return ok();
}

} // namespace zone::archive
