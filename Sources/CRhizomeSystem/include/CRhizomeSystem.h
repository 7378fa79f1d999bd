#ifndef RHIZOME_CRHIZOMESYSTEM_H
#define RHIZOME_CRHIZOMESYSTEM_H

// GNU extensions that the Glibc module does not import (it is built without
// _GNU_SOURCE). Each is a plain forwarding function compiled with it.

#include <sys/types.h>
#include <spawn.h>

int CRhizome_pipe2(int fds[2], int flags);
int CRhizome_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);
short CRhizome_spawn_setsid_flag(void);
void CRhizome_set_thread_name(const char *name);
/// pidfd_open(2); -1 with errno ENOSYS on kernels before 5.3.
int CRhizome_pidfd_open(pid_t pid);
/// prctl(PR_SET_PDEATHSIG, signal).
int CRhizome_set_parent_death_signal(int signal);

/// Forks the task reaper: a process that reads process group ids from a pipe
/// (positive: watch, negative: forget) and, once the pipe's write end closes
/// (the caller exited, however it ended), kills every group it still
/// watches and exits. The child closes every other descriptor, leaves the
/// caller's session, and overwrites `title` (the caller's argv area,
/// `title_capacity` bytes) so that it does not look like the caller in
/// ps. Plain C after fork, so it is safe in a process with threads. Returns
/// the write end (close-on-exec), or -1 with errno set.
int CRhizome_start_reaper(char *title, unsigned long title_capacity);

#endif
