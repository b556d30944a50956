/* SPDX-License-Identifier: MIT */
/*
 * syscalls.h - raw system calls glibc 2.36 does not wrap the way we need.
 */
#ifndef PAUDE_SYSCALLS_H
#define PAUDE_SYSCALLS_H

#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

/*
 * pd_clone_pidfd() - fork-like clone(2) into new namespaces.
 * Returns 0 in the child and the child's pid in the parent, with *pidfd set.
 * Like fork() the child continues on a copy of the parent's stack; it must
 * not call raise()/abort() (glibc's cached thread id is the parent's).
 */
static inline pid_t pd_clone_pidfd(unsigned long flags, int *pidfd)
{
	return (pid_t)syscall(SYS_clone, flags | CLONE_PIDFD | SIGCHLD, NULL, pidfd, NULL, 0);
}

static inline int pd_pivot_root(const char *new_root, const char *put_old)
{
	return (int)syscall(SYS_pivot_root, new_root, put_old);
}

static inline int pd_pidfd_send_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/* pd_pidfd_open() - a pidfd of @pid (always close-on-exec). */
static inline int pd_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

#endif
