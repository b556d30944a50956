/* SPDX-License-Identifier: MIT */
/* lazylib.c - dlopen a library and resolve its symbols (see lazylib.h). */
#include "lazylib.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int pd_lazy_load(void **handle, const char *soname, const struct pd_lazy_sym *syms, size_t n,
		 struct pd_error *err)
{
	void *h;

	if (*handle)
		return 0;
	h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();

		return pd_error_set_msg(err, ENOENT,
					"load %s: %s (install the package that has it)", soname,
					why ? why : "not found");
	}
	for (size_t i = 0; i < n; i++) {
		void *p;

		dlerror();
		p = dlsym(h, syms[i].name);
		if (!p) {
			for (size_t j = 0; j < i; j++)
				*syms[j].slot = NULL;
			dlclose(h);
			return pd_error_set_msg(err, ENOENT, "load %s: it has no %s (too old?)",
						soname, syms[i].name);
		}
		*syms[i].slot = p;
	}
	*handle = h;
	return 0;
}

void pd_lazy_need(int (*loader)(struct pd_error *), const char *what)
{
	struct pd_error e;

	if (loader(&e) == 0)
		return;
	/* A programming error (the caller skipped the loader) meeting a
	 * missing library: nothing can be returned through a library's own
	 * prototype, so say what and stop. */
	fprintf(stderr, "paude: %s: %s\n", what, e.msg);
	abort();
}
