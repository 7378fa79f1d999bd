#define _GNU_SOURCE
#include "CRhizomeSystem.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int CRhizome_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }

int CRhizome_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

short CRhizome_spawn_setsid_flag(void) { return POSIX_SPAWN_SETSID; }

void CRhizome_set_thread_name(const char *name) { (void)pthread_setname_np(pthread_self(), name); }

int CRhizome_pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    errno = ENOSYS;
    return -1;
#endif
}

int CRhizome_set_parent_death_signal(int signal) { return prctl(PR_SET_PDEATHSIG, signal); }
