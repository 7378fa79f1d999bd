#ifndef RHIZOME_CCRYPTO_SHIM_H
#define RHIZOME_CCRYPTO_SHIM_H
// SHA-256 from libcrypto, which libssh2 links anyway. Only the EVP digest API
// is exposed; the low-level SHA256_* calls are deprecated in OpenSSL 3.
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#endif
