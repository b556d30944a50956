/* SPDX-License-Identifier: MIT */
/*
 * fuzz_seccomp_json.c - libFuzzer target for Docker/OCI JSON seccomp
 * profiles: any bytes go through pd_seccomp_from_json(), which parses AND
 * compiles with libseccomp.  It must return a program or an error, never
 * crash or leak.  A program must be one the kernel's checker would take
 * (size, opcodes, loads inside struct seccomp_data, jumps inside the
 * program, a return at the end; see check_prog()); an error must name
 * itself and leave no program behind.
 * Seeds: tests/fuzz/corpus/fuzz_seccomp_json/.
 *
 * Leaks.  libseccomp 2.5.4 itself loses tree nodes when a rule makes an
 * earlier, longer rule for the same syscall redundant: with nothing of
 * paude's involved, seccomp_rule_add() of exit_group a0==8 && a1==0, then
 * a1==8, then a1==0, then seccomp_release() leaks 576 bytes
 * (tests/fuzz/corpus/fuzz_seccomp_json/libseccomp-leak.json does it through
 * JSON).  Only leaks allocated under seccomp_rule_add_array() are
 * suppressed: those are tree nodes, which belong to a filter context.  A
 * context paude fails to release is still reported, as a direct leak
 * allocated under seccomp_init() (its nodes, under seccomp_rule_add_array,
 * are then only indirect).  libseccomp has no frame pointers, so malloc
 * stacks are unwound from DWARF (fast_unwind_on_malloc=0) or the stack
 * would stop inside libseccomp and not reach the function named.
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);
const char *__asan_default_options(void);

const char *__lsan_default_suppressions(void)
{
	return "leak:seccomp_rule_add_array\n";
}

const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

/* What the kernel's classic BPF checker and seccomp_check_filter() accept. */
static void check_prog(const struct sock_filter *f, size_t n)
{
	if (!f || n == 0 || n > BPF_MAXINSNS)
		abort();
	for (size_t pc = 0; pc < n; pc++) {
		uint16_t code = f[pc].code;
		uint32_t k = f[pc].k;
		size_t left = n - pc - 1; /* instructions after this one */

		switch (code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (k % 4 || k > sizeof(struct seccomp_data) - 4)
				abort();
			break;
		case BPF_LD | BPF_W | BPF_LEN:
		case BPF_LDX | BPF_W | BPF_LEN:
		case BPF_LD | BPF_IMM:
		case BPF_LDX | BPF_IMM:
		case BPF_MISC | BPF_TAX:
		case BPF_MISC | BPF_TXA:
		case BPF_RET | BPF_K:
		case BPF_RET | BPF_A:
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
		case BPF_ST:
		case BPF_STX:
			if (k >= BPF_MEMWORDS)
				abort();
			break;
		case BPF_ALU | BPF_ADD | BPF_K:
		case BPF_ALU | BPF_ADD | BPF_X:
		case BPF_ALU | BPF_SUB | BPF_K:
		case BPF_ALU | BPF_SUB | BPF_X:
		case BPF_ALU | BPF_MUL | BPF_K:
		case BPF_ALU | BPF_MUL | BPF_X:
		case BPF_ALU | BPF_DIV | BPF_X:
		case BPF_ALU | BPF_MOD | BPF_X:
		case BPF_ALU | BPF_AND | BPF_K:
		case BPF_ALU | BPF_AND | BPF_X:
		case BPF_ALU | BPF_OR | BPF_K:
		case BPF_ALU | BPF_OR | BPF_X:
		case BPF_ALU | BPF_XOR | BPF_K:
		case BPF_ALU | BPF_XOR | BPF_X:
		case BPF_ALU | BPF_LSH | BPF_X:
		case BPF_ALU | BPF_RSH | BPF_X:
		case BPF_ALU | BPF_NEG:
			break;
		case BPF_ALU | BPF_DIV | BPF_K:
		case BPF_ALU | BPF_MOD | BPF_K:
			if (k == 0)
				abort();
			break;
		case BPF_ALU | BPF_LSH | BPF_K:
		case BPF_ALU | BPF_RSH | BPF_K:
			if (k >= 32)
				abort();
			break;
		case BPF_JMP | BPF_JA:
			if (k >= left)
				abort();
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JEQ | BPF_X:
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_X:
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_X:
		case BPF_JMP | BPF_JSET | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_X:
			if (f[pc].jt >= left || f[pc].jf >= left)
				abort();
			break;
		default:
			abort(); /* not an instruction seccomp takes */
		}
	}
	if (BPF_CLASS(f[n - 1].code) != BPF_RET)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_seccomp_prog prog = { 0 };
	struct pd_error err = { 0 };

	if (pd_seccomp_from_json((const char *)data, size, &prog, &err) == 0) {
		check_prog(prog.insns, prog.len);
		pd_seccomp_prog_release(&prog);
		if (prog.insns || prog.len)
			abort();
	} else {
		if (prog.insns || prog.len || err.msg[0] == '\0' ||
		    !memchr(err.msg, '\0', sizeof(err.msg)) ||
		    strncmp(err.msg, "seccomp profile", 15) != 0)
			abort();
	}
	return 0;
}
