/* SPDX-License-Identifier: MIT */
/*
 * net.c - the sandbox's own network namespace starts with only a loopback
 * device, down; bring it up so 127.0.0.1 works (--network none).
 */
#include "sandbox.h"
#include "common/cleanup.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

int pd_net_loopback_up(struct pd_error *err)
{
	cleanup_close int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;

	if (s < 0)
		return pd_error_set(err, errno, "loopback: socket");
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return pd_error_set(err, errno, "loopback: get flags of \"lo\"");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return pd_error_set(err, errno, "loopback: bring \"lo\" up");
	return 0;
}
