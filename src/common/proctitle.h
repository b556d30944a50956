/* SPDX-License-Identifier: MIT */
/*
 * proctitle.h - blank the command line a process shows in /proc/PID/cmdline.
 *
 * paude's init runs inside the sandbox as a fork of paude, so its argv (host
 * paths of the rootfs and volumes) would be readable from the sandbox at
 * /proc/1/cmdline.  main() records where argv lives; the sandbox side
 * overwrites it before any sandboxed code runs.
 */
#ifndef PAUDE_PROCTITLE_H
#define PAUDE_PROCTITLE_H

/*
 * pd_proctitle_init() - remember the argv area and return a heap copy of
 * argv (NULL-terminated) for the program to use: the original strings are
 * overwritten by pd_proctitle_set(), so nothing may keep pointers into them.
 */
char **pd_proctitle_init(int argc, char **argv);
/* pd_proctitle_set() - make /proc/PID/cmdline read exactly @title. */
void pd_proctitle_set(const char *title);

#endif
