#include "layers.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace zone::images {

namespace {

int sys_fsopen(const char* fs, unsigned flags) {
    return static_cast<int>(::syscall(SYS_fsopen, fs, flags));
}
int sys_fsconfig(int fd, unsigned cmd, const char* key, const void* value, int aux) {
    return static_cast<int>(::syscall(SYS_fsconfig, fd, cmd, key, value, aux));
}
int sys_fsmount(int fd, unsigned flags, unsigned attrs) {
    return static_cast<int>(::syscall(SYS_fsmount, fd, flags, attrs));
}

} // namespace

Result<UniqueFd> mount_layers(const std::vector<std::string>& top_first) {
    if (top_first.size() < 2)
        return make_error("EINVAL", "an overlay of layers needs at least two of them");
    UniqueFd fs(sys_fsopen("overlay", FSOPEN_CLOEXEC));
    if (!fs) return sys_error("fsopen(overlay)");
    std::string joined;
    for (const auto& l : top_first) {
        if (l.find_first_of(":,\\") != std::string::npos)
            return make_error("EINVAL", "layer path '" + l + "' contains ':', ',' or '\\'");
        joined += (joined.empty() ? "" : ":") + l;
    }
    // index=off: a zone's upper may be read here while its own overlay runs.
    if (sys_fsconfig(fs.get(), FSCONFIG_SET_STRING, "index", "off", 0) < 0 && errno != EINVAL)
        return sys_error("fsconfig(overlay, index=off)");
    for (const char* opt : {"redirect_dir", "metacopy"})
        if (sys_fsconfig(fs.get(), FSCONFIG_SET_STRING, opt, "off", 0) < 0)
            return sys_error(std::string("fsconfig(overlay, ") + opt + "=off)");
    if (sys_fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir", joined.c_str(), 0) < 0)
        return sys_error("fsconfig(overlay, lowerdir=" + joined + ")");
    if (sys_fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
        return sys_error("fsconfig(overlay, create, lowerdir=" + joined + ")");
    UniqueFd mnt(
        sys_fsmount(fs.get(), FSMOUNT_CLOEXEC,
                    MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
    if (!mnt) return sys_error("fsmount(overlay, lowerdir=" + joined + ")");
    // fsmount gives an O_PATH fd; a readable one keeps the detached mount
    // alive by itself (closing the O_PATH fd is a lazy unmount).
    UniqueFd dir(::openat(mnt.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return sys_error("open(overlay of " + joined + ")");
    return dir;
}

} // namespace zone::images
