// A static probe run inside zones by the integration tests: one system call,
// its outcome on stdout ("ok" or "errno N"), exit status 0 or 1.
//   seccomp-probe socket FAMILY [TYPE]   socket(FAMILY, TYPE or SOCK_STREAM, 0)
//   seccomp-probe keyctl                 keyctl(KEYCTL_GET_KEYRING_ID, session)
//   seccomp-probe getppid | uname        calls every filter allows by default
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace {

int report(long rc) {
    if (rc < 0) {
        std::printf("errno %d\n", errno);
        return 1;
    }
    std::printf("ok\n");
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc >= 3 && std::strcmp(argv[1], "socket") == 0) {
        int type = argc >= 4 ? std::atoi(argv[3]) : SOCK_STREAM;
        return report(::socket(std::atoi(argv[2]), type, 0));
    }
    if (argc == 2 && std::strcmp(argv[1], "keyctl") == 0)
        return report(::syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */,
                                -3 /* KEY_SPEC_SESSION_KEYRING */, 0));
    if (argc == 2 && std::strcmp(argv[1], "getppid") == 0) return report(::syscall(SYS_getppid));
    if (argc == 2 && std::strcmp(argv[1], "uname") == 0) {
        struct utsname u {};
        return report(::uname(&u));
    }
    std::fprintf(stderr, "usage: seccomp-probe socket FAMILY [TYPE] | keyctl | getppid | uname\n");
    return 2;
}
