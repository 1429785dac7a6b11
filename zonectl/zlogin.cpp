// zlogin: a shell or command in a zone (Solaris zlogin(1)), or its console
// with -C. Data never goes through zoned: without a pty our own stdio fds
// are handed to the zone's process; with one, zoned hands us the master.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <poll.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "zonectl/common.hpp"

namespace zonectl {

namespace {

using zone::api::json;

struct Options {
    std::string user;
    std::string zone;
    std::string command;
    bool console = false, safe = false, force_tty = false, no_tty = false;
    int escape = '~';  // -1: none
};

int usage(const Tool& t) {
    std::fprintf(stderr,
                 "usage: %s [-l USER] [-E] [-e C] [-t|-T] [-S] ZONE [COMMAND...]\n"
                 "       %s -C [-E] [-e C] ZONE\n",
                 t.name.c_str(), t.name.c_str());
    return kExitUsage;
}

// Options come before the zone name; everything after it is the command.
bool parse(const Tool& t, Options& o) {
    const auto& a = t.args;
    size_t i = 0;
    for (; i < a.size() && a[i].size() > 1 && a[i][0] == '-'; ++i) {
        const std::string& s = a[i];
        if (s == "--") {
            ++i;
            break;
        }
        for (size_t k = 1; k < s.size(); ++k) {
            char ch = s[k];
            if (ch == 'C') o.console = true;
            else if (ch == 'S') o.safe = true;
            else if (ch == 't') o.force_tty = true;
            else if (ch == 'T') o.no_tty = true;
            else if (ch == 'E') o.escape = -1;
            else if (ch == 'l' || ch == 'e') {
                std::string v = k + 1 < s.size() ? s.substr(k + 1) : (i + 1 < a.size() ? a[++i] : "");
                if (v.empty()) return false;
                if (ch == 'l') o.user = v;
                else o.escape = static_cast<unsigned char>(v[0]);
                break;
            } else return false;
        }
    }
    if (i >= a.size()) return false;
    o.zone = a[i++];
    for (; i < a.size(); ++i) o.command += (o.command.empty() ? "" : " ") + a[i];
    return !(o.force_tty && o.no_tty) && !(o.console && !o.command.empty());
}

// Raw mode on our terminal for the length of a session.
class RawTerminal {
  public:
    RawTerminal() {
        if (!::isatty(0) || ::tcgetattr(0, &saved_) < 0) return;
        termios raw = saved_;
        ::cfmakeraw(&raw);
        active_ = ::tcsetattr(0, TCSAFLUSH, &raw) == 0;
    }
    ~RawTerminal() {
        if (active_) ::tcsetattr(0, TCSAFLUSH, &saved_);
    }

  private:
    termios saved_{};
    bool active_ = false;
};

bool write_all(int fd, const char* p, size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

// Copies our stdin to `peer` and `peer` to our stdout until the peer ends
// or the user types the escape sequence (escape char then '.', at the start
// of a line). `winch_to` gets window size changes (a pty master).
void relay(int peer, int escape, int winch_to, int done_fd) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGWINCH);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
    bool line_start = true, pending_escape = false, stdin_open = true;
    char buf[16384];
    for (;;) {
        pollfd p[4] = {{stdin_open ? 0 : -1, POLLIN, 0}, {peer, POLLIN, 0}, {sfd, POLLIN, 0},
                       {done_fd, POLLIN, 0}};
        if (::poll(p, 4, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = ::read(peer, buf, sizeof buf);
            if (n <= 0) break;  // EIO from a master: the session ended
            write_all(1, buf, static_cast<size_t>(n));
        }
        if (p[2].revents & POLLIN) {
            signalfd_siginfo si;
            if (::read(sfd, &si, sizeof si) > 0 && winch_to >= 0) {
                winsize ws{};
                if (::ioctl(0, TIOCGWINSZ, &ws) == 0) ::ioctl(winch_to, TIOCSWINSZ, &ws);
            }
        }
        if (p[0].revents & (POLLIN | POLLHUP)) {
            ssize_t n = ::read(0, buf, sizeof buf);
            if (n <= 0) {
                stdin_open = false;
                if (winch_to < 0) ::shutdown(peer, SHUT_WR);
                continue;
            }
            std::string out;
            for (ssize_t k = 0; k < n; ++k) {
                char ch = buf[k];
                if (pending_escape) {
                    pending_escape = false;
                    if (ch == '.') {
                        if (sfd >= 0) ::close(sfd);
                        write_all(peer, out.data(), out.size());
                        return;
                    }
                    out += static_cast<char>(escape);
                    if (ch == static_cast<char>(escape)) {
                        line_start = false;
                        continue;
                    }
                }
                if (escape >= 0 && line_start && ch == static_cast<char>(escape)) {
                    pending_escape = true;
                    continue;
                }
                out += ch;
                line_start = ch == '\r' || ch == '\n';
            }
            write_all(peer, out.data(), out.size());
        }
        if (p[3].revents & (POLLIN | POLLHUP)) {
            // The session ended: drain what the pty still holds, then stop.
            pollfd d{peer, POLLIN, 0};
            while (::poll(&d, 1, 50) > 0) {
                ssize_t n = ::read(peer, buf, sizeof buf);
                if (n <= 0) break;
                write_all(1, buf, static_cast<size_t>(n));
            }
            break;
        }
    }
    if (sfd >= 0) ::close(sfd);
}

int console(Tool& t, const Options& o) {
    auto c = connect(t);
    if (!c) return report(t, c.error());
    std::vector<zone::UniqueFd> fds;
    auto r = c->call("zone.console", json{{"name", o.zone}}, {}, &fds);
    if (!r) return report(t, r.error());
    if (fds.empty()) return report(t, zone::make_error("PROTOCOL_ERROR", "zoned sent no console"));
    std::fprintf(stderr, "[Connected to zone '%s' console]\n", o.zone.c_str());
    {
        RawTerminal raw;
        relay(fds[0].get(), o.escape, -1, -1);
    }
    std::fprintf(stderr, "\n[Connection to zone '%s' console closed]\n", o.zone.c_str());
    return kExitOk;
}

int session(Tool& t, const Options& o) {
    bool tty = o.force_tty || (!o.no_tty && o.command.empty() && ::isatty(0));
    json params{{"name", o.zone}, {"tty", tty}, {"safe", o.safe}};
    if (!o.user.empty()) params["user"] = o.user;
    if (!o.command.empty()) params["command"] = o.command;
    if (tty) {
        if (const char* term = std::getenv("TERM")) params["term"] = term;
        winsize ws{};
        if (::ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_row) {
            params["rows"] = ws.ws_row;
            params["cols"] = ws.ws_col;
        }
    }
    auto c = connect(t);
    if (!c) return report(t, c.error());
    auto sent = tty ? c->send("zone.login", params) : c->send("zone.login", params, {0, 1, 2});
    if (!sent) return report(t, sent.error());
    for (;;) {
        auto m = c->receive();
        if (!m) return report(t, m.error());
        if (auto e = m->body.find("error"); e != m->body.end())
            return report(t, zone::api::error_from_answer(*e));
        if (auto res = m->body.find("result"); res != m->body.end())
            return res->value("status", 255);
        if (tty && !m->fds.empty()) {
            RawTerminal raw;
            relay(m->fds[0].get(), o.escape, m->fds[0].get(), c->fd());
            m->fds.clear();
        }
    }
}

} // namespace

int run_zlogin(Tool& t) {
    Options o;
    if (!parse(t, o)) return usage(t);
    std::signal(SIGPIPE, SIG_IGN);
    return o.console ? console(t, o) : session(t, o);
}

} // namespace zonectl
