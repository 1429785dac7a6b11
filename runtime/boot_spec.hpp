// What zoned tells a zone's monitor to build: everything the start sequence
// needs, resolved and checked in the daemon. Serialized as one JSON line.
#pragma once

#include <linux/filter.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/common/error.hpp"

namespace zone {

struct FsSpec {
    std::string dir;      // in the zone
    std::string special;  // host path (lofs) or a word (tmpfs)
    std::string type;     // lofs | tmpfs
    bool readonly = false;
    std::string data;     // tmpfs options ("size=..,mode=..")
    unsigned long flags = 0;  // MS_NOSUID, MS_NODEV, MS_NOEXEC
};

// One network interface of the zone: a veth pair, the host end on `bridge`.
struct NetSpec {
    std::string host_if;   // host end name (unique on the host, <= 15 chars)
    std::string zone_if;   // name inside the zone: eth0, eth1, ...
    std::string bridge;
    std::string address;   // CIDR
    std::string gateway;   // default route via, "" for none
    bool isolated = false; // the host end is an isolated bridge port
};

struct BootSpec {
    std::string name;
    std::string hostname;
    std::string root_type = "overlay";  // overlay | copy
    std::string lower;      // image rootfs (overlay)
    std::string upper, work;  // the zone's own changes (overlay)
    std::string copy_root;  // the zone's full copy (copy)
    std::string mountpoint; // where the root is assembled (<zone>/root)
    std::string init = "builtin";  // builtin | a path in the zone
    std::string cgroup;     // the zone's cgroup directory
    // v1-hybrid hosts: the zone's groups in the v1 hierarchies, which init
    // joins before sync #1 and which the monitor removes at the end.
    std::vector<std::string> cgroup_v1;
    std::string console_log;
    std::string run_dir;    // monitor socket and exit file
    std::vector<FsSpec> fs;
    bool own_netns = true;  // false for ip-type=shared
    std::vector<NetSpec> nets;
    // Confinement, applied last before exec: the capability set (bits), the
    // kernel's last capability, and the seccomp program built by zoned.
    uint64_t cap_bits = 0;
    int last_cap = 0;
    std::vector<sock_filter> seccomp;
    bool no_new_privs = true;  // false for security-profile=system (setuid works in its userns)
    // userns=auto: the zone's ids 0 .. uid_count-1 are host ids uid_base ..
    // (uid_count 0: no user namespace, the zone's root is the host's root).
    uint32_t uid_base = 0;
    uint32_t uid_count = 0;
    bool userns() const { return uid_count != 0; }
};

nlohmann::json to_json(const BootSpec& s);
Result<BootSpec> boot_spec_from_json(const nlohmann::json& j);

} // namespace zone
