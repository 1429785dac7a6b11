// Planner for the zone's side of the start sequence (pure: no syscalls).
#include "child_plan.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "runtime/userns.hpp"

namespace zone {

const char* ChildPlan::keep(std::string s) {
    strings.push_back(std::move(s));
    return strings.back().c_str();
}

namespace {

std::vector<const char*> split_path(ChildPlan& p, const std::string& path) {
    std::vector<const char*> out;
    size_t i = 0;
    while (i < path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string::npos) j = path.size();
        if (j > i) out.push_back(p.keep(path.substr(i, j - i)));
        i = j + 1;
    }
    return out;
}

void mount_in(ChildPlan& p, std::string what, const char* src, const char* fstype,
              unsigned long flags, const char* data, const std::string& dir, mode_t mode = 0755) {
    Op op{OpKind::MountIn, std::move(what)};
    op.src = src;
    op.fstype = fstype;
    op.flags = flags;
    op.data = data;
    op.components = split_path(p, dir);
    op.mode = mode;
    p.ops.push_back(std::move(op));
}

void in_dev(ChildPlan& p, OpKind kind, std::string what, const char* name, mode_t mode = 0,
            dev_t dev = 0, const char* src = nullptr) {
    Op op{kind, std::move(what)};
    op.components = {p.keep("dev")};
    op.path = name;
    op.mode = mode;
    op.dev = dev;
    op.src = src;
    p.ops.push_back(std::move(op));
}

void after_pivot(ChildPlan& p, OpKind kind, std::string what, const char* path) {
    Op op{kind, std::move(what)};
    op.path = path;
    op.optional = true;
    p.ops.push_back(std::move(op));
}

constexpr unsigned long kNoSuidDevExec = MS_NOSUID | MS_NODEV | MS_NOEXEC;

void plan_root(ChildPlan& p, const BootSpec& s) {
    Op root{OpKind::MountRoot, ""};
    root.path = p.keep(s.mountpoint);
    if (s.root_type == "copy") {
        root.what = "bind " + s.copy_root + " on " + s.mountpoint;
        root.src = p.keep(s.copy_root);
        root.flags = MS_BIND | MS_REC;
    } else {
        root.what = "mount overlay on " + s.mountpoint + " (lower " + s.lower + ")";
        root.src = "overlay";
        root.fstype = "overlay";
        root.data = p.keep("lowerdir=" + s.lower + ",upperdir=" + s.upper + ",workdir=" + s.work);
    }
    p.ops.push_back(std::move(root));
}

// In the new user namespace, which owns every other new namespace. The
// mountpoint is opened first: the 0700 state directories above it belong to
// the host's root, whose uid the child still has until BecomeRoot.
void plan_userns_root(ChildPlan& p, const BootSpec& s) {
    Op mp{OpKind::OpenMountpoint, "open the mountpoint " + s.mountpoint};
    mp.path = p.keep(s.mountpoint);
    p.ops.push_back(std::move(mp));
    bool lofs = false;
    for (const auto& f : s.fs) lofs = lofs || f.type != "tmpfs";
    if (lofs) {
        std::string stage = userns::lofs_stage_path(s);
        Op st{OpKind::OpenStage, "open the lofs stage " + stage};
        st.path = p.keep(stage);
        p.ops.push_back(std::move(st));
    }
    p.ops.push_back(Op{OpKind::BecomeRoot, "become root in the zone's user namespace (host uid " +
                                               std::to_string(s.uid_base) + ")"});
    p.ops.push_back(Op{OpKind::MakePrivate, "mount --make-rprivate /"});
    Op root{OpKind::AttachRoot, s.root_type == "copy"
                                    ? "attach the copy " + s.copy_root + " on " + s.mountpoint
                                    : "attach the overlay (lower " + s.lower +
                                          ", idmapped) on " + s.mountpoint};
    root.slot = 0;
    p.ops.push_back(std::move(root));
}

} // namespace

