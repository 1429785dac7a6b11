// A connection to zoned: send requests, read answers (with their fds).
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "runtime/api/framing.hpp"
#include "runtime/api/protocol.hpp"
#include "runtime/common/fd.hpp"

namespace zone::api {

struct Message {
    json body;
    std::vector<UniqueFd> fds;
};

class Client {
  public:
    // Socket path: `explicit_path` if given, else $ZONED_SOCKET, else the default.
    static std::string resolve_socket(const std::string& explicit_path);
    static Result<Client> connect(const std::string& path);

    // One request, waiting for its answer; progress lines go to `on_progress`.
    // A daemon-side error becomes an Error whose `code` is the wire code.
    Result<json> call(const std::string& method, const json& params,
                      const std::vector<int>& send_fds = {}, std::vector<UniqueFd>* recv_fds = nullptr,
                      const std::function<void(const json&)>& on_progress = {});

    Result<void> send(const std::string& method, const json& params,
                      const std::vector<int>& send_fds = {});
    Result<Message> receive();
    int fd() const { return fd_.get(); }

  private:
    explicit Client(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
    LineBuffer buf_;
    std::deque<UniqueFd> pending_fds_;
    long long next_id_ = 1;
};

// Turns an answer's error object into an Error.
Error error_from_answer(const json& err);

} // namespace zone::api
