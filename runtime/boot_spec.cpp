#include "boot_spec.hpp"

namespace zone {

using nlohmann::json;

json to_json(const BootSpec& s) {
    json fs = json::array();
    for (const auto& f : s.fs)
        fs.push_back({{"dir", f.dir}, {"special", f.special}, {"type", f.type},
                      {"readonly", f.readonly}, {"data", f.data}, {"flags", f.flags}});
    json nets = json::array();
    for (const auto& n : s.nets)
        nets.push_back({{"host_if", n.host_if}, {"zone_if", n.zone_if}, {"bridge", n.bridge},
                        {"address", n.address}, {"gateway", n.gateway}, {"isolated", n.isolated}});
    json bpf = json::array();
    for (const auto& f : s.seccomp) bpf.push_back({f.code, f.jt, f.jf, f.k});
    return json{{"cap_bits", s.cap_bits}, {"last_cap", s.last_cap}, {"seccomp", bpf},
                {"own_netns", s.own_netns}, {"nets", nets}, {"name", s.name},       {"hostname", s.hostname}, {"root_type", s.root_type},
                {"lower", s.lower},     {"upper", s.upper},       {"work", s.work},
                {"copy_root", s.copy_root}, {"mountpoint", s.mountpoint}, {"init", s.init},
                {"cgroup", s.cgroup},   {"console_log", s.console_log}, {"run_dir", s.run_dir},
                {"fs", fs}, {"no_new_privs", s.no_new_privs}, {"uid_base", s.uid_base},
                {"uid_count", s.uid_count}, {"cgroup_v1", s.cgroup_v1}};
}

Result<BootSpec> boot_spec_from_json(const json& j) {
    try {
        BootSpec s;
        s.name = j.at("name").get<std::string>();
        s.hostname = j.at("hostname").get<std::string>();
        s.root_type = j.at("root_type").get<std::string>();
        s.lower = j.at("lower").get<std::string>();
        s.upper = j.at("upper").get<std::string>();
        s.work = j.at("work").get<std::string>();
        s.copy_root = j.at("copy_root").get<std::string>();
        s.mountpoint = j.at("mountpoint").get<std::string>();
        s.init = j.at("init").get<std::string>();
        s.cgroup = j.at("cgroup").get<std::string>();
        s.cgroup_v1 = j.value("cgroup_v1", std::vector<std::string>{});
        s.console_log = j.at("console_log").get<std::string>();
        s.run_dir = j.at("run_dir").get<std::string>();
        for (const auto& f : j.at("fs")) {
            FsSpec fs;
            fs.dir = f.at("dir").get<std::string>();
            fs.special = f.at("special").get<std::string>();
            fs.type = f.at("type").get<std::string>();
            fs.readonly = f.at("readonly").get<bool>();
            fs.data = f.at("data").get<std::string>();
            fs.flags = f.at("flags").get<unsigned long>();
            s.fs.push_back(std::move(fs));
        }
        s.own_netns = j.at("own_netns").get<bool>();
        s.cap_bits = j.at("cap_bits").get<uint64_t>();
        s.last_cap = j.at("last_cap").get<int>();
        for (const auto& f : j.at("seccomp"))
            s.seccomp.push_back(sock_filter{f.at(0).get<uint16_t>(), f.at(1).get<uint8_t>(),
                                            f.at(2).get<uint8_t>(), f.at(3).get<uint32_t>()});
        for (const auto& n : j.at("nets"))
            s.nets.push_back(NetSpec{n.at("host_if").get<std::string>(), n.at("zone_if").get<std::string>(),
                                     n.at("bridge").get<std::string>(), n.at("address").get<std::string>(),
                                     n.at("gateway").get<std::string>(), n.at("isolated").get<bool>()});
        s.no_new_privs = j.value("no_new_privs", true);
        s.uid_base = j.value("uid_base", 0U);
        s.uid_count = j.value("uid_count", 0U);
        return s;
    } catch (const json::exception& e) {
        return make_error("EINVAL", std::string("boot spec: ") + e.what());
    }
}

} // namespace zone
