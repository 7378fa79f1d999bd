#ifndef RHIZOME_CLIBSSH2_SHIM_H
#define RHIZOME_CLIBSSH2_SHIM_H

// libssh2's convenience API is made of function-like macros, which Swift
// cannot import. Each wrapper below is the macro's expansion, nothing more.
// The modulemap has no `link` line on purpose: the libraries come from the
// pkg-config file in use (Debian's for a dynamic build, pkgconfig/static for
// the static agent).

#include <libssh2.h>
#include <libssh2_publickey.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <errno.h>

static inline LIBSSH2_SESSION *CLibSSH2_session_init(void *abstract) {
    return libssh2_session_init_ex(NULL, NULL, NULL, abstract);
}

static inline int CLibSSH2_session_disconnect(LIBSSH2_SESSION *session, const char *description) {
    return libssh2_session_disconnect_ex(session, SSH_DISCONNECT_BY_APPLICATION, description, "");
}

static inline LIBSSH2_CHANNEL *CLibSSH2_channel_open_session(LIBSSH2_SESSION *session, unsigned int window, unsigned int packet) {
    return libssh2_channel_open_ex(session, "session", sizeof("session") - 1, window, packet, NULL, 0);
}

static inline int CLibSSH2_channel_exec(LIBSSH2_CHANNEL *channel, const char *command, unsigned int length) {
    return libssh2_channel_process_startup(channel, "exec", sizeof("exec") - 1, command, length);
}

static inline ssize_t CLibSSH2_channel_read(LIBSSH2_CHANNEL *channel, char *buffer, size_t length) {
    return libssh2_channel_read_ex(channel, 0, buffer, length);
}

static inline ssize_t CLibSSH2_channel_read_stderr(LIBSSH2_CHANNEL *channel, char *buffer, size_t length) {
    return libssh2_channel_read_ex(channel, SSH_EXTENDED_DATA_STDERR, buffer, length);
}

static inline ssize_t CLibSSH2_channel_write(LIBSSH2_CHANNEL *channel, const char *buffer, size_t length) {
    return libssh2_channel_write_ex(channel, 0, buffer, length);
}

static inline LIBSSH2_CHANNEL *CLibSSH2_channel_direct_tcpip(LIBSSH2_SESSION *session, const char *host, int port) {
    return libssh2_channel_direct_tcpip_ex(session, host, port, "127.0.0.1", 22);
}

static inline int CLibSSH2_error_eagain(void) { return LIBSSH2_ERROR_EAGAIN; }

// sshd leaves Nagle on for sessions without a pty, so each small reply waits
// for our delayed ACK (~40 ms). Re-arming TCP_QUICKACK before every recv
// (the kernel clears it again on its own) removes that stall.
static inline ssize_t CLibSSH2_quickack_recv(libssh2_socket_t socket, void *buffer, size_t length, int flags, void **abstract) {
    (void)abstract;
    int one = 1;
    (void)setsockopt(socket, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
    ssize_t n = recv(socket, buffer, length, flags);
    if (n < 0) {
        return -errno;
    }
    return n;
}

static inline void CLibSSH2_install_quickack_recv(LIBSSH2_SESSION *session) {
    libssh2_session_callback_set(session, LIBSSH2_CALLBACK_RECV, (void *)CLibSSH2_quickack_recv);
}

#endif
