#include "busybox.hpp"

#include <algorithm>
#include <climits>
#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <map>
#include <set>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/common/fs.hpp"
#include "runtime/common/fd.hpp"

namespace zone::images {

namespace {

void say(ProgressFn fn, void* ctx, const std::string& line) {
    if (fn) fn(ctx, line);
}

Result<void> pread_full(int fd, void* buf, size_t n, off_t off, const std::string& what) {
    auto* p = static_cast<char*>(buf);
    while (n > 0) {
        ssize_t r = ::pread(fd, p, n, off);
        if (r < 0) {
            if (errno == EINTR) continue;
            return sys_error("read(" + what + ")");
        }
        if (r == 0) return make_error(kCodeInvalid, what + " is not an ELF executable (truncated)");
        p += r;
        off += r;
        n -= static_cast<size_t>(r);
    }
    return ok();
}

// Walks the program headers of an ELF of one class (Elf32/Elf64).
template <typename Ehdr, typename Phdr>
Result<void> check_program_headers(int fd, const std::string& what) {
    Ehdr eh;
    TRY_VOID(pread_full(fd, &eh, sizeof eh, 0, what));
    if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
        return make_error(kCodeInvalid, what + " is an ELF file but not an executable");
    if (eh.e_phnum == 0 || eh.e_phentsize != sizeof(Phdr) || eh.e_phnum >= PN_XNUM)
        return make_error(kCodeInvalid, what + " has no usable ELF program headers");
    std::vector<Phdr> ph(eh.e_phnum);
    TRY_VOID(
        pread_full(fd, ph.data(), ph.size() * sizeof(Phdr), static_cast<off_t>(eh.e_phoff), what));
    for (const auto& h : ph)
        if (h.p_type == PT_INTERP)
            return make_error(kCodeInvalid,
                              what + " is dynamically linked (it names an ELF interpreter); an "
                                     "image needs a static busybox (Debian: busybox-static)");
    return ok();
}

bool safe_component(std::string_view c) {
    return !c.empty() && c != "." && c != "..";
}

bool safe_relative_path(std::string_view p) {
    if (p.empty() || p.size() > PATH_MAX / 4 || p.front() == '/') return false;
    for (unsigned char ch : p)
        if (ch < 0x20 || ch == 0x7f) return false;
    size_t i = 0;
    while (i <= p.size()) {
        size_t slash = p.find('/', i);
        if (slash == std::string_view::npos) slash = p.size();
        if (!safe_component(p.substr(i, slash - i))) return false;
        i = slash + 1;
    }
    return true;
}

std::string parent_of(const std::string& p) {
    auto pos = p.rfind('/');
    return pos == std::string::npos ? "" : p.substr(0, pos);
}

std::string leaf_of(const std::string& p) {
    auto pos = p.rfind('/');
    return pos == std::string::npos ? p : p.substr(pos + 1);
}

// The applet's link: "busybox" next to it in bin/, else a relative path up
// to the root, so the tree reads right from the host as well as inside.
std::string applet_target(const std::string& applet) {
    std::string dir = parent_of(applet);
    if (dir == parent_of(kImageBusybox)) return leaf_of(kImageBusybox);
    std::string up;
    for (char ch : applet)
        if (ch == '/') up += "../";
    return up + kImageBusybox;
}

std::string passwd_text() {
    return "root:x:0:0:root:/root:/bin/sh\n"
           "user:x:1000:1000:user:/home/user:/bin/sh\n"
           "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
}

std::string group_text() {
    return "root:x:0:\n"
           "tty:x:5:\n"
           "user:x:1000:\n"
           "nogroup:x:65534:\n";
}

// Every password locked: a zone is entered with zlogin, not by password.
std::string shadow_text() {
    return "root:!::0:99999:7:::\n"
           "user:!::0:99999:7:::\n"
           "nobody:*::0:99999:7:::\n";
}

std::string profile_text() {
    return "# /etc/profile: login shells (zlogin) read this first.\n"
           "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
           "export PS1='\\u@\\h:\\w\\$ '\n"
           "umask 022\n";
}

std::string os_release_text(const std::string& name, unsigned version) {
    std::string v = std::to_string(version);
    return "NAME=\"Zones busybox\"\n"
           "ID=zones-busybox\n"
           "PRETTY_NAME=\"Zones gold image " +
           name + " version " + v +
           " (busybox)\"\n"
           "IMAGE_ID=\"" +
           name +
           "\"\n"
           "IMAGE_VERSION=\"" +
           v + "\"\n";
}

struct SpawnAttr {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    SpawnAttr() {
        posix_spawnattr_init(&attr);
        posix_spawn_file_actions_init(&actions);
    }
    ~SpawnAttr() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    SpawnAttr(const SpawnAttr&) = delete;
    SpawnAttr& operator=(const SpawnAttr&) = delete;
};

Result<std::string> read_all(int fd, size_t limit, const std::string& what) {
    std::string out;
    char buf[16384];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_error("read(" + what + ")");
        }
        if (n == 0) return out;
        out.append(buf, static_cast<size_t>(n));
        if (out.size() > limit) return make_error(kCodeInvalid, what + ": output too long");
    }
}

