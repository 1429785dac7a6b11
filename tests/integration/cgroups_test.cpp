// The cgroup driver this host has, against the real kernel (root): limits
// enforced on forked children (pids.max holds a fork loop, memory.max
// OOM-kills a hog, cpu.max throttles a busy loop), live changes, freeze,
// kill and removal. Each test works under its own parent (zt-cg-<pid>-<n>),
// and a guard kills and removes everything it made however the test ends.
// CgroupsV2Kernel adds v2-only cases (OOM kill in memory.events, pids.max,
// cpu.max, cpuset, io.max on a scratch disk); the vm lane (tests/vm) runs
// them in a VM whose cgroup2 has every controller.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <iostream>
#include <poll.h>
#include <string>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/driver.hpp"
#include "cgroups/plan.hpp"
#include "cgroups/stats.hpp"
#include "runtime/common/fs.hpp"
#include "integration/harness.hpp"

namespace zone::cg {
namespace {

using ::testing::HasSubstr;


long long now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

// A forked child that waits for go() before running `body` (so the test can
// attach it and set limits first), reports through a pipe, and is killed and
// reaped in the destructor. The body runs raw syscalls only.
class Child {
  public:
    explicit Child(const std::function<int(int report_fd)>& body) {
        int go[2], report[2];
        if (::pipe2(go, O_CLOEXEC) < 0 || ::pipe2(report, O_CLOEXEC) < 0) return;
        pid_ = ::fork();
        if (pid_ == 0) {
            ::close(go[1]);
            ::close(report[0]);
            char c;
            if (::read(go[0], &c, 1) != 1) ::_exit(100);
            ::_exit(body(report[1]));
        }
        ::close(go[0]);
        ::close(report[1]);
        go_ = go[1];
        report_ = report[0];
    }
    ~Child() {
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        if (go_ >= 0) ::close(go_);
        if (report_ >= 0) ::close(report_);
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    pid_t pid() const { return pid_; }
    bool go() { return ::write(go_, "g", 1) == 1; }

    // Reads one int the child reported, or -1 after `timeout_ms`.
    int read_report(int timeout_ms) {
        pollfd p{report_, POLLIN, 0};
        int v = -1;
        if (::poll(&p, 1, timeout_ms) == 1 && ::read(report_, &v, sizeof v) == sizeof v) return v;
        return -1;
    }

    // The wait status, or -1 when the child still runs after `timeout_ms`.
    int wait(int timeout_ms) {
        long long deadline = now_ms() + timeout_ms;
        for (;;) {
            int status = 0;
            pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) {
                reaped_ = true;
                return status;
            }
            if (r < 0 || now_ms() >= deadline) return -1;
            ::usleep(10000);
        }
    }

  private:
    pid_t pid_ = -1;
    int go_ = -1, report_ = -1;
    bool reaped_ = false;
};

// CPU time this process has used, in ms.
long long cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

// Spins until this process has used `want_ms` of CPU time (or `limit_ms` of
// wall time passed). Counting CPU time, not wall time, keeps a cap tested on
// a loaded machine: a loop that gets less than its quota is never throttled.
bool spin_cpu(long long want_ms, long long limit_ms) {
    long long end = now_ms() + limit_ms;
    unsigned long spin = 0;
    while (cpu_ms() < want_ms && now_ms() < end)
        __atomic_add_fetch(&spin, 1, __ATOMIC_RELAXED);
    return cpu_ms() >= want_ms;
}

int wait_forever(int) {
    for (;;)
        ::pause();
}

// Kills and removes everything the test made, even after a failed assertion:
// the zone's processes, its directories, the parent's; by the driver first,
// then rmdir of whatever is left, deepest first.
class CgroupGuard {
  public:
    void own(Driver* d) { driver_ = d; }
    void add_zone(const std::string& zone) { zones_.push_back(zone); }
    ~CgroupGuard() { cleanup(); }
    // Idempotent; the destructor runs it again.
    void cleanup() {
        if (!driver_) return;
        for (const auto& z : zones_) {
            (void)driver_->kill(z);
            if (auto r = driver_->destroy(z); !r)
                std::cerr << "cleanup: " << r.error().message() << "\n";
        }
        if (auto r = driver_->remove_parent(); !r)
            std::cerr << "cleanup: " << r.error().message() << "\n";
        for (const auto& z : zones_)
            remove_all(driver_->dirs(z));
        remove_all(driver_->parent_dirs());
    }

