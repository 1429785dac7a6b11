// escape-probe: run inside a zone, tries each way out of it and prints one
// line per check:  "<check> PASS|FAIL <detail>". Exit status 0 when every
// check passed. Statically linked: it needs nothing from the zone's image.
//
//   escape-probe [--marker TEXT] [--host-pid N] [--disk MAJ:MIN] [--path P]...
//     --marker    the command line of a host process that must not be visible
//     --host-pid  a host pid (zoned's) that must not be reachable
//     --disk      a host block device to try through mknod
//     --path      a host path (zoned's binary, socket, state) that must not exist
//     --delegated 1: the zone's cgroup2 group is delegated to its root (a
//                 user-namespaced system zone): the delegation files of
//                 that group (cgroup.procs, cgroup.subtree_control) may be
//                 writable; every limit file must still refuse
//
// Nothing here harms the host if a check fails: writes go only where a
// failure is the expected outcome and carry values that change nothing.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <string>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

int g_failed = 0;

void report(const char* check, bool pass, const std::string& detail) {
    std::printf("%s %s %s\n", check, pass ? "PASS" : "FAIL", detail.c_str());
    if (!pass) ++g_failed;
}

std::string err(int e) {
    return std::string(strerrorname_np(e) ? strerrorname_np(e) : "?");
}

// "refused (EPERM)" for a call that failed, "succeeded" otherwise.
std::string outcome(long rc) {
    return rc < 0 ? "refused (" + err(errno) + ")" : "succeeded";
}

std::string read_small(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "";
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return "";
    for (ssize_t i = 0; i < n; ++i)
        if (buf[i] == 0) buf[i] = ' ';
    return std::string(buf, static_cast<size_t>(n));
}

std::vector<int> pids() {
    std::vector<int> out;
    DIR* d = ::opendir("/proc");
    if (!d) return out;
    while (dirent* e = ::readdir(d)) {
        char* end = nullptr;
        long p = std::strtol(e->d_name, &end, 10);
        if (end && *end == 0 && p > 0) out.push_back(static_cast<int>(p));
    }
    ::closedir(d);
    return out;
}

std::string link_of(const std::string& path) {
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
    return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

void check_host_processes(const std::string& marker) {
    std::string seen;
    for (int p : pids()) {
        std::string cmd = read_small("/proc/" + std::to_string(p) + "/cmdline");
        std::string comm = read_small("/proc/" + std::to_string(p) + "/comm");
        // The probe and the shell that started it carry the marker as an argument.
        if (cmd.find("escape-probe") != std::string::npos) continue;
        if ((!marker.empty() && cmd.find(marker) != std::string::npos) || comm == "zoned\n" ||
            comm == "zone-monitor\n")
            seen += " " + std::to_string(p) + ":" + comm.substr(0, comm.size() - 1);
    }
    report("host-processes", seen.empty(), seen.empty() ? "none visible" : "visible:" + seen);
}

void check_mount() {
    long rc = ::mount("none", "/tmp", "tmpfs", 0, nullptr);
    if (rc == 0) ::umount2("/tmp", MNT_DETACH);
    long rc2 = ::umount2("/proc/sys", MNT_DETACH);
    report("mount", rc < 0 && rc2 < 0, "mount " + outcome(rc) + ", umount " + outcome(rc2));
}

void check_modules() {
    long a = ::syscall(SYS_init_module, nullptr, 0, "");
    int e1 = errno;
    int fd = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    long b = ::syscall(SYS_finit_module, fd, "", 0);
    int e2 = errno;
    if (fd >= 0) ::close(fd);
    // A module that does not exist: ENOENT if the call got through, no harm.
    long c = ::syscall(SYS_delete_module, "zone_probe_no_such_module", 0);
    // init_module with a null image answers EFAULT if the call is let through
    // to the kernel; EPERM is seccomp or the missing capability.
    bool pass = a < 0 && e1 == EPERM && b < 0 && e2 == EPERM && c < 0 && errno == EPERM;
    report("modules", pass,
           "init_module " + err(e1) + ", finit_module " + err(e2) + ", delete_module " +
               outcome(c));
}

// Opens each path for writing and writes back what it holds: refused is the
// pass (a write that got through would change nothing).
void check_writes(const char* check, const std::vector<std::string>& paths) {
    std::string detail, bad;
    for (const auto& path : paths) {
        int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
            detail += " " + path + ": open " + err(errno);
            continue;
        }
        std::string cur = read_small(path);
        long rc = cur.empty() ? -1 : ::write(fd, cur.data(), cur.size());
        int e = errno;
        ::close(fd);
        detail += " " + path + ": write " + (rc < 0 ? err(e) : "succeeded");
        if (rc >= 0) bad += " " + path;
    }
    report(check, bad.empty(), detail);
}

