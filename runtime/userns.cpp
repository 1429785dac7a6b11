// User namespaces of zones: id maps (pure), the parent side of the start
// sequence (maps, idmapped overlay root, lofs trees) and the child's receipt
// of sync #1.
#include "runtime/userns.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/common/fs.hpp"

namespace zone::userns {

std::string render_id_map(uint32_t base, uint32_t count) {
    return "0 " + std::to_string(base) + " " + std::to_string(count) + "\n";
}

Result<std::vector<IdMapLine>> parse_id_map(std::string_view text) {
    std::vector<IdMapLine> out;
    int lineno = 0;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        ++lineno;
        uint32_t v[3];
        int got = 0;
        size_t i = 0;
        while (got < 3) {
            while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
                ++i;
            auto [p, ec] = std::from_chars(line.data() + i, line.data() + line.size(), v[got]);
            if (ec != std::errc()) break;
            i = static_cast<size_t>(p - line.data());
            ++got;
        }
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
            ++i;
        if (got == 0 && i == line.size()) continue; // blank line
        if (got != 3 || i != line.size() || v[2] == 0)
            return make_error("EINVAL", "id map line " + std::to_string(lineno) + " '" +
                                            std::string(line) +
                                            "' is not 'INSIDE OUTSIDE COUNT' (COUNT > 0)");
        out.push_back(IdMapLine{v[0], v[1], v[2]});
    }
    return out;
}

std::optional<uint32_t> to_host(const std::vector<IdMapLine>& map, uint32_t inside) {
    for (const auto& l : map)
        if (inside >= l.inside && inside - l.inside < l.count)
            return l.outside + (inside - l.inside);
    return std::nullopt;
}

Result<std::vector<Handoff>> plan_handoff(const BootSpec& spec) {
    std::vector<Handoff> out;
    if (spec.root_type == "copy")
        out.push_back({Handoff::Kind::CopyRoot, spec.copy_root, 0});
    else
        out.push_back({Handoff::Kind::OverlayRoot, "", 0});
    for (size_t i = 0; i < spec.fs.size(); ++i)
        if (spec.fs[i].type != "tmpfs") out.push_back({Handoff::Kind::Lofs, spec.fs[i].special, i});
    if (out.size() > static_cast<size_t>(kMaxHandoff))
        return make_error("E2BIG", "a user-namespaced zone takes at most " +
                                       std::to_string(kMaxHandoff - 1) + " lofs file systems");
    return out;
}

// ---- parent side --------------------------------------------------------------