    static void remove_all(const Dirs& dirs) {
        for (const auto& d : dirs.v1)
            ::rmdir(d.c_str());
        ::rmdir(dirs.v2.c_str());
    }

  private:
    Driver* driver_ = nullptr;
    std::vector<std::string> zones_;
};

class CgroupsKernel : public ::testing::Test {
  protected:
    void SetUp() override {
        ZT_REQUIRE_ROOT();
        static int counter = 0;
        parent_ = "zt-cg-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
        auto roots = find_roots();
        ASSERT_TRUE(roots) << roots.error().message();
        auto d = detect(*roots, parent_);
        ASSERT_TRUE(d) << d.error().message();
        driver_ = std::move(*d);
        guard_.own(driver_.get());
    }

    void TearDown() override {
        if (!driver_) return;
        guard_.cleanup();
        Dirs p = driver_->parent_dirs();
        EXPECT_FALSE(fs::exists(p.v2)) << p.v2 << " was left behind";
        for (const auto& d : p.v1)
            EXPECT_FALSE(fs::exists(d)) << d << " was left behind";
    }

    // Creates `zone` under the guard.
    void create(const std::string& zone) {
        guard_.add_zone(zone);
        auto g = driver_->create(zone);
        ASSERT_TRUE(g) << g.error().message();
        EXPECT_GE(g->dirfd(), 0);
    }

    void apply(const std::string& zone, const Limits& l) {
        auto r = driver_->apply(zone, l);
        ASSERT_TRUE(r) << r.error().message();
    }

    Stats stats(const std::string& zone) {
        auto s = driver_->stats(zone);
        EXPECT_TRUE(s) << s.error().message();
        return s ? *s : Stats{};
    }

