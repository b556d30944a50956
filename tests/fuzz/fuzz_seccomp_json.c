/* SPDX-License-Identifier: MIT */
/*
 * fuzz_seccomp_json.c - libFuzzer target for Docker/OCI JSON seccomp
 * profiles: any bytes go through pd_seccomp_from_json(), which parses AND
 * compiles with libseccomp.  It must return a program or an error, never
 * crash, leak, or hand back a program the kernel would refuse for its size.
 * Seeds: tests/fuzz/corpus/fuzz_seccomp_json/.
 *
 * libseccomp 2.5.4 itself leaks tree nodes when a rule makes an earlier,
 * longer rule for the same syscall redundant (seccomp_rule_add() of
 * exit_group a0==8&&a1==0, then a1==8, then a1==0 leaks 576 bytes); those
 * leaks are suppressed here.  paude's own releases are leak-checked by the
 * ASan unit tests, which do not suppress anything.
 */
#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

const char *__lsan_default_suppressions(void)
{
	return "leak:libseccomp.so\n";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_seccomp_prog prog = { 0 };
	struct pd_error err = { 0 };

	if (pd_seccomp_from_json((const char *)data, size, &prog, &err) == 0) {
		if (!prog.insns || prog.len == 0 || prog.len > BPF_MAXINSNS)
			abort();
		pd_seccomp_prog_release(&prog);
	} else {
		if (prog.insns || err.msg[0] == '\0' || !memchr(err.msg, '\0', sizeof(err.msg)))
			abort();
	}
	return 0;
}