// Runs `<exe_fd> --list-full` (busybox reads its applet table) and returns
// its standard output. No shell: posix_spawn of the very fd we checked.
// The child gets default signal dispositions and an empty mask, since the
// daemon's threads block the signals it handles.
Result<std::string> run_list_full(int exe_fd, const std::string& what) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0) return sys_error("pipe2()");
    UniqueFd rd(p[0]), wr(p[1]);
    SpawnAttr sa;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&sa.attr, &none);
    posix_spawnattr_setsigdefault(&sa.attr, &all);
    posix_spawnattr_setflags(&sa.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawn_file_actions_addopen(&sa.actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&sa.actions, wr.get(), 1);
    posix_spawn_file_actions_addopen(&sa.actions, 2, "/dev/null", O_WRONLY, 0);
    std::string exe = "/proc/self/fd/" + std::to_string(exe_fd);
    char arg0[] = "busybox", arg1[] = "--list-full";
    char* argv[] = {arg0, arg1, nullptr};
    char env0[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin", env1[] = "LC_ALL=C";
    char* envp[] = {env0, env1, nullptr};
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, exe.c_str(), &sa.actions, &sa.attr, argv, envp);
    if (rc != 0) return sys_error(rc, "posix_spawn(" + what + " --list-full)");
    wr.reset();
    auto out = read_all(rd.get(), 1 << 20, what + " --list-full");
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return sys_error("waitpid(" + what + " --list-full)");
    if (!out) return std::move(out).error();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return make_error(kCodeInvalid, what + " --list-full failed (status " +
                                            std::to_string(status) + "); is it busybox?");
    return std::move(out).value();
}

Result<void> copy_fd(int src, int dst, const std::string& what) {
    char buf[1 << 16];
    off_t off = 0;
    for (;;) {
        ssize_t n = ::pread(src, buf, sizeof buf, off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_error("read(" + what + ")");
        }
        if (n == 0) return ok();
        TRY_VOID(fs::write_all(dst, buf, static_cast<size_t>(n), what));
        off += n;
    }
}

// Sets the owner, then the mode (chown may clear mode bits).
Result<void> set_owner_mode(int fd, const RootfsEntry& e) {
    if (::fchown(fd, e.uid, e.gid) < 0)
        return sys_error("fchown(/" + e.path + ", " + std::to_string(e.uid) + ":" +
                         std::to_string(e.gid) + ")");
    if (::fchmod(fd, e.mode) < 0) return sys_error("fchmod(/" + e.path + ")");
    return ok();
}

