/* SPDX-License-Identifier: MIT */
/* store_int.h - the store's handle, shared by store.c and store_gc.c only. */
#ifndef PAUDE_OCI_STORE_INT_H
#define PAUDE_OCI_STORE_INT_H

struct pd_store {
	char *root;
	int fd; /* the store's directory */
};

#endif
