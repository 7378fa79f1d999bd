#ifndef RHIZOME_CZLIB_SHIM_H
#define RHIZOME_CZLIB_SHIM_H
#include <zlib.h>

// deflateInit2 is a macro (it passes the library version and struct size).
static inline int CZlib_deflateInit2(z_stream *stream, int level, int windowBits, int memLevel) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, memLevel, Z_DEFAULT_STRATEGY);
}
static inline int CZlib_inflateInit2(z_stream *stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
#endif