Result<UniqueFd> create_dir(int parent, const RootfsEntry& e) {
    std::string leaf = leaf_of(e.path);
    if (::mkdirat(parent, leaf.c_str(), 0700) < 0) return sys_error("mkdir(/" + e.path + ")");
    UniqueFd fd(::openat(parent, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return sys_error("open(/" + e.path + ")");
    TRY_VOID(set_owner_mode(fd.get(), e));
    return fd;
}

Result<void> create_file(int parent, const RootfsEntry& e) {
    std::string leaf = leaf_of(e.path);
    UniqueFd fd(
        ::openat(parent, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) return sys_error("create(/" + e.path + ")");
    TRY_VOID(fs::write_all(fd.get(), e.data.data(), e.data.size(), "/" + e.path));
    return set_owner_mode(fd.get(), e);
}

Result<void> create_symlink(int parent, const RootfsEntry& e) {
    std::string leaf = leaf_of(e.path);
    if (::symlinkat(e.data.c_str(), parent, leaf.c_str()) < 0)
        return sys_error("symlink(/" + e.path + " -> " + e.data + ")");
    if (::fchownat(parent, leaf.c_str(), e.uid, e.gid, AT_SYMLINK_NOFOLLOW) < 0)
        return sys_error("lchown(/" + e.path + ")");
    return ok();
}

} // namespace

const RootfsEntry* RootfsPlan::find(std::string_view path) const {
    for (const auto& e : entries)
        if (e.path == path) return &e;
    return nullptr;
}

Result<void> check_static_elf_fd(int fd, const std::string& what) {
    unsigned char ident[EI_NIDENT];
    TRY_VOID(pread_full(fd, ident, sizeof ident, 0, what));
    if (std::memcmp(ident, ELFMAG, SELFMAG) != 0)
        return make_error(kCodeInvalid, what + " is not an ELF executable");
    const unsigned char native =
        __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;
    if (ident[EI_DATA] != native)
        return make_error(kCodeInvalid, what + " is an ELF file of the other byte order");
    if (ident[EI_CLASS] == ELFCLASS64)
        return check_program_headers<Elf64_Ehdr, Elf64_Phdr>(fd, what);
    if (ident[EI_CLASS] == ELFCLASS32)
        return check_program_headers<Elf32_Ehdr, Elf32_Phdr>(fd, what);
    return make_error(kCodeInvalid, what + " is an ELF file of an unknown class");
}

Result<void> check_static_elf(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return sys_error("open(" + path + ")");
    return check_static_elf_fd(fd.get(), path);
}

Result<std::vector<std::string>> parse_applet_list(std::string_view text) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < text.size()) {
        size_t nl = text.find('\n', i);
        if (nl == std::string_view::npos) nl = text.size();
        std::string_view line = text.substr(i, nl - i);
        i = nl + 1;
        if (line.empty()) continue;
        if (!safe_relative_path(line))
            return make_error(kCodeInvalid, "unexpected applet path '" + std::string(line) + "'");
        out.emplace_back(line);
    }
    if (out.empty()) return make_error(kCodeInvalid, "busybox lists no applets");
    return out;
}

