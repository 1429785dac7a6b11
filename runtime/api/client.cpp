#include "client.hpp"

#include <cstdlib>

#include "runtime/api/socket.hpp"

namespace zone::api {

std::string Client::resolve_socket(const std::string& explicit_path) {
    if (!explicit_path.empty()) return explicit_path;
    if (const char* env = std::getenv("ZONED_SOCKET"); env && *env) return env;
    return kDefaultSocket;
}

Result<Client> Client::connect(const std::string& path) {
    auto fd = connect_unix(path);
    if (!fd) {
        int e = fd.error().err;
        if (e == ENOENT || e == ECONNREFUSED)
            return make_error(code::kNoDaemon, "zoned is not running (nothing listens on " + path + ")");
        if (e == EACCES) return make_error(code::kNoDaemon, "no permission to reach zoned at " + path);
        return std::move(fd).error().wrap("cannot reach zoned");
    }
    return Client(std::move(fd).value());
}

Result<void> Client::send(const std::string& method, const json& params,
                          const std::vector<int>& send_fds) {
    std::string line = encode_request(next_id_++, method, params, static_cast<int>(send_fds.size()));
    auto r = send_with_fds(fd_.get(), line, send_fds);
    if (!r) return std::move(r).error().wrap("sending request to zoned");
    return ok();
}

Result<Message> Client::receive() {
    std::string line;
    for (;;) {
        auto st = buf_.next(line);
        if (st == LineBuffer::Status::TooLong)
            return make_error(code::kProtocol, "answer from zoned is longer than 1 MiB");
        if (st == LineBuffer::Status::Line) break;
        char chunk[65536];
        std::vector<UniqueFd> fds;
        TRY(n, recv_with_fds(fd_.get(), chunk, sizeof chunk, fds));
        for (auto& f : fds) pending_fds_.push_back(std::move(f));
        if (n == 0) return make_error(code::kProtocol, "zoned closed the connection without an answer");
        buf_.feed(std::string_view(chunk, n));
    }
    Message m;
    m.body = json::parse(line, nullptr, false);
    if (m.body.is_discarded() || !m.body.is_object())
        return make_error(code::kProtocol, "answer from zoned is not a JSON object");
    if (auto n = m.body.find("nfds"); n != m.body.end() && n->is_number_unsigned()) {
        for (unsigned i = 0; i < n->get<unsigned>() && !pending_fds_.empty(); ++i) {
            m.fds.push_back(std::move(pending_fds_.front()));
            pending_fds_.pop_front();
        }
    }
    return m;
}

Error error_from_answer(const json& err) {
    std::string c = err.value("code", std::string(code::kInternal));
    std::string msg = err.value("message", std::string("unknown error"));
    return make_error(c, msg);
}

Result<json> Client::call(const std::string& method, const json& params,
                          const std::vector<int>& send_fds, std::vector<UniqueFd>* recv_fds,
                          const std::function<void(const json&)>& on_progress) {
    TRY_VOID(send(method, params, send_fds));
    for (;;) {
        TRY(m, receive());
        if (auto p = m.body.find("progress"); p != m.body.end()) {
            if (on_progress) on_progress(*p);
            continue;
        }
        if (auto e = m.body.find("error"); e != m.body.end() && e->is_object())
            return error_from_answer(*e);
        if (recv_fds) *recv_fds = std::move(m.fds);
        auto r = m.body.find("result");
        if (r == m.body.end()) return make_error(code::kProtocol, "answer from zoned has no result");
        return *r;
    }
}

} // namespace zone::api
