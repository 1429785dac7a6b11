#include "runtime/devices.hpp"

#include <cstddef>
#include <cstdint>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

#include "runtime/common/fd.hpp"

namespace zone::devices {

namespace {

// eBPF instructions, spelt out (linux/bpf.h has the opcodes, not the macros).
bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}
bpf_insn load_u32(uint8_t dst, uint8_t src, int16_t off) {
    return insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0);
}
bpf_insn and_imm(uint8_t dst, int32_t imm) {
    return insn(BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm);
}
bpf_insn jeq(uint8_t dst, int32_t imm, int16_t off) {
    return insn(BPF_JMP | BPF_JEQ | BPF_K, dst, 0, off, imm);
}
bpf_insn jne(uint8_t dst, int32_t imm, int16_t off) {
    return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm);
}
bpf_insn mov_imm(uint8_t dst, int32_t imm) {
    return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
bpf_insn exit_insn() {
    return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

// r1 = struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major, minor; }
// Returns 1 (allow) or 0 (EPERM). Jump offsets count from the next instruction.
std::vector<bpf_insn> program() {
    constexpr int16_t kAccess = offsetof(bpf_cgroup_dev_ctx, access_type);
    constexpr int16_t kMajor = offsetof(bpf_cgroup_dev_ctx, major);
    constexpr int16_t kMinor = offsetof(bpf_cgroup_dev_ctx, minor);
    return {
        load_u32(2, 1, kAccess),          // 0
        and_imm(2, 0xffff),               // 1: the type
        jeq(2, BPF_DEVCG_DEV_BLOCK, 8),   // 2: block device -> deny (11)
        load_u32(3, 1, kMajor),           // 3
        jne(3, 1, 4),                     // 4: not major 1 (mem) -> allow (9)
        load_u32(4, 1, kMinor),           // 5
        jeq(4, 1, 4),                     // 6: /dev/mem -> deny (11)
        jeq(4, 2, 3),                     // 7: /dev/kmem -> deny
        jeq(4, 4, 2),                     // 8: /dev/port -> deny
        mov_imm(0, 1),                    // 9: allow
        exit_insn(),                      // 10
        mov_imm(0, 0),                    // 11: deny
        exit_insn(),                      // 12
    };
}

long bpf(int cmd, bpf_attr& attr) {
    return ::syscall(SYS_bpf, cmd, &attr, sizeof attr);
}

} // namespace

Result<void> attach_policy(int cgroup_dirfd) {
    std::vector<bpf_insn> code = program();
    bpf_attr load{};
    load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    load.insns = reinterpret_cast<uint64_t>(code.data());
    load.insn_cnt = static_cast<uint32_t>(code.size());
    load.license = reinterpret_cast<uint64_t>("GPL");
    long fd = bpf(BPF_PROG_LOAD, load);
    if (fd < 0) {
        Error e = sys_error("bpf(BPF_PROG_LOAD, cgroup device policy)");
        // Once more with the verifier's log, for the error.
        char log[2048] = {};
        load.log_buf = reinterpret_cast<uint64_t>(log);
        load.log_size = sizeof log;
        load.log_level = 1;
        if (bpf(BPF_PROG_LOAD, load) >= 0 || !log[0]) return e;
        return std::move(e).wrap(log);
    }
    UniqueFd prog(static_cast<int>(fd));
    bpf_attr at{};
    at.target_fd = static_cast<uint32_t>(cgroup_dirfd);
    at.attach_bpf_fd = static_cast<uint32_t>(prog.get());
    at.attach_type = BPF_CGROUP_DEVICE;
    if (bpf(BPF_PROG_ATTACH, at) < 0) return sys_error("bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE)");
    return ok();
}

} // namespace zone::devices
