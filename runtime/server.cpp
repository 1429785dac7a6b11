#include "server.hpp"

#include <deque>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <thread>

#include "runtime/api/protocol.hpp"
#include "runtime/api/socket.hpp"
#include "runtime/common/log.hpp"
#include "runtime/daemon.hpp"

namespace zone {

namespace {
constexpr size_t kMaxConnections = 1024;
}

void Connection::send(const std::string& line, const std::vector<int>& fds) {
    std::lock_guard g(write_mu_);
    auto r = api::send_with_fds(fd_.get(), line, fds);
    if (!r) ZLOG_DEBUG("send to client: %s", r.error().message().c_str());
}

void Server::handle_line(Connection& conn, const std::string& line, std::vector<UniqueFd>& fds) {
    auto req = api::parse_request(line);
    if (!req) {
        ZLOG_WARN("malformed request: %s", req.error().message().c_str());
        // Echo the id when the line had a usable one, so the client can match.
        api::json id;
        auto j = api::json::parse(line, nullptr, false);
        if (j.is_object() && j.contains("id") && (j["id"].is_number_integer() || j["id"].is_string()))
            id = j["id"];
        conn.send(api::encode_error(id, req.error()), {});
        return;
    }
    auto peer = api::peer_cred(conn.fd());
    if (!peer) {
        conn.send(api::encode_error(req->id, peer.error()), {});
        return;
    }
    Call call{daemon_, conn, *peer, req->id, std::move(req->params), {}, {}};
    for (int i = 0; i < req->nfds && !fds.empty(); ++i) {
        call.fds.push_back(std::move(fds.front()));
        fds.erase(fds.begin());
    }
    const Method* m = daemon_.find_method(req->method);
    if (!m) {
        conn.send(api::encode_error(req->id, make_error(api::code::kUnknownMethod,
                                                        "unknown method '" + req->method + "'")),
                  {});
        return;
    }
    // Every call is judged from the peer's credentials and the method's
    // declared need (runtime/auth.hpp) before its handler runs.
    call.caller = daemon_.caller_of(*peer);
    auto verdict = daemon_.authorize(call, *m);
    if (!verdict.allowed()) {
        using V = auth::Decision::Verdict;
        // zonecfg asks for a zone before creating it: a miss is routine.
        if (verdict.verdict == V::NotFound)
            ZLOG_DEBUG("uid=%u pid=%d %s: %s", peer->uid, peer->pid, req->method.c_str(),
                       verdict.why.c_str());
        else
            ZLOG_WARN("uid=%u pid=%d refused %s: %s", peer->uid, peer->pid, req->method.c_str(),
                      verdict.why.c_str());
        conn.send(api::encode_error(req->id, make_error(auth_code(verdict), verdict.why)), {});
        return;
    }
    ZLOG_DEBUG("uid=%u pid=%d %s", peer->uid, peer->pid, req->method.c_str());
    Result<api::json> res = [&]() -> Result<api::json> {
        try {
            return m->fn(call);
        } catch (const std::exception& e) {
            // A handler bug must not take the daemon down with it.
            return make_error(api::code::kInternal, std::string("internal error: ") + e.what());
        }
    }();
    if (!res) {
        ZLOG_INFO("%s: %s", req->method.c_str(), res.error().message().c_str());
        conn.send(api::encode_error(req->id, res.error()), {});
        return;
    }
    std::vector<int> out;
    for (auto& f : call.reply_fds) out.push_back(f.get());
    conn.send(api::encode_result(req->id, *res, static_cast<int>(out.size())), out);
}

void Server::serve(Connection& conn) {
    api::LineBuffer buf;
    std::vector<UniqueFd> fds;
    std::string line;
    char chunk[65536];
    while (!stopping_) {
        std::vector<UniqueFd> got;
        auto n = api::recv_with_fds(conn.fd(), chunk, sizeof chunk, got);
        if (!n || *n == 0) break;
        for (auto& f : got) fds.push_back(std::move(f));
        buf.feed(std::string_view(chunk, *n));
        for (;;) {
            auto st = buf.next(line);
            if (st == api::LineBuffer::Status::NeedMore) break;
            if (st == api::LineBuffer::Status::TooLong) {
                conn.send(api::encode_error(nullptr, make_error(api::code::kLineTooLong,
                                                                "request line longer than 1 MiB")),
                          {});
                fds.clear();
                continue;
            }
            if (line.find_first_not_of(" \t") == std::string::npos) continue;
            handle_line(conn, line, fds);
        }
    }
}

Result<void> Server::run(UniqueFd listener) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    UniqueFd sfd(::signalfd(-1, &mask, SFD_CLOEXEC));
    if (!sfd) return sys_error("signalfd");
    ZLOG_INFO("listening on %s", daemon_.paths().socket_path().c_str());
    for (;;) {
        pollfd p[2] = {{listener.get(), POLLIN, 0}, {sfd.get(), POLLIN, 0}};
        if (::poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return sys_error("poll");
        }
        if (p[1].revents & POLLIN) {
            signalfd_siginfo si{};
            if (::read(sfd.get(), &si, sizeof si) != sizeof si) continue;
            if (si.ssi_signo == SIGHUP) {
                auto r = daemon_.reload_config();
                if (r) ZLOG_INFO("SIGHUP: configuration re-read");
                else ZLOG_ERROR("SIGHUP: keeping the old configuration: %s", r.error().message().c_str());
                continue;
            }
            ZLOG_INFO("signal %d: shutting down; running zones keep running", si.ssi_signo);
            break;
        }
        if (!(p[0].revents & POLLIN)) continue;
        UniqueFd c(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!c) continue;
        std::unique_lock g(mu_);
        if (threads_ >= kMaxConnections) {
            g.unlock();
            (void)api::write_all(c.get(), api::encode_error(nullptr, make_error(api::code::kBusy,
                                                                           "too many clients")));
            continue;
        }
        ++threads_;
        live_.insert(c.get());
        g.unlock();
        std::thread([this, conn = std::make_shared<Connection>(std::move(c))] {
            serve(*conn);
            std::lock_guard lg(mu_);
            live_.erase(conn->fd());
            if (--threads_ == 0) idle_.notify_all();
        }).detach();
    }
    stopping_ = true;
    listener.reset();
    ::unlink(daemon_.paths().socket_path().c_str());
    std::unique_lock g(mu_);
    for (int fd : live_) ::shutdown(fd, SHUT_RDWR);
    // Give in-flight calls a moment to finish writing their state.
    idle_.wait_for(g, std::chrono::seconds(10), [&] { return threads_ == 0; });
    return ok();
}

} // namespace zone
