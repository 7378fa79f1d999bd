#define _GNU_SOURCE
#include "CRhizomeSystem.h"
#include <errno.h>
#include <stdint.h>
#include <string.h>
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

enum { REAPER_MAX_GROUPS = 4096 };

static void reaper_loop(int input) {
    static pid_t groups[REAPER_MAX_GROUPS];
    int count = 0;
    for (;;) {
        int32_t value;
        ssize_t n = read(input, &value, sizeof value);
        if (n < 0 && errno == EINTR) continue;
        // Writes of 4 bytes to a pipe are atomic: anything else is the end.
        if (n != (ssize_t)sizeof value) break;
        if (value > 0) {
            if (count < REAPER_MAX_GROUPS) groups[count++] = value;
        } else {
            for (int i = 0; i < count; i++) {
                if (groups[i] == -value) { groups[i] = groups[--count]; break; }
            }
        }
    }
    for (int i = 0; i < count; i++) kill(-groups[i], SIGKILL);
}

int CRhizome_start_reaper(char *title, unsigned long title_capacity) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(fds[0]);
        close(fds[1]);
        errno = saved;
        return -1;
    }
    if (pid > 0) {
        close(fds[0]);
        return fds[1];
    }
    // The reaper. It must hold nothing of the caller's: an inherited copy of
    // the caller's stdin/stdout would keep its SSH channel open.
    setsid();
    signal(SIGHUP, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
    }
    int input = fds[0];
    long limit = sysconf(_SC_OPEN_MAX);
    if (limit < 0 || limit > 65536) limit = 65536;
    for (int fd = 3; fd < limit; fd++) {
        if (fd != input) close(fd);
    }
    prctl(PR_SET_NAME, "rhizome-reaper");
    if (title != NULL && title_capacity > 0) {
        memset(title, 0, title_capacity);
        strncpy(title, "rhizome-reaper", title_capacity - 1);
    }
    reaper_loop(input);
    _exit(0);
}
