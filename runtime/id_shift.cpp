#include "runtime/id_shift.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/common/fd.hpp"
#include "runtime/common/fs.hpp"

namespace zone::userns {

uint32_t shift_id(uint32_t id, uint32_t from, uint32_t to, uint32_t size) {
    return id >= from && id - from < size ? to + (id - from) : id;
}

namespace {

struct Shift {
    uint32_t from, to, size;
    dev_t dev;
};

Result<void> shift_entry(int dirfd, const char* name, const struct stat& st, const Shift& s,
                         const std::string& where) {
    uid_t uid = shift_id(st.st_uid, s.from, s.to, s.size);
    gid_t gid = shift_id(st.st_gid, s.from, s.to, s.size);
    if (uid == st.st_uid && gid == st.st_gid) return ok();
    if (::fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW | (*name ? 0 : AT_EMPTY_PATH)) < 0)
        return sys_error("chown(" + where + ", " + std::to_string(uid) + ":" + std::to_string(gid) +
                         ")");
    // chown clears setuid and setgid on files: put them back (now for the
    // zone's own ids, which is what they meant inside).
    if (!S_ISLNK(st.st_mode) && !S_ISDIR(st.st_mode) && (st.st_mode & (S_ISUID | S_ISGID))) {
        int r = *name ? ::fchmodat(dirfd, name, st.st_mode & 07777, 0)
                      : ::fchmod(dirfd, st.st_mode & 07777);
        if (r < 0) return sys_error("chmod(" + where + ")");
    }
    return ok();
}

Result<void> shift_children(int dirfd, const Shift& s, const std::string& where) {
    TRY(names, fs::list_dir(dirfd, where));
    for (const auto& name : names) {
        std::string sub = where + "/" + name;
        struct stat st;
        if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
            return sys_error("stat(" + sub + ")");
        TRY_VOID(shift_entry(dirfd, name.c_str(), st, s, sub));
        if (!S_ISDIR(st.st_mode) || st.st_dev != s.dev) continue;
        UniqueFd child(
            ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!child) return sys_error("open(" + sub + ")");
        TRY_VOID(shift_children(child.get(), s, sub));
    }
    return ok();
}

} // namespace

Result<void> shift_tree(const std::string& dir, uint32_t from, uint32_t to, uint32_t size) {
    if (from == to || size == 0) return ok();
    UniqueFd top(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!top) return sys_error("open(" + dir + ")");
    struct stat st;
    if (::fstat(top.get(), &st) < 0) return sys_error("stat(" + dir + ")");
    Shift s{from, to, size, st.st_dev};
    TRY_VOID(shift_entry(top.get(), "", st, s, dir));
    return shift_children(top.get(), s, dir);
}

} // namespace zone::userns
