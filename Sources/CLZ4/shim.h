#ifndef RHIZOME_CLZ4_SHIM_H
#define RHIZOME_CLZ4_SHIM_H
// No `link` line in the modulemap: libraries come from the pkg-config file in use.
#include <lz4.h>
#endif
