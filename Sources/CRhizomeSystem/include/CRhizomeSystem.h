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

#endif