RootfsPlan plan_busybox_rootfs(const std::vector<std::string>& applets, const std::string& name,
                               unsigned version) {
    using Kind = RootfsEntry::Kind;
    // Sorted by path, so that every parent precedes its children.
    std::map<std::string, RootfsEntry> dirs;
    auto dir = [&](const std::string& p, mode_t mode, uid_t uid = 0, gid_t gid = 0) {
        dirs[p] = RootfsEntry{Kind::Dir, p, mode, uid, gid, {}};
    };
    for (const char* p : {"bin", "dev", "etc", "etc/zone", "home", "proc", "run", "sbin", "sys",
                          "usr", "usr/bin", "usr/sbin", "var", "var/log"})
        dir(p, 0755);
    dir("root", 0700);
    dir("tmp", 01777);
    dir("var/tmp", 01777);
    dir("home/user", 0755, kUserUid, kUserGid);
    std::set<std::string> links;
    for (const auto& a : applets) {
        if (a == kImageBusybox) continue;
        links.insert(a);
        for (std::string d = parent_of(a); !d.empty(); d = parent_of(d))
            if (!dirs.count(d)) dir(d, 0755);
    }

    RootfsPlan plan;
    for (auto& [p, e] : dirs)
        plan.entries.push_back(std::move(e));
    auto file = [&](const char* p, mode_t mode, std::string data) {
        plan.entries.push_back(RootfsEntry{Kind::File, p, mode, 0, 0, std::move(data)});
    };
    file("etc/passwd", 0644, passwd_text());
    file("etc/group", 0644, group_text());
    file("etc/shadow", 0600, shadow_text());
    file("etc/hostname", 0644, "");
    file("etc/profile", 0644, profile_text());
    file("etc/os-release", 0644, os_release_text(name, version));
    for (const auto& l : links) {
        if (plan.find(l)) continue; // an applet never shadows a planned dir or file
        plan.entries.push_back(RootfsEntry{Kind::Symlink, l, 0777, 0, 0, applet_target(l)});
    }
    return plan;
}

Result<void> apply_rootfs_plan(int rootfd, const RootfsPlan& plan) {
    // Directory fds by path; each entry is created relative to its parent's
    // fd, so no path of the new tree is ever resolved twice.
    std::map<std::string, UniqueFd> dirs;
    dirs[""] = UniqueFd(::fcntl(rootfd, F_DUPFD_CLOEXEC, 0));
    if (!dirs[""]) return sys_error("dup(rootfs)");
    for (const auto& e : plan.entries) {
        auto parent = dirs.find(parent_of(e.path));
        if (parent == dirs.end())
            return make_error(kCodeInvalid, "rootfs plan: /" + e.path + " comes before its parent");
        int pfd = parent->second.get();
        switch (e.kind) {
        case RootfsEntry::Kind::Dir: {
            TRY(fd, create_dir(pfd, e));
            dirs[e.path] = std::move(fd);
            break;
        }
        case RootfsEntry::Kind::File:
            TRY_VOID(create_file(pfd, e));
            break;
        case RootfsEntry::Kind::Symlink:
            TRY_VOID(create_symlink(pfd, e));
            break;
        }
    }
    return ok();
}

Result<void> build_busybox_rootfs(int rootfd, const std::string& busybox_path,
                                  const std::string& name, unsigned version, ProgressFn progress,
                                  void* ctx) {
    say(progress, ctx, "checking " + busybox_path);
    UniqueFd src(::open(busybox_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!src)
        return sys_error("open(" + busybox_path + ")")
            .wrap("the busybox source needs a static busybox (Debian: busybox-static)");
    TRY_VOID(check_static_elf_fd(src.get(), busybox_path));
    TRY(listing, run_list_full(src.get(), busybox_path));
    TRY(applets, parse_applet_list(listing));

    RootfsPlan plan = plan_busybox_rootfs(applets, name, version);
    say(progress, ctx, "creating the tree and " + std::to_string(applets.size()) + " applet links");
    RootfsEntry root{RootfsEntry::Kind::Dir, "", 0755, 0, 0, {}};
    TRY_VOID(set_owner_mode(rootfd, root));
    TRY_VOID(apply_rootfs_plan(rootfd, plan));

    say(progress, ctx, "copying " + busybox_path + " into the image");
    UniqueFd bin(::openat(rootfd, parent_of(kImageBusybox).c_str(),
                          O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!bin) return sys_error("open(/" + parent_of(kImageBusybox) + ")");
    UniqueFd dst(::openat(bin.get(), leaf_of(kImageBusybox).c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0700));
    if (!dst) return sys_error(std::string("create(/") + kImageBusybox + ")");
    TRY_VOID(copy_fd(src.get(), dst.get(), std::string("/") + kImageBusybox));
    RootfsEntry exe{RootfsEntry::Kind::File, kImageBusybox, 0755, 0, 0, {}};
    return set_owner_mode(dst.get(), exe);
}

} // namespace zone::images
