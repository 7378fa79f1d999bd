#ifndef RHIZOME_CARES_SHIM_H
#define RHIZOME_CARES_SHIM_H
// No `link` line in the modulemap: libraries come from the pkg-config file in use.
#include <ares.h>

// ARES_GETSOCK_READABLE/WRITABLE are macros, which Swift does not import.
static inline int CAres_getsock_readable(int bits, int index) { return ARES_GETSOCK_READABLE(bits, index) != 0; }
static inline int CAres_getsock_writable(int bits, int index) { return ARES_GETSOCK_WRITABLE(bits, index) != 0; }
#endif