    std::string parent_;
    std::unique_ptr<Driver> driver_;
    CgroupGuard guard_;
};

TEST_F(CgroupsKernel, DetectsTheHostsDriver) {
    std::cout << "[ driver   ] " << driver_->describe() << "\n";
    auto roots = find_roots();
    ASSERT_TRUE(roots);
    std::string offered = fs::read_file(roots->unified + "/cgroup.controllers").value();
    // Controllers that zones' limits need (hugetlb or misc alone do not count).
    for (char& ch : offered)
        if (ch == '\n') ch = ' ';
    bool v2_has_controllers = false;
    for (const char* c : {" cpu ", " cpuset ", " io ", " memory ", " pids "})
        v2_has_controllers |= (" " + offered + " ").find(c) != std::string::npos;
    EXPECT_EQ(std::string(driver_->name()), v2_has_controllers ? "v2" : "v1-hybrid");
    EXPECT_TRUE(driver_->controllers().count("memory"));
    EXPECT_TRUE(driver_->controllers().count("pids"));
    EXPECT_TRUE(driver_->controllers().count("cpu"));
    EXPECT_TRUE(fs::exists(driver_->parent_dirs().v2));
}

TEST_F(CgroupsKernel, PidsMaxHoldsAForkLoop) {
    create("fork");
    Child child([](int report) {
        int made = 0;
        for (int i = 0; i < 64; ++i) {
            pid_t p = ::fork();
            if (p == 0) {
                ::pause();
                ::_exit(0);
            }
            if (p < 0) break;
            ++made;
        }
        int err = errno;
        if (::write(report, &made, sizeof made) < 0 || ::write(report, &err, sizeof err) < 0)
            return 1;
        return wait_forever(report);
    });
    ASSERT_GT(child.pid(), 0);
    ASSERT_TRUE(driver_->attach("fork", child.pid()));
    Limits l;
    l.pids_max = 5;
    apply("fork", l);
    ASSERT_TRUE(child.go());
    int made = child.read_report(10000);
    int err = child.read_report(1000);
    std::cout << "[ measured ] fork loop under pids_max=5: " << made << " forks, then "
              << errno_name(err) << "\n";
    EXPECT_EQ(made, 4) << "the loop itself is the fifth task";
    EXPECT_EQ(err, EAGAIN);
    Stats s = stats("fork");
    ASSERT_TRUE(s.pids);
    EXPECT_EQ(s.pids->current, 5U);
    EXPECT_EQ(s.pids->max, 5U);
    if (s.pids->peak) {
        EXPECT_EQ(*s.pids->peak, 5U);
    }
    ASSERT_TRUE(driver_->kill("fork"));
    int status = child.wait(10000);
    ASSERT_NE(status, -1);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    ASSERT_TRUE(driver_->destroy("fork"));
    for (const auto& d : procs_files(driver_->dirs("fork")))
        EXPECT_FALSE(fs::exists(fs::dirname(d))) << d;
}

TEST_F(CgroupsKernel, MemoryMaxOomKillsAHog) {
    create("hog");
    Child child([](int) {
        const size_t size = 64 << 20;
        void* m = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) return 2;
        for (size_t i = 0; i < size; i += 4096)
            static_cast<volatile char*>(m)[i] = 1;
        return 0; // survived: the cap did not hold
    });
    ASSERT_GT(child.pid(), 0);
    ASSERT_TRUE(driver_->attach("hog", child.pid()));
    Limits l;
    l.memory_max = 32 << 20;
    apply("hog", l);
    ASSERT_TRUE(child.go());
    int status = child.wait(30000);
    ASSERT_NE(status, -1) << "the hog still runs";
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "status " << status << (WIFEXITED(status) ? " (exited)" : "");
    Stats s = stats("hog");
    ASSERT_TRUE(s.memory);
    std::cout << "[ measured ] memory hog under memory_max=32M: oom_kill=" << s.memory->oom_kill
              << " peak=" << s.memory->peak.value_or(0) << " max=" << s.memory->max.value_or(0)
              << "\n";
    EXPECT_EQ(s.memory->oom_kill, 1U);
    EXPECT_EQ(s.memory->max, 32U << 20);
    if (s.memory->peak) {
        EXPECT_LE(*s.memory->peak, 33U << 20);
    }
}

TEST_F(CgroupsKernel, CpuMaxThrottlesABusyLoop) {
    create("busy");
    // 200 ms of CPU under a tenth of a CPU: at least 20 periods, and any in
    // which the loop gets more than 10 ms is throttled.
    Child child([](int) { return spin_cpu(200, 30000) ? 0 : 1; });
    ASSERT_GT(child.pid(), 0);
    ASSERT_TRUE(driver_->attach("busy", child.pid()));
    Limits l;
    l.cpu_max = CpuMax{10000, 100000};
    apply("busy", l);
    ASSERT_TRUE(child.go());
    int status = child.wait(40000);
    ASSERT_NE(status, -1);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the loop got no 200 ms of CPU";
    Stats s = stats("busy");
    ASSERT_TRUE(s.cpu);
    std::cout << "[ measured ] 200 ms busy loop under cpu_max=0.1: usage=" << s.cpu->usage_usec
              << " us, periods=" << s.cpu->nr_periods << ", throttled=" << s.cpu->nr_throttled
              << " periods / " << s.cpu->throttled_usec << " us\n";
    EXPECT_GT(s.cpu->nr_throttled, 0U);
    EXPECT_GT(s.cpu->throttled_usec, 0U);
    EXPECT_GT(s.cpu->usage_usec, 0U);
}

TEST_F(CgroupsKernel, FreezeStopsAndThawResumes) {
    create("ice");
    auto* counter = static_cast<unsigned long*>(
        ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE(counter, MAP_FAILED);
    Child child([counter](int) {
        for (;;)
            __atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
        return 0;
    });
    ASSERT_GT(child.pid(), 0);
    ASSERT_TRUE(driver_->attach("ice", child.pid()));
    ASSERT_TRUE(child.go());
    ::usleep(50000);
    ASSERT_TRUE(driver_->freeze("ice"));
    unsigned long a = __atomic_load_n(counter, __ATOMIC_RELAXED);
    ::usleep(100000);
    EXPECT_EQ(__atomic_load_n(counter, __ATOMIC_RELAXED), a) << "a frozen zone ran";
    ASSERT_TRUE(driver_->thaw("ice"));
    ::usleep(100000);
    EXPECT_GT(__atomic_load_n(counter, __ATOMIC_RELAXED), a) << "a thawed zone did not run";
    ASSERT_TRUE(driver_->kill("ice"));
    EXPECT_NE(child.wait(10000), -1);
    ::munmap(counter, 4096);
}

TEST_F(CgroupsKernel, LiveChangesAndRefusals) {
    create("live");
    Limits l;
    l.pids_max = 5;
    l.memory_max = 64 << 20;
    apply("live", l);
    EXPECT_EQ(stats("live").pids->max, 5U);
    l.pids_max = 10;
    l.memory_max.reset();
    apply("live", l);
    Stats s = stats("live");
    EXPECT_EQ(s.pids->max, 10U);
    EXPECT_FALSE(s.memory->max) << "the dropped memory cap was not lifted";
    if (driver_->name() == std::string_view("v1-hybrid")) {
        Limits high;
        high.memory_high = 16 << 20;
        auto r = driver_->apply("live", high);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, kUnsupportedLimit);
        EXPECT_THAT(r.error().message(), HasSubstr("memory_high"));
    }
}

// The first disk's "major:minor" (not a loop or zram device), or "".
std::string first_disk() {
    for (const char* name : {"vda", "sda", "nvme0n1", "xvda"}) {
        auto dev = fs::read_file(std::string("/sys/block/") + name + "/dev");
        if (dev) return dev->substr(0, dev->find('\n'));
    }
    return "";
}

std::string read_trimmed(const std::string& path) {
    auto r = fs::read_file(path);
    std::string s = r ? *r : "<missing>";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

TEST_F(CgroupsKernel, CpusetWeightAndIoLimitsReachTheKernel) {
    create("files");
    Child child(wait_forever); // a member, so the cpuset must take a task
    ASSERT_GT(child.pid(), 0);
    ASSERT_TRUE(driver_->attach("files", child.pid()));
    Limits l;
    l.cpuset_cpus = "0";
    l.cpu_weight = 400;
    std::string disk = first_disk();
    unsigned major = 0, minor = 0;
    if (!disk.empty() && std::sscanf(disk.c_str(), "%u:%u", &major, &minor) == 2)
        l.io_max = {IoMax{major, minor, 1048576, std::nullopt, std::nullopt, 50}};
    apply("files", l);
    bool v1 = driver_->name() == std::string_view("v1-hybrid");
    Dirs dirs = driver_->dirs("files");
    auto file = [&](const std::string& v1_controller, const std::string& name) {
        if (!v1) return dirs.v2 + "/" + name;
        for (const auto& d : dirs.v1)
            if (d.find("/" + v1_controller + "/") != std::string::npos) return d + "/" + name;
        return std::string("<no " + v1_controller + ">");
    };
    EXPECT_EQ(read_trimmed(file("cpuset", "cpuset.cpus")), "0");
    EXPECT_EQ(read_trimmed(file("cpu", v1 ? "cpu.shares" : "cpu.weight")), v1 ? "4096" : "400");
    if (!l.io_max.empty()) {
        std::string rule = v1 ? read_trimmed(file("blkio", "blkio.throttle.read_bps_device"))
                              : read_trimmed(file("io", "io.max"));
        std::cout << "[ measured ] io rule on " << disk << ": " << rule << "\n";
        EXPECT_THAT(rule, HasSubstr(disk));
        EXPECT_THAT(rule, HasSubstr("1048576"));
    }
    apply("files", Limits{}); // live: every cap lifted
    EXPECT_NE(read_trimmed(file("cpuset", "cpuset.cpus")), "0");
    if (!l.io_max.empty() && v1) {
        EXPECT_EQ(read_trimmed(file("blkio", "blkio.throttle.read_bps_device")), "");
    }
}

TEST_F(CgroupsKernel, KillEmptiesTheZoneAndDestroyRemovesIt) {
    create("doomed");
    std::vector<std::unique_ptr<Child>> kids;
    for (int i = 0; i < 3; ++i) {
        kids.push_back(std::make_unique<Child>(wait_forever));
        ASSERT_GT(kids.back()->pid(), 0);
        ASSERT_TRUE(driver_->attach("doomed", kids.back()->pid()));
        ASSERT_TRUE(kids.back()->go());
    }
    long long t0 = now_ms();
    ASSERT_TRUE(driver_->kill("doomed"));
    for (auto& k : kids) {
        int status = k->wait(10000);
        ASSERT_NE(status, -1);
        EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    }
    ASSERT_TRUE(driver_->destroy("doomed"));
    std::cout << "[ measured ] kill + reap + destroy of 3 processes: " << now_ms() - t0 << " ms\n";
    Dirs dirs = driver_->dirs("doomed");
    EXPECT_FALSE(fs::exists(dirs.v2));
    for (const auto& d : dirs.v1)
        EXPECT_FALSE(fs::exists(d)) << d;
}

// v1 has no cgroup.kill: a process in the zone's v1 groups but not in its
// cgroup2 group is found by the sweep (freeze, SIGKILL, thaw).
TEST_F(CgroupsKernel, V1KillSweepsProcessesOutsideTheCgroup2Group) {
    if (driver_->name() != std::string_view("v1-hybrid")) GTEST_SKIP() << "v1-hybrid only";
    create("stray");
    Child child(wait_forever);
    ASSERT_GT(child.pid(), 0);
    Dirs dirs = driver_->dirs("stray");
    for (const auto& d : dirs.v1) {
        std::string procs = d + "/cgroup.procs", pid = std::to_string(child.pid());
        int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
        ASSERT_GE(fd, 0) << procs;
        EXPECT_EQ(::write(fd, pid.data(), pid.size()), ssize_t(pid.size())) << procs;
        ::close(fd);
    }
    ASSERT_TRUE(child.go());
    ASSERT_TRUE(driver_->kill("stray"));
    int status = child.wait(10000);
    ASSERT_NE(status, -1) << "the sweep missed it";
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    ASSERT_TRUE(driver_->destroy("stray"));
}

// ---- cgroup v2 only ---------------------------------------------------------
// These run where the host's driver is "v2": inside the test VM (tests/vm),
// or on a pure cgroup v2 host. Elsewhere they skip, unless
// ZT_EXPECT_CGROUP_DRIVER=v2 says v2 is expected (the VM lane sets it): then
// a different driver is a failure, so the lane cannot pass by skipping.
// They assert on the kernel's own files, not only on the driver's Stats.

class CgroupsV2Kernel : public CgroupsKernel {
  protected:
    void SetUp() override {
        CgroupsKernel::SetUp();
        if (HasFatalFailure() || IsSkipped()) return;
        const char* expect = std::getenv("ZT_EXPECT_CGROUP_DRIVER");
        if (expect && std::string(expect) == "v2") {
            ASSERT_EQ(std::string(driver_->name()), "v2") << driver_->describe();
        } else if (driver_->name() != std::string_view("v2")) {
            GTEST_SKIP() << "cgroup v2 driver only (this host: " << driver_->describe()
                         << "); the vm lane runs these";
        }
        for (const char* c : {"cpu", "cpuset", "io", "memory", "pids"})
            ASSERT_TRUE(driver_->controllers().count(c))
                << "controller " << c << " missing: " << driver_->describe();
    }

    // A file of the zone's cgroup2 directory.
    std::string file(const std::string& zone, const std::string& name) const {
        return driver_->dirs(zone).v2 + "/" + name;
    }
    std::map<std::string, std::uint64_t> keyed(const std::string& zone, const std::string& name) {
        return parse_flat_keyed(read_trimmed(file(zone, name)));
    }
};

TEST_F(CgroupsV2Kernel, MemoryMaxOomKillCountedInMemoryEvents) {
    create("hog");
    Limits l;
    l.memory_max = 32 << 20;
    apply("hog", l);
    EXPECT_EQ(read_trimmed(file("hog", "memory.max")), "33554432");
    Child child([](int) {
        const size_t size = 96 << 20;
        void* m = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) return 2;
        for (size_t i = 0; i < size; i += 4096)
            static_cast<volatile char*>(m)[i] = 1;
        return 0; // survived: the cap did not hold
    });
    ASSERT_GT(child.pid(), 0);
    ASSERT_TRUE(driver_->attach("hog", child.pid()));
    ASSERT_TRUE(child.go());
    int status = child.wait(60000);
    ASSERT_NE(status, -1) << "the hog still runs";
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "status " << status << (WIFEXITED(status) ? " (exited)" : "");
    auto events = keyed("hog", "memory.events");
    std::cout << "[ measured ] memory.events: oom=" << events["oom"]
              << " oom_kill=" << events["oom_kill"] << " max=" << events["max"]
              << ", memory.peak=" << read_trimmed(file("hog", "memory.peak")) << "\n";
    EXPECT_EQ(events["oom_kill"], 1U);
    EXPECT_GE(events["oom"], 1U);
    EXPECT_GE(events["max"], 1U) << "memory.max was never hit";
    Stats s = stats("hog");
    ASSERT_TRUE(s.memory);
    EXPECT_EQ(s.memory->oom_kill, 1U);
}

TEST_F(CgroupsV2Kernel, PidsMaxHoldsAForkLoopAndCountsRefusals) {
    create("fork");
    Limits l;
    l.pids_max = 8;
    apply("fork", l);
    Child child([](int report) {
        int made = 0;
        for (int i = 0; i < 64; ++i) {
            pid_t p = ::fork();
            if (p == 0) {
                ::pause();
                ::_exit(0);
            }
            if (p < 0) break;
            ++made;
        }
        int err = errno;
        if (::write(report, &made, sizeof made) < 0 || ::write(report, &err, sizeof err) < 0)
            return 1;
        return wait_forever(report);
    });
    ASSERT_GT(child.pid(), 0);
    ASSERT_TRUE(driver_->attach("fork", child.pid()));
    ASSERT_TRUE(child.go());
    int made = child.read_report(30000);
    int err = child.read_report(1000);
    std::cout << "[ measured ] fork loop under pids.max=8: " << made << " forks, then "
              << errno_name(err) << ", pids.events max=" << keyed("fork", "pids.events")["max"]
              << "\n";
    EXPECT_EQ(made, 7) << "the loop itself is the eighth task";
    EXPECT_EQ(err, EAGAIN);
    EXPECT_EQ(read_trimmed(file("fork", "pids.current")), "8");
    EXPECT_EQ(read_trimmed(file("fork", "pids.max")), "8");
    EXPECT_GE(keyed("fork", "pids.events")["max"], 1U) << "the refused fork was not counted";
    ASSERT_TRUE(driver_->kill("fork"));
    EXPECT_NE(child.wait(30000), -1);
}

TEST_F(CgroupsV2Kernel, CpuMaxThrottlesTwoBusyLoops) {
    create("busy");
    Limits l;
    l.cpu_max = CpuMax{20000, 100000}; // a fifth of a CPU
    apply("busy", l);
    EXPECT_EQ(read_trimmed(file("busy", "cpu.max")), "20000 100000");
    Child child([](int) {
        pid_t other = ::fork(); // two busy loops: together they want up to two CPUs
        bool done = spin_cpu(200, 30000);
        if (other == 0) ::_exit(done ? 0 : 1);
        int status = 1;
        if (other > 0) ::waitpid(other, &status, 0);
        return done && other > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
    });
    ASSERT_GT(child.pid(), 0);
    ASSERT_TRUE(driver_->attach("busy", child.pid()));
    ASSERT_TRUE(child.go());
    int status = child.wait(60000);
    ASSERT_NE(status, -1);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the loops got no 200 ms each";
    auto cpu = keyed("busy", "cpu.stat");
    std::cout << "[ measured ] two 200 ms busy loops under cpu.max=20000/100000: usage="
              << cpu["usage_usec"] << " us over " << cpu["nr_periods"] << " periods, throttled "
              << cpu["nr_throttled"] << " periods / " << cpu["throttled_usec"] << " us\n";
    EXPECT_GT(cpu["nr_throttled"], 0U);
    EXPECT_GT(cpu["throttled_usec"], 0U);
    EXPECT_GT(cpu["usage_usec"], 0U);
    // Counting, not timing: the quota bounds the usage per enforced period
    // (generously: twice the quota, plus one period of slack).
    EXPECT_LE(cpu["usage_usec"], 2 * 20000 * (cpu["nr_periods"] + 1));
    Stats s = stats("busy");
    ASSERT_TRUE(s.cpu);
    EXPECT_EQ(s.cpu->nr_throttled, cpu["nr_throttled"]);
}

TEST_F(CgroupsV2Kernel, CpusetPinsTheZoneToItsCpu) {
    if (::sysconf(_SC_NPROCESSORS_ONLN) < 2) GTEST_SKIP() << "needs two CPUs (the vm has -smp 2)";
    create("pinned");
    Limits l;
    l.cpuset_cpus = "1";
    apply("pinned", l);
    EXPECT_EQ(read_trimmed(file("pinned", "cpuset.cpus.effective")), "1");
    Child child([](int report) {
        cpu_set_t set;
        CPU_ZERO(&set);
        int allowed = ::sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : -1;
        int has1 = CPU_ISSET(1, &set) ? 1 : 0;
        int last = -1;
        for (int i = 0; i < 1000; ++i) // wherever it is scheduled, it runs on CPU 1
            if ((last = ::sched_getcpu()) != 1) break;
        cpu_set_t zero;
        CPU_ZERO(&zero);
        CPU_SET(0, &zero);
        int escape = ::sched_setaffinity(0, sizeof zero, &zero) == 0 ? 0 : errno;
        for (int v : {allowed, has1, last, escape})
            if (::write(report, &v, sizeof v) < 0) return 1;
        return wait_forever(report);
    });
    ASSERT_GT(child.pid(), 0);
    ASSERT_TRUE(driver_->attach("pinned", child.pid()));
    ASSERT_TRUE(child.go());
    int allowed = child.read_report(30000), has1 = child.read_report(1000);
    int last = child.read_report(1000), escape = child.read_report(1000);
    std::cout << "[ measured ] under cpuset.cpus=1: " << allowed << " CPU allowed, ran on CPU "
              << last << ", sched_setaffinity(CPU 0): " << (escape ? errno_name(escape) : "ok")
              << "\n";
    EXPECT_EQ(allowed, 1);
    EXPECT_EQ(has1, 1);
    EXPECT_EQ(last, 1);
    EXPECT_EQ(escape, EINVAL) << "a pinned task moved itself off its cpuset";
    // A live reset with the task still inside: back to the parent's CPUs.
    apply("pinned", Limits{});
    std::string parent_cpus = read_trimmed(driver_->parent_dirs().v2 + "/cpuset.cpus.effective");
    EXPECT_EQ(read_trimmed(file("pinned", "cpuset.cpus.effective")), parent_cpus);
    EXPECT_NE(parent_cpus, "1");
}

// The block device the VM lane attaches for this test ("/dev/vda", a scratch
// file on the host). Never set on a real host: the test writes to it.
std::string scratch_disk() {
    const char* d = std::getenv("ZT_SCRATCH_DISK");
    return d ? d : "";
}

// A Child body: writes 64 KiB O_DIRECT blocks to `disk` (wrapping at 16 MiB)
// for `ms` milliseconds, then reports the KiB written and the ms it took.
std::function<int(int)> direct_writer(const std::string& disk, int ms) {
    return [disk, ms](int report) {
        int fd = ::open(disk.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);
        if (fd < 0) return 2;
        const size_t block = 64 << 10;
        void* buf = nullptr;
        if (::posix_memalign(&buf, 4096, block) != 0) return 3;
        std::memset(buf, 0x5a, block);
        long long t0 = now_ms(), written = 0;
        while (now_ms() - t0 < ms) {
            if (::pwrite(fd, buf, block, written % (16 << 20)) != ssize_t(block)) return 4;
            written += block;
        }
        int kib = int(written >> 10), took = int(now_ms() - t0);
        if (::write(report, &kib, sizeof kib) < 0 || ::write(report, &took, sizeof took) < 0)
            return 1;
        return 0;
    };
}

TEST_F(CgroupsV2Kernel, IoMaxLimitsDirectWritesToADisk) {
    std::string disk = scratch_disk();
    if (disk.empty()) GTEST_SKIP() << "needs ZT_SCRATCH_DISK, a block device it may overwrite";
    struct stat st = {};
    ASSERT_EQ(::stat(disk.c_str(), &st), 0) << disk;
    ASSERT_TRUE(S_ISBLK(st.st_mode)) << disk << " is not a block device";
    unsigned major = ::major(st.st_rdev), minor = ::minor(st.st_rdev);
    std::string dev = std::to_string(major) + ":" + std::to_string(minor);
    create("disk");
    auto wbytes = [&] {
        for (const auto& line : zt::split_lines(zt::read_text(file("disk", "io.stat"))))
            if (line.rfind(dev + " ", 0) == 0)
                if (size_t at = line.find("wbytes="); at != std::string::npos)
                    return std::stoull(line.substr(at + 7));
        return 0ULL;
    };
    // Run `writer` in the zone; returns {KiB, ms} it reported.
    auto run = [&](int ms) {
        Child child(direct_writer(disk, ms));
        EXPECT_GT(child.pid(), 0);
        EXPECT_TRUE(driver_->attach("disk", child.pid()));
        EXPECT_TRUE(child.go());
        int kib = child.read_report(ms + 60000), took = child.read_report(1000);
        int status = child.wait(30000);
        EXPECT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
            << "writer failed: " << status;
        return std::pair<int, int>{kib, took};
    };

    // Unlimited first, so the limit below is known to be what holds the writer.
    auto [free_kib, free_ms] = run(1000);
    const std::uint64_t wbps = 1 << 20; // 1 MiB/s
    Limits l;
    l.io_max = {IoMax{major, minor, std::nullopt, wbps, std::nullopt, std::nullopt}};
    apply("disk", l);
    EXPECT_THAT(read_trimmed(file("disk", "io.max")), HasSubstr(dev + " rbps=max wbps=1048576"));
    std::uint64_t before = wbytes();
    auto [kib, ms] = run(2000);
    std::uint64_t seen = wbytes() - before;
    std::cout << "[ measured ] O_DIRECT writes to " << disk << " (" << dev << "): unlimited "
              << free_kib << " KiB in " << free_ms << " ms; under wbps=1 MiB/s " << kib
              << " KiB in " << ms << " ms, io.stat wbytes +" << seen << "\n";
    ASSERT_GT(free_ms, 0);
    ASSERT_GT(std::uint64_t(free_kib) * 1000 / free_ms, 2 * (wbps >> 10))
        << "the scratch disk is too slow unlimited to show a 1 MiB/s limit";
    ASSERT_GT(kib, 0);
    EXPECT_GE(seen, std::uint64_t(kib) << 10) << "io.stat missed the zone's writes";
    // Counting: what io.stat saw is within the limit over the window, with
    // two seconds of slack for the throttle's first slice (generous).
    EXPECT_LE(seen, wbps * (std::uint64_t(ms) + 2000) / 1000);
}

} // namespace
} // namespace zone::cg