void check_sysrq() {
    int fd = ::open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        report("sysrq", true,
               errno == ENOENT ? "absent (a kernel without sysrq, or masked)"
                               : "open refused (" + err(errno) + ")");
        return;
    }
    // Never write to it: a byte there would act on the host if this fails.
    struct stat st {};
    ::fstat(fd, &st);
    ::close(fd);
    bool masked = S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
    report("sysrq", masked, masked ? "masked by /dev/null" : "opened for writing");
}

void check_open_by_handle() {
    struct {
        file_handle h;
        unsigned char bytes[128];
    } fh{};
    fh.h.handle_bytes = sizeof fh.bytes;
    int mount_id = 0;
    long a = ::syscall(SYS_name_to_handle_at, AT_FDCWD, "/", &fh.h, &mount_id, 0);
    if (a < 0) fh.h.handle_bytes = 8; // try anyway with a made-up handle
    long rc = ::syscall(SYS_open_by_handle_at, AT_FDCWD, &fh.h, O_RDONLY);
    if (rc >= 0) ::close(static_cast<int>(rc));
    report("open_by_handle_at", rc < 0 && errno == EPERM, outcome(rc));
}

void check_keyctl() {
    long a = ::syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
    std::string ea = outcome(a);
    long b = ::syscall(SYS_add_key, "user", "zone-probe", "x", 1, KEY_SPEC_SESSION_KEYRING);
    report("keyctl", a < 0 && b < 0, "keyctl " + ea + ", add_key " + outcome(b));
}

void check_mknod(const std::string& disk) {
    unsigned maj = 8, min = 0;
    if (!disk.empty()) std::sscanf(disk.c_str(), "%u:%u", &maj, &min);
    std::string node = "/tmp/.probe-disk-" + std::to_string(::getpid());
    long rc = ::mknod(node.c_str(), S_IFBLK | 0600, makedev(maj, min));
    if (rc < 0) {
        report("mknod-disk", true, "mknod b " + disk + " refused (" + err(errno) + ")");
        return;
    }
    // Created: the node must be unusable.
    int fd = ::open(node.c_str(), O_RDONLY | O_CLOEXEC);
    int e = errno;
    ::unlink(node.c_str());
    if (fd >= 0) ::close(fd);
    report("mknod-disk", fd < 0,
           std::string("mknod succeeded, open ") +
               (fd < 0 ? "refused (" + err(e) + ")" : "succeeded"));
}

void check_ptrace(int host_pid) {
    std::string detail;
    bool pass = true;
    if (host_pid > 0 && ::access(("/proc/" + std::to_string(host_pid)).c_str(), F_OK) == 0) {
        // The number exists in the zone's PID namespace: it is a zone process.
        detail = "pid " + std::to_string(host_pid) + " is a zone process here";
    } else if (host_pid > 0) {
        long rc = ::ptrace(PTRACE_ATTACH, host_pid, nullptr, nullptr);
        pass = rc < 0 && errno == ESRCH;
        detail = "attach host pid " + std::to_string(host_pid) + " " + outcome(rc);
        if (rc == 0) ::ptrace(PTRACE_DETACH, host_pid, nullptr, nullptr);
    }
    // Every pid the zone can name is its own: whatever ptrace allows inside
    // (the zone's root may trace the zone's processes) stays inside.
    long rc = ::syscall(SYS_pidfd_open, host_pid, 0);
    if (rc >= 0) ::close(static_cast<int>(rc));
    detail += ", pidfd_open " + outcome(rc);
    report("ptrace", pass, detail);
}

