/* SPDX-License-Identifier: MIT */
/*
 * addr.h - one IPv4 or IPv6 address, as the proxy's parts pass it around
 * (policy checks, DNS answers, the audit log, upstream connects).
 */
#ifndef PAUDE_PROXY_ADDR_H
#define PAUDE_PROXY_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

/* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" plus NUL */
#define PD_ADDR_STRLEN 46

struct pd_addr {
	int family; /* AF_INET or AF_INET6; 0: none */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

#endif
