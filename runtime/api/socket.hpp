// Unix stream sockets: listen, connect, peer credentials, fd passing.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

#include "runtime/common/error.hpp"
#include "runtime/common/fd.hpp"

namespace zone::api {

struct PeerCred {
    pid_t pid = -1;
    uid_t uid = static_cast<uid_t>(-1);
    gid_t gid = static_cast<gid_t>(-1);
    std::vector<gid_t> groups;  // supplementary groups (SO_PEERGROUPS)
};

// Binds and listens on `path` (a stale socket file is replaced), mode 0666:
// authorization is per call from SO_PEERCRED, not by file permissions.
Result<UniqueFd> listen_unix(const std::string& path, int backlog = 128);
Result<UniqueFd> connect_unix(const std::string& path);
Result<PeerCred> peer_cred(int fd);

// Sends all of `data`; the fds ride with the first byte (SCM_RIGHTS).
Result<void> send_with_fds(int sock, const std::string& data, const std::vector<int>& fds);
// Receives up to `max` bytes and any fds that came with them (CLOEXEC).
// Returns 0 bytes at EOF.
Result<size_t> recv_with_fds(int sock, char* buf, size_t max, std::vector<UniqueFd>& fds);

Result<void> write_all(int fd, const std::string& data);

} // namespace zone::api
