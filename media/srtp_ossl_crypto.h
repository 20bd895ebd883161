/* libsrtp2's AES-ICM cipher (RFC 3711 4.1.1) and HMAC-SHA1 auth (RFC 3711
 * 4.2.1) over OpenSSL EVP, installed into libsrtp's crypto kernel in place of
 * the ones it was built with (Debian's uses NSS, whose cost per packet grows
 * with the number of live keys). libsrtp stays the SRTP implementation.
 * Prefix srtpossl_: libsrtp2 owns srtp_. */
#ifndef MEDIA_SRTP_OSSL_CRYPTO_H
#define MEDIA_SRTP_OSSL_CRYPTO_H

#include "synth/base/err.h"

/* Replaces libsrtp's SRTP_AES_ICM_128, SRTP_AES_ICM_256 and SRTP_HMAC_SHA1
 * types with the OpenSSL ones; libsrtp self-tests each (our RFC vectors and
 * the replaced type's own) before taking it. Call once, after srtp_init()
 * and before any srtp_create (srtpsess_global_init does). Not thread-safe:
 * the crypto kernel's type list is process-wide. Returns 0, or
 * SYNTH_EINTERNAL naming the type that failed: nothing is rolled back, the
 * caller treats libsrtp as unusable. */
int srtpossl_install(struct synth_error *err);

#endif