namespace {

Result<void> write_proc(pid_t pid, const char* file, const std::string& text) {
    std::string path = "/proc/" + std::to_string(pid) + "/" + file;
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return sys_error("open(" + path + ")");
    // The kernel takes a map in one write() only.
    ssize_t w = ::write(fd.get(), text.data(), text.size());
    if (w != static_cast<ssize_t>(text.size()))
        return sys_error(w < 0 ? errno : EIO,
                         "write(" + path + ", '" + text.substr(0, text.size() - 1) + "')");
    return ok();
}

Result<UniqueFd> clone_tree(const std::string& path, unsigned extra) {
    long fd = ::syscall(SYS_open_tree, AT_FDCWD, path.c_str(),
                        OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | extra);
    if (fd < 0) return sys_error("open_tree(" + path + ", OPEN_TREE_CLONE)");
    return UniqueFd(static_cast<int>(fd));
}

// The kernel's own words on a failed fsconfig (overlayfs says which layer
// and why), read from the fs context.
std::string fs_context_log(int fsfd) {
    std::string out;
    char buf[512];
    for (;;) {
        ssize_t n = ::read(fsfd, buf, sizeof buf - 1);
        if (n <= 0) break;
        if (!out.empty()) out += "; ";
        out.append(buf, static_cast<size_t>(n));
        while (!out.empty() && out.back() == '\n')
            out.pop_back();
    }
    return out;
}

Result<void> fs_set(int fsfd, const char* key, const std::string& value) {
    if (::syscall(SYS_fsconfig, fsfd, FSCONFIG_SET_STRING, key, value.c_str(), 0) < 0) {
        Error e = sys_error(std::string("fsconfig(overlay, ") + key + "=" + value + ")");
        std::string log = fs_context_log(fsfd);
        return log.empty() ? e : std::move(e).wrap(log);
    }
    return ok();
}

// The overlay root: lower = the image through a mount idmapped to the
// zone's user namespace, upper and work = the zone's own (the upper already
// shifted to the range by zoned). Made by the host's root, so the overlay
// keeps its trusted.* xattrs and needs no userxattr; detached until the
// child attaches it in its own mount namespace.
Result<UniqueFd> idmapped_overlay(const BootSpec& s, int userns_fd) {
    TRY(lower, clone_tree(s.lower, 0));
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = static_cast<uint64_t>(userns_fd);
    if (::syscall(SYS_mount_setattr, lower.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
        return sys_error("mount_setattr(" + s.lower + ", MOUNT_ATTR_IDMAP)")
            .wrap("the kernel cannot idmap the image (see docs/security.md for root-type=copy)");
    UniqueFd fsfd(static_cast<int>(::syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC)));
    if (!fsfd) return sys_error("fsopen(overlay)");
    TRY_VOID(fs_set(fsfd.get(), "lowerdir", "/proc/self/fd/" + std::to_string(lower.get())));
    TRY_VOID(fs_set(fsfd.get(), "upperdir", s.upper));
    TRY_VOID(fs_set(fsfd.get(), "workdir", s.work));
    if (::syscall(SYS_fsconfig, fsfd.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) {
        Error e = sys_error("fsconfig(overlay lower=" + s.lower + " (idmapped), upper=" + s.upper +
                            ", create)");
        std::string log = fs_context_log(fsfd.get());
        return log.empty() ? e : std::move(e).wrap(log);
    }
    long m = ::syscall(SYS_fsmount, fsfd.get(), FSMOUNT_CLOEXEC, 0);
    if (m < 0) return sys_error("fsmount(overlay)");
    return UniqueFd(static_cast<int>(m));
}

} // namespace

Result<void> write_maps_from_parent(pid_t child, uint32_t base, uint32_t count) {
    std::string map = render_id_map(base, count);
    TRY_VOID(write_proc(child, "uid_map", map));
    return write_proc(child, "gid_map", map);
}

Result<std::vector<UniqueFd>> build_mounts_from_parent(const BootSpec& spec, pid_t child) {
    TRY(plan, plan_handoff(spec));
    std::string ns = "/proc/" + std::to_string(child) + "/ns/user";
    UniqueFd userns_fd(::open(ns.c_str(), O_RDONLY | O_CLOEXEC));
    if (!userns_fd) return sys_error("open(" + ns + ")");
    std::vector<UniqueFd> out;
    for (const auto& h : plan) {
        switch (h.kind) {
        case Handoff::Kind::OverlayRoot: {
            TRY(root, idmapped_overlay(spec, userns_fd.get()));
            out.push_back(std::move(root));
            break;
        }
        case Handoff::Kind::CopyRoot: {
            TRY(root, clone_tree(h.path, 0));
            out.push_back(std::move(root));
            break;
        }
        case Handoff::Kind::Lofs:
            // Staged before clone (stage_lofs_before_clone), so that the
            // zone's copy is locked; its slot stays empty.
            break;
        }
    }
    return out;
}

std::string lofs_stage_path(const BootSpec& spec) {
    std::string mp = spec.mountpoint;
    while (mp.size() > 1 && mp.back() == '/') mp.pop_back();
    return mp + ".lofs";
}

void LofsStage::reset() {
    if (path_.empty()) return;
    ::umount2(path_.c_str(), MNT_DETACH);
    ::rmdir(path_.c_str());
    path_.clear();
}

Result<LofsStage> stage_lofs_before_clone(const BootSpec& spec) {
    bool any = false;
    for (const auto& f : spec.fs) any = any || f.type != "tmpfs";
    if (!spec.userns() || !any) return LofsStage{};
    std::string stage = lofs_stage_path(spec);
    // What a monitor that died here left behind.
    ::umount2(stage.c_str(), MNT_DETACH);
    if (::mkdir(stage.c_str(), 0700) < 0 && errno != EEXIST) return sys_error("mkdir(" + stage + ")");
    if (::mount("zone-lofs", stage.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                "mode=0755,size=16k") < 0) {
        Error e = sys_error("mount(tmpfs, " + stage + ")");
        ::rmdir(stage.c_str());
        return e;
    }
    LofsStage guard(stage);
    // Private: nothing staged propagates to the host's other namespaces, and
    // the zone's copy is not a slave that the unmount would reach.
    if (::mount(nullptr, stage.c_str(), nullptr, MS_PRIVATE, nullptr) < 0)
        return sys_error("mount --make-private " + stage);
    for (size_t i = 0; i < spec.fs.size(); ++i) {
        const FsSpec& f = spec.fs[i];
        if (f.type == "tmpfs") continue;
        // The host path resolved by the host's root (the zone's root may
        // not even search the directories above it); not idmapped: the
        // host's files keep their owners, unmapped ones show as nobody.
        TRY(tree, clone_tree(f.special, AT_RECURSIVE));
        mount_attr attr{};
        if (f.readonly) attr.attr_set |= MOUNT_ATTR_RDONLY;
        if (f.flags & MS_NOSUID) attr.attr_set |= MOUNT_ATTR_NOSUID;
        if (f.flags & MS_NODEV) attr.attr_set |= MOUNT_ATTR_NODEV;
        if (f.flags & MS_NOEXEC) attr.attr_set |= MOUNT_ATTR_NOEXEC;
        attr.propagation = MS_PRIVATE;
        if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
                      sizeof attr) < 0)
            return sys_error("mount_setattr(" + f.special + ")");
        std::string at = stage + "/" + std::to_string(i);
        if (::mkdir(at.c_str(), 0755) < 0) return sys_error("mkdir(" + at + ")");
        if (::syscall(SYS_move_mount, tree.get(), "", AT_FDCWD, at.c_str(),
                      MOVE_MOUNT_F_EMPTY_PATH) < 0)
            return sys_error("move_mount(" + f.special + ", " + at + ")");
    }
    return guard;
}

// ---- child side ---------------------------------------------------------------

int receive_sync_in_child(int sock, int* fds, int max) {
    char byte = 0;
    iovec iov{&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxHandoff)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
        n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return -1;
    if (n == 0) {
        errno = EPIPE;
        return -1;
    }
    int got = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if (got < max)
                fds[got++] = fd;
            else
                ::close(fd);
        }
    }
    return got;
}

} // namespace zone::userns