void check_kmsg() {
    int fd = ::open("/dev/kmsg", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    std::string a =
        fd < 0 ? "open /dev/kmsg refused (" + err(errno) + ")" : "open /dev/kmsg succeeded";
    if (fd >= 0) ::close(fd);
    char buf[64];
    long rc = ::syscall(SYS_syslog, 3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof buf);
    std::string kmsg = read_small("/proc/kmsg");
    report("kmsg", fd < 0 && rc < 0 && kmsg.empty(),
           a + ", syslog " + outcome(rc) + ", /proc/kmsg " + (kmsg.empty() ? "empty" : "readable"));
}

void check_capset() {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    ::syscall(SYS_capget, &hdr, data);
    __user_cap_data_struct want[2];
    std::memcpy(want, data, sizeof want);
    want[0].effective |= 1u << CAP_SYS_ADMIN;
    want[0].permitted |= 1u << CAP_SYS_ADMIN;
    long a = ::syscall(SYS_capset, &hdr, want);
    long b = ::syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_ADMIN, 0, 0);
    report("capset", a < 0 && b < 0,
           "capset +sys_admin " + outcome(a) + ", ambient raise " + outcome(b));
}

bool g_delegated = false;  // --delegated 1

// A delegated zone's root owns its group's cgroup.procs and
// cgroup.subtree_control: the top of a cgroup2 mount in its namespace.
bool delegation_file(const std::string& dir, const std::string& name, bool top) {
    if (!g_delegated || !top || (name != "cgroup.procs" && name != "cgroup.subtree_control"))
        return false;
    struct statfs sf{};
    return ::statfs(dir.c_str(), &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

// Opens every cgroup control file below `root` for writing (opening changes
// nothing); collects what was seen and what opened.
void try_cgroup_files(const std::string& root, std::vector<std::string>& tried,
                      std::vector<std::string>& opened) {
    std::vector<std::string> dirs{root};
    for (size_t i = 0; i < dirs.size() && i < 256; ++i) {
        DIR* d = ::opendir(dirs[i].c_str());
        if (!d) continue;
        while (dirent* e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n == "." || n == "..") continue;
            std::string p = dirs[i] + "/" + n;
            if (e->d_type == DT_DIR) {
                dirs.push_back(p);
                continue;
            }
            if (n != "pids.max" && n != "memory.max" && n != "memory.limit_in_bytes" &&
                n != "cpu.max" && n != "cpu.cfs_quota_us" && n != "cgroup.procs" && n != "tasks" &&
                n != "cgroup.subtree_control")
                continue;
            tried.push_back(p);
            int fd = ::open(p.c_str(), O_WRONLY | O_CLOEXEC);
            if (fd >= 0 && delegation_file(dirs[i], n, i == 0)) {
                ::close(fd);
                continue;
            }
            if (fd >= 0) {
                opened.push_back(p);
                ::close(fd);
            }
        }
        ::closedir(d);
    }
}

// Every cgroup control file the zone can see, or mount, must refuse a write:
// its own cgroup's limits and the parent's are the host's to set.
void check_cgroup() {
    std::vector<std::string> tried, opened;
    try_cgroup_files("/sys/fs/cgroup", tried, opened);
    std::string mounts;
    struct Fs { const char* type; const char* opts; };
    for (Fs f : {Fs{"cgroup2", nullptr}, Fs{"cgroup", "pids"}, Fs{"cgroup", "memory"}}) {
        std::string dir = "/tmp/.probe-cg-" + std::to_string(::getpid());
        ::mkdir(dir.c_str(), 0700);
        long rc = ::mount("none", dir.c_str(), f.type, 0, f.opts);
        mounts += std::string("; mount ") + f.type + (f.opts ? std::string(" ") + f.opts : "") +
                  " " + outcome(rc);
        if (rc == 0) {
            try_cgroup_files(dir, tried, opened);
            ::umount2(dir.c_str(), MNT_DETACH);
        }
        ::rmdir(dir.c_str());
    }
    std::string detail = std::to_string(tried.size()) + " control files seen, " +
                         std::to_string(opened.size()) + " writable";
    for (auto& o : opened) detail += " " + o;
    report("cgroup", opened.empty(), detail + mounts);
}

// No process of the zone runs a host binary, and no fd of a zone process
// points outside (zoned's binary, its socket or state).
void check_zoned(const std::vector<std::string>& host_paths) {
    std::string bad;
    for (int p : pids()) {
        std::string base = "/proc/" + std::to_string(p);
        std::string exe = link_of(base + "/exe");
        if (exe.find("zoned") != std::string::npos ||
            exe.find("zone-monitor") != std::string::npos ||
            exe.find("zonectl") != std::string::npos)
            bad += " exe of " + std::to_string(p) + ":" + exe;
        DIR* d = ::opendir((base + "/fd").c_str());
        if (!d) continue;
        while (dirent* e = ::readdir(d)) {
            if (e->d_name[0] == '.') continue;
            std::string t = link_of(base + "/fd/" + e->d_name);
            for (const auto& h : host_paths)
                if (!h.empty() && t.find(h) != std::string::npos)
                    bad += " fd " + std::to_string(p) + "/" + e->d_name + ":" + t;
        }
        ::closedir(d);
    }
    // init runs from a sealed memfd: it cannot be written through /proc.
    int w = ::open("/proc/1/exe", O_WRONLY | O_CLOEXEC);
    if (w >= 0) {
        bad += " /proc/1/exe opened for writing";
        ::close(w);
    }
    for (const auto& h : host_paths)
        if (!h.empty() && ::access(h.c_str(), F_OK) == 0) bad += " " + h + " exists";
    report("zoned-binary", bad.empty(), bad.empty() ? "nothing of zoned reachable" : bad);
}

void check_socket(const std::vector<std::string>& host_paths) {
    std::string bad, detail;
    std::vector<std::string> paths = host_paths;
    paths.push_back("/run/zoned/zoned.sock");
    for (const auto& p : paths) {
        if (p.size() < 5 || p.compare(p.size() - 5, 5, ".sock") != 0) continue;
        int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::snprintf(a.sun_path, sizeof a.sun_path, "%s", p.c_str());
        long rc = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::close(s);
        detail += " " + p + ": " + outcome(rc);
        if (rc == 0) bad += " " + p;
    }
    report("zoned-socket", bad.empty(), detail);
}

void check_own_fds() {
    std::string extra;
    DIR* d = ::opendir("/proc/self/fd");
    int dfd = d ? ::dirfd(d) : -1;
    while (d && true) {
        dirent* e = ::readdir(d);
        if (!e) break;
        if (e->d_name[0] == '.') continue;
        int fd = std::atoi(e->d_name);
        if (fd <= 2 || fd == dfd) continue;
        extra +=
            " " + std::to_string(fd) + ":" + link_of(std::string("/proc/self/fd/") + e->d_name);
    }
    if (d) ::closedir(d);
    report("inherited-fds", extra.empty(), extra.empty() ? "only stdio" : "extra:" + extra);
}

} // namespace

int main(int argc, char** argv) {
    std::string marker, disk;
    int host_pid = 0;
    std::vector<std::string> host_paths;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--marker")
            marker = v;
        else if (k == "--host-pid")
            host_pid = std::atoi(v.c_str());
        else if (k == "--disk")
            disk = v;
        else if (k == "--path")
            host_paths.push_back(v);
        else if (k == "--delegated")
            g_delegated = v == "1";
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    check_own_fds();
    check_host_processes(marker);
    check_mount();
    check_modules();
    // The classic ways out through sysctl: core_pattern and modprobe run a
    // program as the host's root; overcommit is host-wide.
    check_writes("proc-sys", {"/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe",
                              "/proc/sys/vm/overcommit_memory"});
    check_sysrq();
    check_open_by_handle();
    check_keyctl();
    check_mknod(disk);
    check_ptrace(host_pid);
    check_kmsg();
    check_capset();
    check_cgroup();
    check_zoned(host_paths);
    check_socket(host_paths);
    std::printf("uid %d failed %d\n", static_cast<int>(::getuid()), g_failed);
    return g_failed == 0 ? 0 : 1;
}
