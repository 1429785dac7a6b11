// Internal to cgroups/: file helpers the drivers share, and their factories.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cgroups/driver.hpp"
#include "cgroups/plan.hpp"

namespace zone::cg::detail {

// The limit controllers of each version, and the v1 hierarchies the
// v1-hybrid driver makes directories in (limits + cpuacct and freezer).
inline const std::vector<std::string> kV2Controllers = {"cpu", "cpuset", "io", "memory", "pids"};
inline const std::vector<std::string> kV1Limits = {"cpu", "cpuset", "memory", "pids", "blkio"};
inline const std::vector<std::string> kV1Hierarchies = {"cpu",  "cpuacct", "cpuset", "memory",
                                                        "pids", "blkio",   "freezer"};

Result<void> check_zone_name(const std::string& zone);
Result<void> check_parent_name(const std::string& parent);

std::optional<std::string> read_opt(const std::string& path);
std::optional<std::uint64_t> read_u64(const std::string& path);
// One open (O_TRUNC, no O_CREAT: a missing file is an error), one write(2) per line.
Result<void> write_lines(const std::string& path, const std::vector<std::string>& lines);
Result<void> write_one(const std::string& path, const std::string& value);
// mkdir that accepts an existing directory.
Result<void> make_dir(const std::string& path);
// rmdir, retrying EBUSY for up to `timeout_ms`; ENOENT is success.
Result<void> remove_dir(const std::string& path, int timeout_ms);
// remove_dir of a zone's group and, first, of the groups its delegated root
// made below it (deepest first). Only for a zone's own group, never a parent.
Result<void> remove_tree(const std::string& path, int timeout_ms);
// Polls `done` every 10 ms until it holds or `timeout_ms` passes.
bool wait_for(const std::function<bool()>& done, int timeout_ms);

// Walks a plan: dir_of(controller) is the directory to write in.
Result<void> run_plan(const std::vector<Write>& plan,
                      const std::function<std::string(const std::string&)>& dir_of);

// cgroup2 parts both drivers share: cgroup.freeze with a wait for "frozen 1",
// PSI into `s`, the pids listed in a cgroup.procs file.
Result<void> freeze_v2(const std::string& dir, bool frozen, int timeout_ms);
void read_pressure(const std::string& dir, Stats& s);
std::vector<pid_t> read_pids(const std::string& procs_file);

// Kills every process listed in `procs_file` without a bare-pid race: each
// is opened as a pidfd, the list is read again, and only those still listed
// are signalled, through their pidfd. `freeze(true)` / `freeze(false)`
// bracket each round so that a fork loop cannot outrun it (v1 has no
// cgroup.kill). Repeats until the list is empty or `timeout_ms` passes.
Result<void> kill_listed(const std::string& procs_file, const std::function<void(bool)>& freeze,
                         int timeout_ms);

std::unique_ptr<Driver> make_v2(std::string unified_parent, std::set<std::string> controllers);
// `v1_mounts`: controller -> mount point; makes <mount>/<parent> in each.
Result<std::unique_ptr<Driver>> make_v1_hybrid(std::string unified_parent,
                                               const std::map<std::string, std::string>& v1_mounts,
                                               const std::string& parent);

} // namespace zone::cg::detail
