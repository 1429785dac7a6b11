// The API server: accepts connections on the Unix socket, one thread per
// connection, reads newline-delimited JSON requests and dispatches them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "runtime/api/framing.hpp"
#include "runtime/common/error.hpp"
#include "runtime/common/fd.hpp"

namespace zone {

class Daemon;

class Connection {
  public:
    explicit Connection(UniqueFd fd) : fd_(std::move(fd)) {}
    int fd() const { return fd_.get(); }
    // Sends one line (with fds); errors are ignored: a vanished client is not
    // the daemon's problem, its next read sees EOF.
    void send(const std::string& line, const std::vector<int>& fds);

  private:
    UniqueFd fd_;
    std::mutex write_mu_;
};

class Server {
  public:
    explicit Server(Daemon& d) : daemon_(d) {}
    // Serves until SIGTERM/SIGINT (SIGHUP reloads the config). Blocks those
    // signals in the calling thread before starting any other thread.
    Result<void> run(UniqueFd listener);

  private:
    void serve(Connection& conn);
    void handle_line(Connection& conn, const std::string& line, std::vector<UniqueFd>& fds);

    Daemon& daemon_;
    std::mutex mu_;
    std::condition_variable idle_;
    std::set<int> live_;  // connection fds, shut down on exit
    size_t threads_ = 0;
    std::atomic<bool> stopping_{false};
};

} // namespace zone