ChildPlan plan_child(const BootSpec& s, const std::string& console_path) {
    ChildPlan p;
    p.mountpoint = s.mountpoint;
    if (s.userns()) {
        plan_userns_root(p, s);
    } else {
        p.ops.push_back(Op{OpKind::MakePrivate, "mount --make-rprivate /"});
        plan_root(p, s);
    }

    mount_in(p, "mount proc on /proc", "proc", "proc", kNoSuidDevExec, nullptr, "proc", 0555);
    if (s.userns() && !s.own_netns) {
        // sysfs wants a network namespace its user namespace owns; a zone
        // sharing the host's gets the host's /sys, read-only.
        mount_in(p, "bind /sys on /sys", "/sys", nullptr, MS_BIND | MS_REC, nullptr, "sys", 0555);
        Op ro{OpKind::RemountIn, "remount /sys read-only"};
        ro.components = p.ops.back().components;
        ro.flags = kNoSuidDevExec | MS_RDONLY;
        p.ops.push_back(std::move(ro));
    } else {
        mount_in(p, "mount sysfs (read-only) on /sys", "sysfs", "sysfs", kNoSuidDevExec | MS_RDONLY,
                 nullptr, "sys", 0555);
    }
    mount_in(p, "mount tmpfs on /dev", "tmpfs", "tmpfs", MS_NOSUID | MS_NOEXEC,
             "mode=755,size=1024k", "dev");
    struct Node { const char* name; unsigned maj, min; };
    for (Node n : {Node{"null", 1, 3}, Node{"zero", 1, 5}, Node{"full", 1, 7},
                   Node{"random", 1, 8}, Node{"urandom", 1, 9}, Node{"tty", 5, 0}}) {
        if (s.userns())  // no mknod in a user namespace: the host's node, bound
            in_dev(p, OpKind::BindFile, std::string("bind /dev/") + n.name, n.name, 0666, 0,
                   p.keep(std::string("/dev/") + n.name));
        else
            in_dev(p, OpKind::Mknod, std::string("mknod /dev/") + n.name, n.name, S_IFCHR | 0666,
                   makedev(n.maj, n.min));
    }
    mount_in(p, "mount devpts on /dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
             "newinstance,ptmxmode=0666,mode=0620,gid=5", "dev/pts");
    struct Link { const char* name; const char* target; };
    for (Link l : {Link{"ptmx", "pts/ptmx"}, Link{"fd", "/proc/self/fd"},
                   Link{"stdin", "/proc/self/fd/0"}, Link{"stdout", "/proc/self/fd/1"},
                   Link{"stderr", "/proc/self/fd/2"}})
        in_dev(p, OpKind::Symlink, std::string("symlink /dev/") + l.name, l.name, 0, 0, l.target);
    if (!console_path.empty())
        in_dev(p, OpKind::BindFile, "bind the console " + console_path + " on /dev/console",
               "console", 0600, 0, p.keep(console_path));
    mount_in(p, "mount tmpfs on /dev/shm", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777",
             "dev/shm", 01777);
    mount_in(p, "mount tmpfs on /run", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755", "run");

    int slot = 1;  // userns::plan_handoff: slot 0 is the root, then the lofs trees
    for (const auto& f : s.fs) {
        std::string what = "mount fs " + f.special + " on " + f.dir;
        if (f.type == "tmpfs") {
            mount_in(p, what, "tmpfs", "tmpfs", f.flags | (f.readonly ? MS_RDONLY : 0),
                     p.keep(f.data), f.dir);
            continue;
        }
        if (s.userns()) {
            Op at{OpKind::AttachIn, "attach fs " + f.special + " on " + f.dir};
            at.components = split_path(p, f.dir);
            at.slot = slot++;
            at.path = p.keep(std::to_string(static_cast<size_t>(&f - s.fs.data())));
            p.ops.push_back(std::move(at));
        } else {
            mount_in(p, what, p.keep(f.special), nullptr, MS_BIND | MS_REC, nullptr, f.dir);
        }
        if (f.readonly || f.flags) {
            Op ro{OpKind::RemountIn, "remount " + f.dir + " read-only"};
            ro.components = p.ops.back().components;
            ro.flags = f.flags | (f.readonly ? MS_RDONLY : 0);
            p.ops.push_back(std::move(ro));
        }
    }

    p.ops.push_back(Op{OpKind::PivotRoot, "pivot_root into " + s.mountpoint});
    for (const char* ro : {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs"})
        after_pivot(p, OpKind::RemountRO, std::string("make ") + ro + " read-only", ro);
    for (const char* m : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug",
                          "/proc/kallsyms", "/proc/kmsg"})
        after_pivot(p, OpKind::MaskFile, std::string("mask ") + m, m);
    for (const char* m : {"/sys/firmware", "/proc/acpi", "/proc/scsi", "/sys/kernel/debug"})
        after_pivot(p, OpKind::MaskDir, std::string("mask ") + m, m);

    Op host{OpKind::Hostname, "set the host name to '" + s.hostname + "'"};
    host.path = p.keep(s.hostname);
    p.ops.push_back(std::move(host));
    if (s.own_netns) p.ops.push_back(Op{OpKind::LoopbackUp, "bring up lo"});
    return p;
}

} // namespace zone
