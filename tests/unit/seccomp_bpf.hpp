// A classic BPF interpreter for seccomp programs: runs an exported filter on
// hand-made seccomp_data as the kernel would, so that unit tests check every
// architecture's verdicts without root and whatever the kernel supports.
#pragma once

#include <cstdint>
#include <cstring>
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <vector>

namespace zone::testing_bpf {

// Runs `code` on `d` as the kernel's seccomp would; returns the action word.
inline uint32_t run_bpf(const std::vector<sock_filter>& code, const seccomp_data& d) {
    uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};
    auto load = [&](uint32_t off) {
        uint32_t v = 0;
        EXPECT_LE(off + 4, sizeof d);
        std::memcpy(&v, reinterpret_cast<const char*>(&d) + off, 4);
        return v;
    };
    for (size_t pc = 0; pc < code.size(); ++pc) {
        const sock_filter& f = code[pc];
        uint32_t src = BPF_SRC(f.code) == BPF_X ? x : f.k;
        switch (BPF_CLASS(f.code)) {
        case BPF_LD:
            a = BPF_MODE(f.code) == BPF_ABS   ? load(f.k)
                : BPF_MODE(f.code) == BPF_MEM ? mem[f.k]
                : BPF_MODE(f.code) == BPF_LEN ? uint32_t{sizeof d}
                                              : f.k;
            break;
        case BPF_LDX:
            x = BPF_MODE(f.code) == BPF_MEM   ? mem[f.k]
                : BPF_MODE(f.code) == BPF_LEN ? uint32_t{sizeof d}
                                              : f.k;
            break;
        case BPF_ST:
            mem[f.k] = a;
            break;
        case BPF_STX:
            mem[f.k] = x;
            break;
        case BPF_ALU:
            switch (BPF_OP(f.code)) {
            case BPF_ADD:
                a += src;
                break;
            case BPF_SUB:
                a -= src;
                break;
            case BPF_MUL:
                a *= src;
                break;
            case BPF_DIV:
                a = src ? a / src : 0;
                break;
            case BPF_AND:
                a &= src;
                break;
            case BPF_OR:
                a |= src;
                break;
            case BPF_XOR:
                a ^= src;
                break;
            case BPF_LSH:
                a <<= src;
                break;
            case BPF_RSH:
                a >>= src;
                break;
            case BPF_NEG:
                a = -a;
                break;
            default:
                ADD_FAILURE() << "alu op " << f.code;
                return 0;
            }
            break;
        case BPF_JMP: {
            if (BPF_OP(f.code) == BPF_JA) {
                pc += f.k;
                break;
            }
            bool t = false;
            switch (BPF_OP(f.code)) {
            case BPF_JEQ:
                t = a == src;
                break;
            case BPF_JGT:
                t = a > src;
                break;
            case BPF_JGE:
                t = a >= src;
                break;
            case BPF_JSET:
                t = (a & src) != 0;
                break;
            default:
                ADD_FAILURE() << "jmp op " << f.code;
                return 0;
            }
            pc += t ? f.jt : f.jf;
            break;
        }
        case BPF_RET:
            return BPF_RVAL(f.code) == BPF_A ? a : f.k;
        case BPF_MISC:
            if (BPF_MISCOP(f.code) == BPF_TAX)
                x = a;
            else
                a = x;
            break;
        }
    }
    ADD_FAILURE() << "fell off the end of the program";
    return 0;
}

} // namespace zone::testing_bpf
