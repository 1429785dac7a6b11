#include "socket.hpp"

#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace zone::api {

static Result<sockaddr_un> make_addr(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path)
        return make_error("EINVAL", "socket path '" + path + "' is empty or longer than " +
                                        std::to_string(sizeof addr.sun_path - 1) + " bytes");
    memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    return addr;
}

Result<UniqueFd> listen_unix(const std::string& path, int backlog) {
    TRY(addr, make_addr(path));
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return sys_error("socket(AF_UNIX)");
    // A live daemon on this path must not be displaced.
    {
        UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (probe && ::connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
            return make_error("EADDRINUSE", "another daemon is listening on " + path);
    }
    ::unlink(path.c_str());
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
        return sys_error("bind(" + path + ")");
    ::chmod(path.c_str(), 0666);
    if (::listen(fd.get(), backlog) < 0) return sys_error("listen(" + path + ")");
    return fd;
}

Result<UniqueFd> connect_unix(const std::string& path) {
    TRY(addr, make_addr(path));
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return sys_error("socket(AF_UNIX)");
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
        return sys_error("connect(" + path + ")");
    return fd;
}

Result<PeerCred> peer_cred(int fd) {
    ucred uc{};
    socklen_t len = sizeof uc;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
        return sys_error("getsockopt(SO_PEERCRED)");
    PeerCred pc{uc.pid, uc.uid, uc.gid, {}};
    std::vector<gid_t> groups(64);
    for (;;) {
        socklen_t glen = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
        if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &glen) == 0) {
            groups.resize(glen / sizeof(gid_t));
            break;
        }
        if (errno != ERANGE) return sys_error("getsockopt(SO_PEERGROUPS)");
        groups.resize(glen / sizeof(gid_t) + 1);
    }
    pc.groups = std::move(groups);
    return pc;
}

Result<void> write_all(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == ENOTSOCK) n = ::write(fd, data.data() + off, data.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_error("write(socket)");
        }
        off += static_cast<size_t>(n);
    }
    return ok();
}

Result<void> send_with_fds(int sock, const std::string& data, const std::vector<int>& fds) {
    if (fds.empty()) return write_all(sock, data);
    if (data.empty()) return make_error("EINVAL", "send_with_fds: fds need at least one byte");
    constexpr size_t kMaxFds = 16;
    if (fds.size() > kMaxFds) return make_error("EINVAL", "send_with_fds: too many fds");
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)]{};
    iovec iov{const_cast<char*>(data.data()), data.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    ssize_t n;
    do {
        n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return sys_error("sendmsg(SCM_RIGHTS)");
    if (static_cast<size_t>(n) < data.size()) return write_all(sock, data.substr(static_cast<size_t>(n)));
    return ok();
}

Result<size_t> recv_with_fds(int sock, char* buf, size_t max, std::vector<UniqueFd>& fds) {
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 16)]{};
    iovec iov{buf, max};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
        n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return sys_error("recvmsg");
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            fds.emplace_back(fd);
        }
    }
    if (msg.msg_flags & MSG_CTRUNC) return make_error("EPROTO", "recvmsg: too many fds, truncated");
    return static_cast<size_t>(n);
}

} // namespace zone::api
