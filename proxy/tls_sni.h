/* SPDX-License-Identifier: MIT */
/*
 * tls_sni.h - the server name of a TLS ClientHello, for the transparent
 * proxy on port 443: the first bytes a sandbox sends on a TLS connection
 * name the host it wants, and that name is checked against the allowlist
 * before any byte goes upstream (the bytes themselves are relayed as they
 * came; nothing is decrypted).
 */
#ifndef PAUDE_PROXY_TLS_SNI_H
#define PAUDE_PROXY_TLS_SNI_H

#include <stddef.h>
#include <stdint.h>

/* The largest TLS record taken: a plaintext record's length cap (2^14). */
#define PD_TLS_RECORD_MAX 16384
/* Bytes that are always enough to decide: a record header and the record. */
#define PD_TLS_SNI_NEED_MAX (5 + PD_TLS_RECORD_MAX)
/* The longest server name (a DNS name in text form, no trailing dot). */
#define PD_TLS_SNI_NAME_MAX 253

/*
 * pd_tls_sni() - the host_name of the server_name extension (RFC 6066) of
 * the ClientHello at the start of @buf.
 * @buf: the first bytes the client sent
 * @len: their number
 * @host: where the name goes, lowercased and NUL-terminated
 * @cap: its size (PD_TLS_SNI_NAME_MAX + 1 always fits)
 * @reason: on -1, a short static English phrase naming the problem (may be
 *          NULL)
 *
 * The ClientHello must fit in the first record, and that record in
 * PD_TLS_RECORD_MAX bytes: a ClientHello continued in a second record is
 * refused ("ClientHello spans several records"), so at most
 * PD_TLS_SNI_NEED_MAX bytes are ever needed.  Record versions 0x0300-0x0304
 * are taken (the record layer's is a legacy field), ClientHello versions
 * 0x0301-0x0304.  Every length is checked against the one that holds it:
 * the handshake against the record (it must fill it exactly), each vector
 * of the ClientHello, the extensions block (it must end the ClientHello),
 * each extension, the server name list.  Refused: another record type or
 * handshake message, no extensions or no server_name, a server_name twice,
 * a name type other than host_name, two host_names, and a name that is not
 * a plausible DNS name: 1-253 bytes of [A-Za-z0-9.-_], no empty label (no
 * leading, trailing or double dot), labels of at most 63 bytes.  An IP
 * address in text form passes (RFC 6066 forbids it; the allowlist will not
 * list it).  Early errors (record type, version, length, handshake type and
 * length) show before the record is complete.
 *
 * Return: 1 and @host set; 0 when more bytes are needed (the record is not
 * complete and nothing wrong is visible yet); -1 with @reason set.
 */
int pd_tls_sni(const uint8_t *buf, size_t len, char *host, size_t cap, const char **reason);

#endif
