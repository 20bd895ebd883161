/* The lab's certificate authority: a CA and server/client certificates made
 * in memory at lab start (OpenSSL 3), with the extensions of RFC 5280 4.2.1
 * that a real deployment's certificates carry. Nothing is cached on disk. */
#ifndef SYNTH_LAB_CERTS_H
#define SYNTH_LAB_CERTS_H

#include "synth/base/err.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <stddef.h>

enum lab_key_type {
    LAB_KEY_EC_P256 = 0, /* default: an ECDSA handshake costs a fraction of an RSA one under load */
    LAB_KEY_RSA_2048,    /* what most SfB deployments still use */
};

/* Bounds on what a caller may ask for. RFC 5280 appendix A: ub-common-name 64. */
#define LAB_CERTS_CN_MAX 64
#define LAB_CERTS_SAN_MAX 32       /* subjectAltName entries of one certificate */
#define LAB_CERTS_SAN_LEN_MAX 253  /* a DNS name (RFC 1035 2.3.4) */
#define LAB_CERTS_VALID_DAYS 90    /* outlives any lab run; far from "expires soon" warnings */

struct lab_ca;
struct lab_cert;

/* Makes a self-signed CA: Subject CN = cn, basicConstraints CA:TRUE (critical),
 * keyUsage keyCertSign+cRLSign (critical), subjectKeyIdentifier; valid from one
 * hour ago (clock skew between lab and client) for LAB_CERTS_VALID_DAYS.
 * Caller frees *out with lab_ca_free. */
int lab_ca_create(struct lab_ca **out, const char *cn, enum lab_key_type kt,
                  struct synth_error *err);

/* Issues a leaf signed by ca. cn is put in the Subject as given: it need not be
 * a host name, nor appear in sans (a UM certificate whose CN is not its FQDN is
 * a field failure the lab reproduces). Each SAN is an iPAddress when it parses
 * as an IPv4/IPv6 literal, a dNSName otherwise. extendedKeyUsage serverAuth +
 * clientAuth (servers authenticate each other with mutual TLS), keyUsage
 * digitalSignature (+keyEncipherment for RSA), AKI/SKI, a random 128-bit
 * serial, SHA-256 signature. Caller frees *out with lab_cert_free. */
int lab_cert_issue(struct lab_cert **out, const struct lab_ca *ca, const char *cn,
                   const char *const *sans, size_t san_count, enum lab_key_type kt,
                   struct synth_error *err);

/* Borrowed pointers, valid until the object is freed; up-ref to keep them. */
X509 *lab_ca_x509(const struct lab_ca *ca);
EVP_PKEY *lab_ca_pkey(const struct lab_ca *ca);
X509 *lab_cert_x509(const struct lab_cert *cert);
EVP_PKEY *lab_cert_pkey(const struct lab_cert *cert);

/* Writes the CA certificate as PEM (mode 0644 before umask), for a client's
 * ca_file or a peer's configuration. */
int lab_ca_write_pem(const struct lab_ca *ca, const char *path, struct synth_error *err);

/* Writes the certificate and its unencrypted PKCS#8 key as PEM; the key file is
 * created or reset to mode 0600. */
int lab_cert_write_pem(const struct lab_cert *cert, const char *cert_path,
                       const char *key_path, struct synth_error *err);

void lab_ca_free(struct lab_ca *ca);
void lab_cert_free(struct lab_cert *cert);

#endif
