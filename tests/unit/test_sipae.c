/* Unit tests of synth/sip/sipae.c: the [MS-SIPAE] 4.1 challenge (NTLM beside
 * Kerberos), the real REGISTER / 200 OK pair of Office Communicator 2007 R2
 * and OCS 2007 R2 that SIPE's sip-sec-ntlm-tests.c records (the sip-sig
 * buffers, response= and rspauth= byte for byte), the OCS 2007 version 2
 * sample, a whole exchange against a server side computed here from the
 * NTLM primitives, and the failure paths (refused, wrong target, tampered
 * or replayed signatures, expiry). Header inputs sit before a guard page. */
#include "synth/sip/sipae.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define ARENA_DATA 8192
#include "guard_arena.h"
#include "hex_fixture.h"

static struct sip_msg parse_msg(const char *text)
{
    struct sip_msg m;
    size_t used = 0;
    size_t n = strlen(text);
    assert_int_equal(sip_msg_parse(&m, place(text, n), n, false, &used), 0);
    return m;
}

/* [MS-SIPAE] 4.1 step 2. */
static const char spec_401[] =
    "SIP/2.0 401 Unauthorized\r\n"
    "Date: Thu, 31 Jan 2008 00:01:56 GMT\r\n"
    "WWW-Authenticate: NTLM realm=\"SIP Communications Service\", targetname=\"server.contoso.com\", version=3\r\n"
    "WWW-Authenticate: Kerberos realm=\"SIP Communications Service\", targetname=\"sip/server.contoso.com\", version=3\r\n"
    "From: <sip:alice@contoso.com>;tag=4a2b44d131;epid=8248ca9ebb\r\n"
    "To: <sip:alice@contoso.com>;tag=0858513FA91D3AAE1A5840DDB99599DF\r\n"
    "Call-ID: d5f2b95d5be64c2cbfb38aa5d3a87ae7\r\n"
    "CSeq: 169 REGISTER\r\n"
    "Via: SIP/2.0/TLS 192.0.2.1:4320;ms-received-port=4320;ms-received-cid=1C00\r\n"
    "Content-Length: 0\r\n\r\n";

/* [MS-SIPAE] 4.1 step 1, the request the client sends again. */
static const char spec_register[] =
    "REGISTER sip:contoso.com SIP/2.0\r\n"
    "Via: SIP/2.0/TLS 192.0.2.1:4320\r\n"
    "From: <sip:alice@contoso.com>;tag=4a2b44d131;epid=8248ca9ebb\r\n"
    "To: <sip:alice@contoso.com>\r\n"
    "Call-ID: d5f2b95d5be64c2cbfb38aa5d3a87ae7\r\n"
    "CSeq: 170 REGISTER\r\n"
    "Content-Length: 0\r\n\r\n";

static void test_spec_challenge(void **state)
{
    (void)state;
    struct sip_msg m = parse_msg(spec_401);
    struct sipae_challenge ch;
    const struct sip_hdr *h = sip_msg_hdr(&m, SIP_HDR_WWW_AUTHENTICATE, NULL);
    assert_int_equal(sipae_challenge_parse(&ch, h->value), 0);
    assert_int_equal(ch.scheme, SIPAE_SCHEME_NTLM);
    assert_true(strv_eq(ch.realm, "SIP Communications Service"));
    assert_true(strv_eq(ch.targetname, "server.contoso.com"));
    assert_int_equal(ch.version, 3);
    assert_false(strv_isset(ch.gssapi_data));
    h = sip_msg_hdr(&m, SIP_HDR_WWW_AUTHENTICATE, h);
    assert_int_equal(sipae_challenge_parse(&ch, h->value), 0);
    assert_int_equal(ch.scheme, SIPAE_SCHEME_KERBEROS);
    char offered[64];
    sipae_offered_schemes(&m, offered, sizeof(offered));
    assert_string_equal(offered, "NTLM, Kerberos");

    /* The SA starts negotiating; connectionless NTLM sends an empty token. */
    struct sipae_sa sa;
    struct sipae_credentials cr = {.login = "CONTOSO\\alice", .password = "pw"};
    struct synth_error e = {{0}};
    sipae_sa_init(&sa, 0);
    assert_int_equal(sipae_sa_on_challenge(&sa, &m, &cr, 1000, &e), 0);
    assert_int_equal(sa.state, SIPAE_SA_NEGOTIATING);
    assert_false(sa.proxy);
    struct sip_msg req = parse_msg(spec_register);
    char line[1024];
    struct sbuf sb;
    sbuf_init(&sb, line, sizeof(line));
    assert_int_equal(sipae_authorization(&sa, &sb, &req, NULL, &e), 0);
    assert_string_equal(line, "NTLM qop=\"auth\", realm=\"SIP Communications Service\", "
                              "targetname=\"server.contoso.com\", gssapi-data=\"\", version=3");
}

static void test_only_kerberos_offered(void **state)
{
    (void)state;
    static const char resp[] =
        "SIP/2.0 401 Unauthorized\r\n"
        "WWW-Authenticate: Kerberos realm=\"SIP Communications Service\", targetname=\"sip/fe.contoso.com\", version=4\r\n"
        "WWW-Authenticate: TLS-DSK realm=\"SIP Communications Service\", targetname=\"fe.contoso.com\", version=4, sts-uri=\"https://fe.contoso.com:443/CertProv/CertProvisioningService.svc\"\r\n"
        "From: <sip:alice@contoso.com>;tag=1\r\nTo: <sip:alice@contoso.com>;tag=2\r\n"
        "Call-ID: x\r\nCSeq: 1 REGISTER\r\nVia: SIP/2.0/TLS 127.0.0.1:5061\r\n"
        "Content-Length: 0\r\n\r\n";
    struct sip_msg m = parse_msg(resp);
    struct sipae_sa sa;
    struct sipae_credentials cr = {.login = "alice@contoso.com", .password = "pw"};
    struct synth_error e = {{0}};
    sipae_sa_init(&sa, 0);
    assert_int_equal(sipae_sa_on_challenge(&sa, &m, &cr, 0, &e), SYNTH_EUNSUPPORTED);
    assert_non_null(strstr(e.msg, "Kerberos, TLS-DSK"));
    struct sipae_challenge ch;
    const struct sip_hdr *h = sip_msg_hdr(&m, SIP_HDR_WWW_AUTHENTICATE, NULL);
    h = sip_msg_hdr(&m, SIP_HDR_WWW_AUTHENTICATE, h);
    assert_int_equal(sipae_challenge_parse(&ch, h->value), 0);
    assert_int_equal(ch.scheme, SIPAE_SCHEME_TLS_DSK);
    assert_true(strv_eq(ch.sts_uri, "https://fe.contoso.com:443/CertProv/CertProvisioningService.svc"));
}

/* SIPE's recorded Communicator 2007 R2 REGISTER and the 200 OK of OCS. */
static const char ocs_register[] =
    "REGISTER sip:cosmo.local SIP/2.0\r\n"
    "Via: SIP/2.0/TLS 192.168.172.6:12723\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:user@cosmo.local>;tag=3e49177a52;epid=c8ca638a15\r\n"
    "To: <sip:user@cosmo.local>\r\n"
    "Call-ID: 4037df9284354df39065195bd57a4b14\r\n"
    "CSeq: 3 REGISTER\r\n"
    "Contact: <sip:192.168.172.6:12723;transport=tls;ms-opaque=fad3dfab32>;methods=\"INVITE, MESSAGE, INFO, OPTIONS, BYE, CANCEL, NOTIFY, ACK, REFER, BENOTIFY\";proxy=replace;+sip.instance=\"<urn:uuid:34D859DB-6585-5F91-A3B4-DE853C15347D>\"\r\n"
    "User-Agent: UCCAPI/3.5.6907.0 OC/3.5.6907.0 (Microsoft Office Communicator 2007 R2)\r\n"
    "Supported: gruu-10, adhoclist, msrtc-event-categories\r\n"
    "Supported: ms-forking\r\n"
    "ms-keep-alive: UAC;hop-hop=yes\r\n"
    "Event: registration\r\n"
    "Content-Length: 0\r\n\r\n";
static const char ocs_200[] =
    "SIP/2.0 200 OK\r\n"
    "ms-keep-alive: UAS; tcp=no; hop-hop=yes; end-end=no; timeout=300\r\n"
    "Authentication-Info: NTLM rspauth=\"01000000E615438A917661BE64000000\", srand=\"9616454F\", snum=\"1\", opaque=\"2BDBAC9D\", qop=\"auth\", targetname=\"cosmo-ocs-r2.cosmo.local\", realm=\"SIP Communications Service\"\r\n"
    "From: \"User\"<sip:user@cosmo.local>;tag=3e49177a52;epid=c8ca638a15\r\n"
    "To: <sip:user@cosmo.local>;tag=5E61CCD925D17E043D9A74835A88F664\r\n"
    "Call-ID: 4037df9284354df39065195bd57a4b14\r\n"
    "CSeq: 3 REGISTER\r\n"
    "Via: SIP/2.0/TLS 192.168.172.6:12723;ms-received-port=12723;ms-received-cid=2600\r\n"
    "Contact: <sip:192.168.172.6:12723;transport=tls;ms-opaque=fad3dfab32;ms-received-cid=2600>;expires=7200;+sip.instance=\"<urn:uuid:34d859db-6585-5f91-a3b4-de853c15347d>\";gruu=\"sip:user@cosmo.local;opaque=user:epid:21nYNIVlkV-jtN6FPBU0fQAA;gruu\"\r\n"
    "Expires: 7200\r\n"
    "presence-state: register-action=\"added\"\r\n"
    "Server: RTC/3.5\r\n"
    "Content-Length: 0\r\n\r\n";
static const char ocs_type2_b64[] =
    "TlRMTVNTUAACAAAAAAAAADgAAADzgpji3Ruq9OfiGNEAAAAAAAAAAJYAlgA4AAAABQLODgAAAA8CAAoAQwBPAFMATQBP"
    "AAEAGABDAE8AUwBNAE8ALQBPAEMAUwAtAFIAMgAEABYAYwBvAHMAbQBvAC4AbABvAGMAYQBsAAMAMABjAG8AcwBtAG8A"
    "LQBvAGMAcwAtAHIAMgAuAGMAbwBzAG0AbwAuAGwAbwBjAGEAbAAFABYAYwBvAHMAbQBvAC4AbABvAGMAYQBsAAAAAAA=";

/* The SA as Communicator held it: its AUTHENTICATE rebuilt from the
 * recorded inputs (client challenge, time, encrypted session key). */
static void ocs_sa(struct sipae_sa *sa)
{
    uint8_t raw[512], out[NTLM_MSG_MAX], key[16], nt[512], base[16], enc[16];
    size_t len = 0, out_len = 0, nt_len = 0;
    struct ntlm_challenge ch;
    const uint8_t cc[8] = {0xd6, 0xae, 0x87, 0x5c, 0xb0, 0xfd, 0xaa, 0x41};
    const uint64_t when = 0x01cab927179a5159ull;

    assert_int_equal(base64_decode(ocs_type2_b64, strlen(ocs_type2_b64), raw, sizeof(raw), &len), 0);
    assert_int_equal(ntlm_challenge_parse(&ch, raw, len), 0);
    assert_int_equal(ntlm_ntowfv2("Pa$$word", "User", "COSMO", key), 0);
    assert_int_equal(ntlm_ntv2_response(key, ch.server_challenge, cc, when, ch.target_info.p,
                                        ch.target_info.len, nt, sizeof(nt), &nt_len, base),
                     0);
    unhex("31CB739E1CA80A498591E8AE797115E4", enc, sizeof(enc));
    struct ntlm_auth_input in = {.flags = 0x62988255, .user = "User", .domain = "COSMO",
                                 .workstation = "COSMO-OCS-R2", .password = "Pa$$word",
                                 .timestamp = when, .version = ch.version.p};
    memcpy(in.client_challenge, cc, 8);
    assert_int_equal(ntlm_rc4k(base, 16, enc, 16, in.random_session_key), 0);
    sipae_sa_init(sa, 0);
    assert_int_equal(ntlm_authenticate_write(&ch, raw, len, &in, out, sizeof(out), &out_len,
                                             &sa->ntlm),
                     0);
    sa->state = SIPAE_SA_ESTABLISHED;
    sa->proxy = true;
    sa->version = 4;
    sa->expires_ms = SIPAE_SA_LIFETIME_DEFAULT_MS;
    snprintf(sa->realm, sizeof(sa->realm), "SIP Communications Service");
    snprintf(sa->targetname, sizeof(sa->targetname), "cosmo-ocs-r2.cosmo.local");
    snprintf(sa->opaque, sizeof(sa->opaque), "2BDBAC9D");
}

/* The OCS buffer of msg signed with rand and num "1". */
static void assert_ocs_sig(const char *msg, const char *rand, const char *want)
{
    char buf[SIPAE_SIG_MAX];
    struct sbuf sb;
    struct sip_msg m = parse_msg(msg);
    sbuf_init(&sb, buf, sizeof(buf));
    assert_int_equal(sipae_sig_buffer(&sb, &m, 4, strv_from_cstr("NTLM"), strv_from_cstr(rand),
                                      strv_from_cstr("1"),
                                      strv_from_cstr("SIP Communications Service"),
                                      strv_from_cstr("cosmo-ocs-r2.cosmo.local")),
                     0);
    assert_string_equal(buf, want);
}

static void test_ocs_sig_buffers(void **state)
{
    (void)state;
    assert_ocs_sig(ocs_register, "13317733",
                   "<NTLM><13317733><1><SIP Communications Service>"
                   "<cosmo-ocs-r2.cosmo.local><4037df9284354df39065195bd57a4b14><3>"
                   "<REGISTER><sip:user@cosmo.local><3e49177a52><sip:user@cosmo.local>"
                   "<><><><>");
    assert_ocs_sig(ocs_200, "9616454F",
                   "<NTLM><9616454F><1><SIP Communications Service>"
                   "<cosmo-ocs-r2.cosmo.local><4037df9284354df39065195bd57a4b14><3>"
                   "<REGISTER><sip:user@cosmo.local><3e49177a52><sip:user@cosmo.local>"
                   "<5E61CCD925D17E043D9A74835A88F664><><><7200><200>");
    /* Too small a buffer is refused, not overrun. */
    struct sip_msg resp = parse_msg(ocs_200);
    char small[32];
    struct sbuf sb;
    sbuf_init(&sb, small, sizeof(small));
    assert_int_equal(sipae_sig_buffer(&sb, &resp, 4, strv_from_cstr("NTLM"), STRV_NULL,
                                      STRV_NULL, STRV_NULL, STRV_NULL),
                     SYNTH_ETOOBIG);
}

static void test_ocs_signatures(void **state)
{
    (void)state;
    struct sipae_sa sa;
    struct synth_error e = {{0}};
    ocs_sa(&sa);
    struct sip_msg req = parse_msg(ocs_register);
    char line[SIPAE_TOKEN_MAX + 512];
    struct sbuf sb;
    sbuf_init(&sb, line, sizeof(line));
    assert_int_equal(sipae_authorization(&sa, &sb, &req, "13317733", &e), 0);
    assert_string_equal(line, "NTLM qop=\"auth\", opaque=\"2BDBAC9D\", realm=\"SIP Communications "
                              "Service\", targetname=\"cosmo-ocs-r2.cosmo.local\", crand=\"13317733\", "
                              "cnum=\"1\", response=\"0100000029618e9651b65a7764000000\"");
    assert_int_equal(sa.cnum, 1);

    struct sip_msg resp = parse_msg(ocs_200);
    assert_int_equal(sipae_sa_verify(&sa, &resp, &e), 0);
    assert_true(sa.confirmed);
    /* The same signature again is a replay. */
    assert_int_equal(sipae_sa_verify(&sa, &resp, &e), SYNTH_EAUTH);
    assert_non_null(strstr(e.msg, "replayed"));

    /* A changed Expires no longer verifies. */
    ocs_sa(&sa);
    char tampered[sizeof(ocs_200)];
    snprintf(tampered, sizeof(tampered), "%s", ocs_200);
    char *x = strstr(tampered, "Expires: 7200");
    x[12] = '1';
    resp = parse_msg(tampered);
    assert_int_equal(sipae_sa_verify(&sa, &resp, &e), SYNTH_EAUTH);
    assert_non_null(strstr(e.msg, "does not verify"));
    /* A signature for another target is not this SA's. */
    snprintf(tampered, sizeof(tampered), "%s", ocs_200);
    x = strstr(tampered, "targetname=\"cosmo");
    x[12] = 'k';
    resp = parse_msg(tampered);
    assert_int_equal(sipae_sa_verify(&sa, &resp, &e), SYNTH_ENOTFOUND);
    ntlm_session_clear(&sa.ntlm);
}

/* SIPE's OCS 2007 sample: protocol version 2, no extended session security,
 * the exported session key seals and signs. */
static void test_ocs2007_version2(void **state)
{
    (void)state;
    static const char msg2[] =
        "SIP/2.0 200 OK\r\n"
        "ms-keep-alive: UAS; tcp=no; hop-hop=yes; end-end=no; timeout=300\r\n"
        "Authentication-Info: NTLM rspauth=\"0100000000000000BF2E52667DDF6DED\", srand=\"0878F41B\", snum=\"1\", opaque=\"4452DFB0\", qop=\"auth\", targetname=\"ocs1.ocs.provo.novell.com\", realm=\"SIP Communications Service\"\r\n"
        "From: \"Gabriel Burt\"<sip:gabriel@ocs.provo.novell.com>;tag=2947328781;epid=1234567890\r\n"
        "To: <sip:gabriel@ocs.provo.novell.com>;tag=B816D65C2300A32CFA6D371F2AF537FD\r\n"
        "Call-ID: 8592g5DCBa1694i5887m0D0Bt2247b3F38xAE9Fx\r\n"
        "CSeq: 3 REGISTER\r\n"
        "Via: SIP/2.0/TLS 164.99.194.49:10409;branch=z9hG4bKE0E37DBAF252C3255BAD;received=164.99.195.20;ms-received-port=10409;ms-received-cid=1E00\r\n"
        "Contact: <sip:164.99.195.20:10409;transport=tls;ms-received-cid=1E00>;expires=900\r\n"
        "Expires: 900\r\n"
        "Server: RTC/3.0\r\n"
        "Content-Length: 0\r\n\r\n";
    struct sipae_sa sa;
    struct synth_error e = {{0}};
    sipae_sa_init(&sa, 0);
    sa.state = SIPAE_SA_ESTABLISHED;
    sa.version = 2;
    snprintf(sa.realm, sizeof(sa.realm), "SIP Communications Service");
    snprintf(sa.targetname, sizeof(sa.targetname), "ocs1.ocs.provo.novell.com");
    sa.ntlm.server.flags = NTLM_FLAG_DATAGRAM | NTLM_FLAG_SIGN | NTLM_FLAG_UNICODE;
    sa.ntlm.server.seal_len = unhex("5F029153BC025058969548615E7099BA", sa.ntlm.server.seal, 16);
    struct sip_msg m = parse_msg(msg2);
    assert_int_equal(sipae_sa_verify(&sa, &m, &e), 0);
}

/* The whole exchange against a server side computed here: the OCS
 * CHALLENGE is answered; the "server" checks our NTProofStr with the
 * password, recovers the session key, and signs a 200 OK we verify. */
static void test_full_exchange(void **state)
{
    (void)state;
    char resp1[1024], resp2[2048], line[SIPAE_TOKEN_MAX + 512];
    snprintf(resp1, sizeof(resp1),
             "SIP/2.0 407 Proxy Authentication Required\r\n"
             "Proxy-Authenticate: NTLM realm=\"SIP Communications Service\", targetname=\"cosmo-ocs-r2.cosmo.local\", version=4\r\n"
             "From: <sip:user@cosmo.local>;tag=a1\r\nTo: <sip:user@cosmo.local>;tag=b1\r\n"
             "Call-ID: c1\r\nCSeq: 1 REGISTER\r\nVia: SIP/2.0/TLS 127.0.0.1:5061\r\n"
             "Content-Length: 0\r\n\r\n");
    snprintf(resp2, sizeof(resp2),
             "SIP/2.0 407 Proxy Authentication Required\r\n"
             "Proxy-Authenticate: NTLM opaque=\"2BDBAC9D\", gssapi-data=\"%s\", targetname=\"cosmo-ocs-r2.cosmo.local\", realm=\"SIP Communications Service\"\r\n"
             "From: <sip:user@cosmo.local>;tag=a1\r\nTo: <sip:user@cosmo.local>;tag=b2\r\n"
             "Call-ID: c1\r\nCSeq: 2 REGISTER\r\nVia: SIP/2.0/TLS 127.0.0.1:5061\r\n"
             "Content-Length: 0\r\n\r\n",
             ocs_type2_b64);
    static const char req3[] = "REGISTER sip:cosmo.local SIP/2.0\r\n"
                               "Via: SIP/2.0/TLS 127.0.0.1:5062\r\n"
                               "From: <sip:user@cosmo.local>;tag=a1\r\nTo: <sip:user@cosmo.local>\r\n"
                               "Call-ID: c1\r\nCSeq: 3 REGISTER\r\nExpires: 600\r\n"
                               "Content-Length: 0\r\n\r\n";
    struct sipae_sa sa;
    struct sipae_credentials cr = {.login = "COSMO\\User", .password = "Pa$$word",
                                   .expected_target = "cosmo-ocs-r2.cosmo.local"};
    struct synth_error e = {{0}};
    sipae_sa_init(&sa, 60000);
    struct sip_msg m = parse_msg(resp1);
    assert_int_equal(sipae_sa_on_challenge(&sa, &m, &cr, 1000, &e), 0);
    assert_true(sa.proxy);
    m = parse_msg(resp2);
    assert_int_equal(sipae_sa_on_challenge(&sa, &m, &cr, 1000, &e), 0);
    assert_int_equal(sa.state, SIPAE_SA_ESTABLISHED);
    assert_int_equal(sa.expires_ms, 61000);

    struct sip_msg req = parse_msg(req3);
    struct sbuf sb;
    sbuf_init(&sb, line, sizeof(line));
    assert_int_equal(sipae_authorization(&sa, &sb, &req, "0a0b0c0d", &e), 0);
    /* Version 4: the AUTHENTICATE request is already signed. */
    assert_non_null(strstr(line, "opaque=\"2BDBAC9D\""));
    assert_non_null(strstr(line, "version=4"));
    assert_non_null(strstr(line, "cnum=\"1\""));
    const char *g = strstr(line, "gssapi-data=\"") + 13;
    size_t glen = (size_t)(strchr(g, '"') - g);
    uint8_t auth[NTLM_MSG_MAX];
    size_t alen = 0;
    assert_int_equal(base64_decode(g, glen, auth, sizeof(auth), &alen), 0);
    assert_memory_equal(auth, "NTLMSSP\0\3\0\0\0", 12);

    /* Server side: NTProofStr from the password, then the session key. */
    uint8_t key[16], raw[512], proof[16], base[16], exported[16];
    size_t rlen = 0;
    assert_int_equal(base64_decode(ocs_type2_b64, strlen(ocs_type2_b64), raw, sizeof(raw), &rlen), 0);
    size_t nt_len = auth[20] | auth[21] << 8, nt_off = auth[24] | auth[25] << 8;
    size_t key_off = auth[56] | auth[57] << 8;
    assert_int_equal(ntlm_ntowfv2("Pa$$word", "User", "COSMO", key), 0);
    uint8_t msg[600];
    memcpy(msg, raw + 24, 8);
    memcpy(msg + 8, auth + nt_off + 16, nt_len - 16);
    assert_int_equal(ntlm_hmac_md5(key, 16, msg, 8 + nt_len - 16, proof), 0);
    assert_memory_equal(proof, auth + nt_off, 16);
    assert_int_equal(ntlm_hmac_md5(key, 16, proof, 16, base), 0);
    assert_int_equal(ntlm_rc4k(base, 16, auth + key_off, 16, exported), 0);
    assert_memory_equal(exported, sa.ntlm.exported_session_key, 16);

    /* The server signs its 200 with its keys from that session key. */
    struct ntlm_keys srv = {.flags = sa.ntlm.flags};
    assert_int_equal(ntlm_signkey(srv.flags, exported, false, srv.sign), 0);
    assert_int_equal(ntlm_sealkey(srv.flags, exported, false, srv.seal, &srv.seal_len), 0);
    static const char ok_fmt[] =
        "SIP/2.0 200 OK\r\n"
        "Proxy-Authentication-Info: NTLM rspauth=\"%s\", srand=\"77AA55EE\", snum=\"1\", opaque=\"2BDBAC9D\", qop=\"auth\", targetname=\"cosmo-ocs-r2.cosmo.local\", realm=\"SIP Communications Service\"\r\n"
        "From: <sip:user@cosmo.local>;tag=a1\r\nTo: <sip:user@cosmo.local>;tag=srv9\r\n"
        "Call-ID: c1\r\nCSeq: 3 REGISTER\r\nVia: SIP/2.0/TLS 127.0.0.1:5062\r\nExpires: 600\r\n"
        "Content-Length: 0\r\n\r\n";
    char ok[2048], sigbuf[SIPAE_SIG_MAX], hex[33];
    snprintf(ok, sizeof(ok), ok_fmt, "00000000000000000000000000000000");
    m = parse_msg(ok);
    sbuf_init(&sb, sigbuf, sizeof(sigbuf));
    assert_int_equal(sipae_sig_buffer(&sb, &m, 4, strv_from_cstr("NTLM"), strv_from_cstr("77AA55EE"),
                                      strv_from_cstr("1"), strv_from_cstr("SIP Communications Service"),
                                      strv_from_cstr("cosmo-ocs-r2.cosmo.local")),
                     0);
    uint8_t sig[16];
    assert_int_equal(ntlm_mac(&srv, NULL, SIPAE_NTLM_SEQNUM, 0, (const uint8_t *)sigbuf, sb.len, sig), 0);
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02X", sig[i]);
    snprintf(ok, sizeof(ok), ok_fmt, hex);
    m = parse_msg(ok);
    assert_int_equal(sipae_sa_verify(&sa, &m, &e), 0);

    /* Later requests carry only the signature, cnum counting up. */
    req = parse_msg(req3);
    sbuf_init(&sb, line, sizeof(line));
    assert_int_equal(sipae_authorization(&sa, &sb, &req, NULL, &e), 0);
    assert_null(strstr(line, "gssapi-data"));
    assert_non_null(strstr(line, "cnum=\"2\""));

    /* Renewal before expiry, then expired: no more signing. */
    assert_false(sipae_sa_tick(&sa, 2000, 1000));
    assert_true(sipae_sa_tick(&sa, 60500, 1000));
    assert_int_equal(sa.state, SIPAE_SA_ESTABLISHED);
    assert_true(sipae_sa_tick(&sa, 61000, 1000));
    assert_int_equal(sa.state, SIPAE_SA_EXPIRED);
    sbuf_init(&sb, line, sizeof(line));
    assert_int_equal(sipae_authorization(&sa, &sb, &req, NULL, &e), SYNTH_EINVAL);
    sipae_sa_reset(&sa);
}

static void test_refused_and_wrong_target(void **state)
{
    (void)state;
    char resp2[2048];
    static const char resp1[] =
        "SIP/2.0 401 Unauthorized\r\n"
        "WWW-Authenticate: NTLM realm=\"SIP Communications Service\", targetname=\"fe.contoso.com\", version=3\r\n"
        "From: <sip:a@contoso.com>;tag=1\r\nTo: <sip:a@contoso.com>;tag=2\r\n"
        "Call-ID: c\r\nCSeq: 1 REGISTER\r\nVia: SIP/2.0/TLS 127.0.0.1:5061\r\n"
        "Content-Length: 0\r\n\r\n";
    snprintf(resp2, sizeof(resp2),
             "SIP/2.0 401 Unauthorized\r\n"
             "WWW-Authenticate: NTLM opaque=\"1\", gssapi-data=\"%s\", targetname=\"fe.contoso.com\", realm=\"SIP Communications Service\", version=3\r\n"
             "From: <sip:a@contoso.com>;tag=1\r\nTo: <sip:a@contoso.com>;tag=2\r\n"
             "Call-ID: c\r\nCSeq: 2 REGISTER\r\nVia: SIP/2.0/TLS 127.0.0.1:5061\r\n"
             "Content-Length: 0\r\n\r\n",
             ocs_type2_b64);
    struct sipae_sa sa;
    struct sipae_credentials cr = {.login = "a@contoso.com", .password = "pw"};
    struct synth_error e = {{0}};
    sipae_sa_init(&sa, 0);
    struct sip_msg m = parse_msg(resp1);
    assert_int_equal(sipae_sa_on_challenge(&sa, &m, &cr, 0, &e), 0);
    /* The CHALLENGE names cosmo-ocs-r2.cosmo.local, not fe.contoso.com. */
    m = parse_msg(resp2);
    assert_int_equal(sipae_sa_on_challenge(&sa, &m, &cr, 0, &e), SYNTH_EAUTH);
    assert_non_null(strstr(e.msg, "fe.contoso.com"));
    /* Not the configured server. */
    cr.expected_target = "pool.contoso.com";
    m = parse_msg(resp1);
    assert_int_equal(sipae_sa_on_challenge(&sa, &m, &cr, 0, &e), SYNTH_EAUTH);
    assert_non_null(strstr(e.msg, "pool.contoso.com"));

    /* Challenged again after our AUTHENTICATE: credentials refused. */
    struct sipae_sa ocs;
    ocs_sa(&ocs);
    struct sipae_credentials cr2 = {.login = "COSMO\\User", .password = "wrong"};
    char again[1024];
    snprintf(again, sizeof(again),
             "SIP/2.0 401 Unauthorized\r\n"
             "WWW-Authenticate: NTLM realm=\"SIP Communications Service\", targetname=\"cosmo-ocs-r2.cosmo.local\", version=4\r\n"
             "From: <sip:a@contoso.com>;tag=1\r\nTo: <sip:a@contoso.com>;tag=2\r\n"
             "Call-ID: c\r\nCSeq: 3 REGISTER\r\nVia: SIP/2.0/TLS 127.0.0.1:5061\r\n"
             "Content-Length: 0\r\n\r\n");
    m = parse_msg(again);
    assert_int_equal(sipae_sa_on_challenge(&ocs, &m, &cr2, 0, &e), SYNTH_EAUTH);
    assert_non_null(strstr(e.msg, "refused"));
    assert_null(strstr(e.msg, "wrong")); /* never the password */
    sipae_sa_reset(&ocs);
}

static void test_header_parsing(void **state)
{
    (void)state;
    struct sipae_challenge ch;
    struct sipae_auth_info ai;
    const char *bad[] = {
        "NTLM targetname=\"x\"",                 /* no realm */
        "NTLM realm=\"r\"",                      /* NTLM without targetname */
        "NTLM realm=\"r\", realm=\"s\", targetname=\"t\"", /* repeated */
        "NTLM realm=\"r\", targetname=\"t\", version=x", /* version not a number */
        "NTLM realm=\"r\", targetname=\"t", /* unterminated */
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t n = strlen(bad[i]);
        assert_int_equal(sipae_challenge_parse(&ch, strv_make(place(bad[i], n), n)), SYNTH_EPARSE);
    }
    assert_int_equal(sipae_challenge_parse(&ch, strv_from_cstr("Digest realm=\"r\", nonce=\"n\"")),
                     SYNTH_EUNSUPPORTED);
    const char *ok = "NTLM realm=\"SIP Communications Service\",targetname=\"t\" , version=4";
    assert_int_equal(sipae_challenge_parse(&ch, strv_make(place(ok, strlen(ok)), strlen(ok))), 0);
    assert_int_equal(ch.version, 4);
    assert_int_equal(sipae_auth_info_parse(&ai, strv_from_cstr("NTLM rspauth=\"01\", srand=\"a\"")),
                     SYNTH_EPARSE);

    char user[64], domain[64];
    assert_int_equal(sipae_user_split("CONTOSO\\alice", user, sizeof(user), domain, sizeof(domain)), 0);
    assert_string_equal(user, "alice");
    assert_string_equal(domain, "CONTOSO");
    assert_int_equal(sipae_user_split("alice@contoso.com", user, sizeof(user), domain, sizeof(domain)), 0);
    assert_string_equal(user, "alice@contoso.com");
    assert_string_equal(domain, "");
    assert_int_equal(sipae_user_split("CONTOSO\\", user, sizeof(user), domain, sizeof(domain)),
                     SYNTH_EINVAL);
    assert_int_equal(sipae_user_split("CONTOSO\\alice", user, 3, domain, sizeof(domain)),
                     SYNTH_ETOOBIG);
}

/* P-Asserted-Identity's sip and tel URIs enter version 3 buffers. */
static void test_sig_buffer_asserted_identity(void **state)
{
    (void)state;
    static const char req[] = "INVITE sip:bob@contoso.com SIP/2.0\r\n"
                              "Via: SIP/2.0/TLS 127.0.0.1:5062\r\n"
                              "From: \"Alice\" <sip:alice@contoso.com>;tag=f1\r\n"
                              "To: <sip:bob@contoso.com>;tag=t1\r\n"
                              "Call-ID: abc\r\nCSeq: 00042 INVITE\r\n"
                              "P-Asserted-Identity: \"Alice, A\" <sip:alice@contoso.com>, <tel:+14255550100>\r\n"
                              "Content-Length: 0\r\n\r\n";
    struct sip_msg m = parse_msg(req);
    char buf[512];
    struct sbuf sb;
    sbuf_init(&sb, buf, sizeof(buf));
    assert_int_equal(sipae_sig_buffer(&sb, &m, 3, strv_from_cstr("NTLM"), strv_from_cstr("r"),
                                      strv_from_cstr("7"), strv_from_cstr("R"), strv_from_cstr("T")),
                     0);
    assert_string_equal(buf, "<NTLM><r><7><R><T><abc><00042><INVITE><sip:alice@contoso.com><f1>"
                             "<sip:bob@contoso.com><t1><sip:alice@contoso.com><tel:+14255550100><>");
    sbuf_init(&sb, buf, sizeof(buf));
    assert_int_equal(sipae_sig_buffer(&sb, &m, 2, strv_from_cstr("NTLM"), strv_from_cstr("r"),
                                      strv_from_cstr("7"), strv_from_cstr("R"), strv_from_cstr("T")),
                     0);
    assert_string_equal(buf, "<NTLM><r><7><R><T><abc><00042><INVITE><sip:alice@contoso.com><f1><t1><>");
}

/* ---- the server half -------------------------------------------------------- */

static const struct sipae_server_id lab_id = {
    .realm = "SIP Communications Service",
    .targetname = "fe.lab.synth.test",
    .nb_domain = "LAB",
    .nb_computer = "FE",
    .dns_domain = "lab.synth.test",
    .version = 4,
};

static const char *lab_password(const char *user, const char *domain, void *arg)
{
    (void)arg;
    assert_string_equal(domain, "LAB");
    return strcmp(user, "user0001") == 0 ? "s3cret-pw" : NULL;
}

/* A message of its own (place() holds one input at a time): text with the
 * header line hdr inserted after the start line, parsed from buf. */
static struct sip_msg msg_with(char *buf, size_t size, const char *text, const char *hdr)
{
    const char *nl = strchr(text, '\n') + 1;
    int n = snprintf(buf, size, "%.*s%s%s", (int)(nl - text), text, hdr ? hdr : "", nl);
    assert_true(n > 0 && (size_t)n < size);
    struct sip_msg m;
    size_t used = 0;
    assert_int_equal(sip_msg_parse(&m, buf, (size_t)n, false, &used), 0);
    return m;
}

static const char srv_401_fmt[] = "SIP/2.0 401 Unauthorized\r\n"
                                  "From: <sip:user0001@lab.synth.test>;tag=c1\r\n"
                                  "To: <sip:user0001@lab.synth.test>;tag=s%d\r\n"
                                  "Call-ID: lab-call-1\r\nCSeq: %d REGISTER\r\n"
                                  "Via: SIP/2.0/TLS 127.0.0.1:5062\r\nContent-Length: 0\r\n\r\n";
static const char srv_req_fmt[] = "REGISTER sip:lab.synth.test SIP/2.0\r\n"
                                  "Via: SIP/2.0/TLS 127.0.0.1:5062\r\n"
                                  "From: <sip:user0001@lab.synth.test>;tag=c1\r\n"
                                  "To: <sip:user0001@lab.synth.test>\r\n"
                                  "Call-ID: %s\r\nCSeq: %d REGISTER\r\nExpires: 600\r\n"
                                  "Content-Length: 0\r\n\r\n";

/* The client signs request cseq (Call-ID call_id); the message as the
 * server gets it goes to *req (in buf), its Authorization parsed into *a. */
static void client_request(struct sipae_sa *sa, int cseq, const char *call_id, char *buf,
                           size_t size, struct sip_msg *req, struct sipae_client_auth *a)
{
    char text[1024], line[SIPAE_TOKEN_MAX + 600], hdr[SIPAE_TOKEN_MAX + 700];
    struct synth_error e = {{0}};
    struct sbuf sb;
    snprintf(text, sizeof(text), srv_req_fmt, call_id, cseq);
    struct sip_msg unsigned_req = msg_with(buf, size, text, NULL);
    sbuf_init(&sb, line, sizeof(line));
    assert_int_equal(sipae_authorization(sa, &sb, &unsigned_req, NULL, &e), 0);
    snprintf(hdr, sizeof(hdr), "Authorization: %s\r\n", line);
    *req = msg_with(buf, size, text, hdr);
    const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_AUTHORIZATION, NULL);
    assert_non_null(h);
    assert_int_equal(sipae_client_auth_parse(a, h->value), 0);
}

/* The server's 401 carrying challenge value ch, fed to the client. */
static int client_challenged(struct sipae_sa *sa, const struct sipae_credentials *cr, int cseq,
                             const char *ch, struct synth_error *e)
{
    char text[1024], hdr[SIPAE_TOKEN_MAX + 200], buf[SIPAE_TOKEN_MAX + 1400];
    snprintf(text, sizeof(text), srv_401_fmt, cseq, cseq);
    snprintf(hdr, sizeof(hdr), "WWW-Authenticate: %s\r\n", ch);
    struct sip_msg m = msg_with(buf, sizeof(buf), text, hdr);
    return sipae_sa_on_challenge(sa, &m, cr, 1000, e);
}

/* Client and server through the whole exchange; returns what accept says. */
static int server_exchange(struct sipae_sa *sa, struct sipae_server_sa *ssa, const char *login,
                           const char *password, struct synth_error *e)
{
    char ch[SIPAE_TOKEN_MAX + 200], buf[SIPAE_TOKEN_MAX + 2048];
    struct sbuf sb;
    struct sip_msg req;
    struct sipae_client_auth a;
    struct sipae_credentials cr = {.login = login, .password = password,
                                   .expected_target = "fe.lab.synth.test"};

    sipae_sa_init(sa, 0);
    sbuf_init(&sb, ch, sizeof(ch));
    assert_int_equal(sipae_server_challenge(&sb, &lab_id, NULL), 0);
    assert_string_equal(ch, "NTLM realm=\"SIP Communications Service\", "
                            "targetname=\"fe.lab.synth.test\", version=4");
    assert_int_equal(client_challenged(sa, &cr, 1, ch, e), 0);
    assert_int_equal(sa->state, SIPAE_SA_NEGOTIATING);

    /* The empty token opens a server SA with its CHALLENGE. */
    client_request(sa, 2, "lab-call-1", buf, sizeof(buf), &req, &a);
    assert_true(strv_isset(a.gssapi_data) && a.gssapi_data.l == 0 && !strv_isset(a.opaque));
    assert_int_equal(sipae_server_sa_start(ssa, &lab_id, 1000, 30000, e), 0);
    assert_int_equal(ssa->state, SIPAE_SA_NEGOTIATING);
    assert_int_equal(strlen(ssa->opaque), SIPAE_OPAQUE_LEN);
    sbuf_init(&sb, ch, sizeof(ch));
    assert_int_equal(sipae_server_challenge(&sb, &lab_id, ssa), 0);
    assert_non_null(strstr(ch, ssa->opaque));
    /* The client checks the CHALLENGE names the targetname's computer. */
    assert_int_equal(client_challenged(sa, &cr, 2, ch, e), 0);
    assert_int_equal(sa->state, SIPAE_SA_ESTABLISHED);

    client_request(sa, 3, "lab-call-1", buf, sizeof(buf), &req, &a);
    assert_true(strv_eq(a.opaque, ssa->opaque));
    assert_int_equal(a.version, 4);
    return sipae_server_sa_accept(ssa, &lab_id, &a, &req, lab_password, NULL, 1000, e);
}

static void test_server_exchange(void **state)
{
    (void)state;
    struct sipae_sa sa;
    struct sipae_server_sa ssa;
    struct synth_error e = {{0}};
    char buf[SIPAE_TOKEN_MAX + 2048], line[1024], hdr[1100];
    struct sip_msg req;
    struct sipae_client_auth a;

    assert_int_equal(server_exchange(&sa, &ssa, "LAB\\user0001", "s3cret-pw", &e), 0);
    assert_int_equal(ssa.state, SIPAE_SA_ESTABLISHED);
    assert_string_equal(ssa.user, "user0001");
    assert_string_equal(ssa.domain, "LAB");
    assert_int_equal(ssa.cnum, 1); /* version 4: the AUTHENTICATE request was signed */
    /* Both sides hold the same keys: the exported one came over RC4K. */
    assert_memory_equal(ssa.ntlm.exported_session_key, sa.ntlm.exported_session_key, 16);
    assert_true(ssa.ntlm.mic); /* the CHALLENGE's timestamp made the client send a MIC */

    /* The server signs its 200; the client's verifier accepts it. */
    static const char ok[] = "SIP/2.0 200 OK\r\n"
                             "From: <sip:user0001@lab.synth.test>;tag=c1\r\n"
                             "To: <sip:user0001@lab.synth.test>;tag=srv7\r\n"
                             "Call-ID: lab-call-1\r\nCSeq: 3 REGISTER\r\nExpires: 600\r\n"
                             "Via: SIP/2.0/TLS 127.0.0.1:5062\r\nContent-Length: 0\r\n\r\n";
    struct sip_msg m = msg_with(buf, sizeof(buf), ok, NULL);
    struct sbuf sb;
    sbuf_init(&sb, line, sizeof(line));
    assert_int_equal(sipae_server_sign(&ssa, &lab_id, &sb, &m, "1234abcd"), 0);
    assert_non_null(strstr(line, "srand=\"1234abcd\", snum=\"1\""));
    snprintf(hdr, sizeof(hdr), "Authentication-Info: %s\r\n", line);
    m = msg_with(buf, sizeof(buf), ok, hdr);
    assert_int_equal(sipae_sa_verify(&sa, &m, &e), 0);
    /* A second signature counts snum up and verifies too. */
    m = msg_with(buf, sizeof(buf), ok, NULL);
    sbuf_init(&sb, line, sizeof(line));
    assert_int_equal(sipae_server_sign(&ssa, &lab_id, &sb, &m, NULL), 0);
    assert_non_null(strstr(line, "snum=\"2\""));
    snprintf(hdr, sizeof(hdr), "Authentication-Info: %s\r\n", line);
    m = msg_with(buf, sizeof(buf), ok, hdr);
    assert_int_equal(sipae_sa_verify(&sa, &m, &e), 0);

    /* Later requests: signed, verified, a replay refused. */
    client_request(&sa, 4, "lab-call-1", buf, sizeof(buf), &req, &a);
    assert_false(strv_isset(a.gssapi_data));
    assert_int_equal(sipae_server_sa_verify(&ssa, &lab_id, &a, &req, 2000, &e), 0);
    assert_int_equal(ssa.cnum, 2);
    assert_int_equal(sipae_server_sa_verify(&ssa, &lab_id, &a, &req, 2000, &e), SYNTH_EAUTH);
    assert_non_null(strstr(e.msg, "replayed cnum 2"));

    /* A signed request whose Call-ID changed on the way does not verify. */
    client_request(&sa, 5, "lab-call-1", buf, sizeof(buf), &req, &a);
    char forged[2048];
    snprintf(forged, sizeof(forged), "%.*s", (int)req.raw.l, req.raw.p);
    char *cid = strstr(forged, "lab-call-1");
    cid[9] = '9';
    struct sip_msg fm;
    size_t used = 0;
    assert_int_equal(sip_msg_parse(&fm, forged, strlen(forged), false, &used), 0);
    assert_int_equal(sipae_client_auth_parse(&a, sip_msg_hdr(&fm, SIP_HDR_AUTHORIZATION, NULL)->value), 0);
    assert_int_equal(sipae_server_sa_verify(&ssa, &lab_id, &a, &fm, 2000, &e), SYNTH_EAUTH);
    assert_non_null(strstr(e.msg, "does not verify"));
    /* No signature at all, and an expired SA. */
    assert_int_equal(sipae_client_auth_parse(&a, strv_from_cstr("NTLM qop=\"auth\", realm=\"SIP Communications Service\", targetname=\"fe.lab.synth.test\"")), 0);
    assert_int_equal(sipae_server_sa_verify(&ssa, &lab_id, &a, &fm, 2000, &e), SYNTH_EAUTH);
    assert_int_equal(sipae_server_sa_verify(&ssa, &lab_id, &a, &fm, ssa.expires_ms, &e), SYNTH_EINVAL);
    sipae_server_sa_clear(&ssa);
    sipae_sa_reset(&sa);
}

static void test_server_refusals(void **state)
{
    (void)state;
    struct sipae_sa sa;
    struct sipae_server_sa ssa;
    struct synth_error e = {{0}};

    /* A wrong password: the NTLMv2 response does not verify. */
    assert_int_equal(server_exchange(&sa, &ssa, "LAB\\user0001", "wrong-pw", &e), SYNTH_EAUTH);
    assert_non_null(strstr(e.msg, "does not verify"));
    assert_null(strstr(e.msg, "wrong-pw"));
    assert_int_equal(ssa.state, SIPAE_SA_NEGOTIATING);
    sipae_sa_reset(&sa);
    /* A user the server does not know. */
    assert_int_equal(server_exchange(&sa, &ssa, "LAB\\user9999", "s3cret-pw", &e), SYNTH_ENOTFOUND);
    assert_non_null(strstr(e.msg, "user9999"));
    sipae_sa_reset(&sa);
    sipae_server_sa_clear(&ssa);

    /* Credentials headers: NTLM only, realm and targetname required. */
    struct sipae_client_auth a;
    assert_int_equal(sipae_client_auth_parse(&a, strv_from_cstr("Digest username=\"u\", realm=\"r\"")), SYNTH_EUNSUPPORTED);
    assert_int_equal(sipae_client_auth_parse(&a, strv_from_cstr("NTLM qop=\"auth\", realm=\"r\"")), SYNTH_EPARSE);
    assert_int_equal(sipae_client_auth_parse(&a, strv_from_cstr("NTLM realm=\"r\", targetname=\"t\", version=x")), SYNTH_EPARSE);
    assert_int_equal(sipae_client_auth_parse(&a, strv_from_cstr("NTLM realm=\"r\", realm=\"r\", targetname=\"t\"")), SYNTH_EPARSE);
    static const char ok[] = "NTLM qop=\"auth\", opaque=\"0A1B2C3D\", realm=\"r\", targetname=\"t\", crand=\"a\", cnum=\"7\", response=\"ff\"";
    assert_int_equal(sipae_client_auth_parse(&a, strv_make(place(ok, strlen(ok)), strlen(ok))), 0);
    assert_true(strv_eq(a.opaque, "0A1B2C3D") && strv_eq(a.cnum, "7") && strv_eq(a.response, "ff"));
    /* Accepting with no negotiation under way, or another opaque. */
    memset(&ssa, 0, sizeof(ssa));
    struct sip_msg m = parse_msg(spec_register);
    assert_int_equal(sipae_server_sa_accept(&ssa, &lab_id, &a, &m, lab_password, NULL, 0, &e), SYNTH_EAUTH);
}

/* A 200 to REGISTER cseq 3 signed by ssa, parsed into buf. */
static struct sip_msg signed_200(struct sipae_server_sa *ssa, char *buf, size_t size)
{
    static const char ok[] = "SIP/2.0 200 OK\r\n"
                             "From: <sip:user0001@lab.synth.test>;tag=c1\r\n"
                             "To: <sip:user0001@lab.synth.test>;tag=srv7\r\n"
                             "Call-ID: lab-call-1\r\nCSeq: 3 REGISTER\r\nExpires: 600\r\n"
                             "Via: SIP/2.0/TLS 127.0.0.1:5062\r\nContent-Length: 0\r\n\r\n";
    char line[1024], hdr[1100];
    struct sip_msg m = msg_with(buf, size, ok, NULL);
    struct sbuf sb;
    sbuf_init(&sb, line, sizeof(line));
    assert_int_equal(sipae_server_sign(ssa, &lab_id, &sb, &m, NULL), 0);
    snprintf(hdr, sizeof(hdr), "Authentication-Info: %s\r\n", line);
    return msg_with(buf, size, ok, hdr);
}

/* [MS-SIPAE] 3.2.1: a new SA negotiated beside the old one on the same
 * connection; signatures told apart by opaque; a lapse shortens the
 * lifetime to what the SA lasted. */
static void test_renewal_and_lapse(void **state)
{
    (void)state;
    struct sipae_sa sa, next;
    struct sipae_server_sa ssa, ssa2;
    struct synth_error e = {{0}};
    char buf[SIPAE_TOKEN_MAX + 2048], ch[SIPAE_TOKEN_MAX + 200];
    struct sip_msg req, m;
    struct sipae_client_auth a;
    struct sbuf sb;
    struct sipae_credentials cr = {.login = "LAB\\user0001", .password = "s3cret-pw"};

    assert_int_equal(server_exchange(&sa, &ssa, "LAB\\user0001", "s3cret-pw", &e), 0);
    assert_int_equal(sipae_sa_margin_ms(&sa), SIPAE_RENEW_MARGIN_MAX_MS);
    assert_false(sipae_sa_tick(&sa, sa.expires_ms - SIPAE_RENEW_MARGIN_MAX_MS - 1,
                               sipae_sa_margin_ms(&sa)));
    assert_true(sipae_sa_tick(&sa, sa.expires_ms - SIPAE_RENEW_MARGIN_MAX_MS,
                              sipae_sa_margin_ms(&sa)));
    m = signed_200(&ssa, buf, sizeof(buf));
    assert_int_equal(sipae_sa_verify(&sa, &m, &e), 0);

    /* The renewal opens with the empty token and no opaque. */
    sipae_sa_renew_start(&next, &sa);
    assert_int_equal(next.state, SIPAE_SA_NEGOTIATING);
    client_request(&next, 4, "lab-call-1", buf, sizeof(buf), &req, &a);
    assert_true(strv_isset(a.gssapi_data) && a.gssapi_data.l == 0 && !strv_isset(a.opaque));
    assert_true(strv_eq(a.realm, "SIP Communications Service") && a.version == 4);
    assert_int_equal(sipae_server_sa_start(&ssa2, &lab_id, 2000, 30000, &e), 0);
    sbuf_init(&sb, ch, sizeof(ch));
    assert_int_equal(sipae_server_challenge(&sb, &lab_id, &ssa2), 0);
    assert_int_equal(client_challenged(&next, &cr, 4, ch, &e), 0);
    assert_int_equal(next.state, SIPAE_SA_ESTABLISHED);
    assert_false(next.lapsed);
    client_request(&next, 5, "lab-call-1", buf, sizeof(buf), &req, &a);
    assert_int_equal(sipae_server_sa_accept(&ssa2, &lab_id, &a, &req, lab_password, NULL, 2000, &e), 0);
    assert_string_not_equal(ssa.opaque, ssa2.opaque);

    /* What the old SA signs is not the new one's, and the reverse. */
    m = signed_200(&ssa, buf, sizeof(buf));
    assert_int_equal(sipae_sa_verify(&next, &m, &e), SYNTH_ENOTFOUND);
    assert_int_equal(sipae_sa_verify(&sa, &m, &e), 0);
    m = signed_200(&ssa2, buf, sizeof(buf));
    assert_int_equal(sipae_sa_verify(&sa, &m, &e), SYNTH_ENOTFOUND);
    assert_int_equal(sipae_sa_verify(&next, &m, &e), 0);

    /* The server challenges afresh 4 s after the AUTHENTICATE: a lapse. */
    char text[1024], hdr[300];
    snprintf(text, sizeof(text), srv_401_fmt, 6, 6);
    snprintf(hdr, sizeof(hdr), "WWW-Authenticate: NTLM realm=\"SIP Communications Service\", "
                               "targetname=\"fe.lab.synth.test\", version=4\r\n");
    m = msg_with(buf, sizeof(buf), text, hdr);
    uint64_t born = next.expires_ms - next.lifetime_ms;
    assert_int_equal(sipae_sa_on_challenge(&next, &m, &cr, born + 4000, &e), 0);
    assert_true(next.lapsed);
    assert_int_equal(next.state, SIPAE_SA_NEGOTIATING);
    assert_int_equal(next.lifetime_ms, 4000);
    assert_int_equal(sipae_sa_margin_ms(&next), 1000);
    /* An SA not yet confirmed challenged afresh is refused credentials. */
    sipae_sa_reset(&sa);
    sipae_server_sa_clear(&ssa);
    assert_int_equal(server_exchange(&sa, &ssa, "LAB\\user0001", "s3cret-pw", &e), 0);
    assert_int_equal(sipae_sa_on_challenge(&sa, &m, &cr, 5000, &e), SYNTH_EAUTH);
    assert_false(sa.lapsed);
    sipae_sa_reset(&sa);
    sipae_sa_reset(&next);
    sipae_server_sa_clear(&ssa);
    sipae_server_sa_clear(&ssa2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_challenge),
        cmocka_unit_test(test_only_kerberos_offered),
        cmocka_unit_test(test_ocs_sig_buffers),
        cmocka_unit_test(test_ocs_signatures),
        cmocka_unit_test(test_ocs2007_version2),
        cmocka_unit_test(test_full_exchange),
        cmocka_unit_test(test_refused_and_wrong_target),
        cmocka_unit_test(test_header_parsing),
        cmocka_unit_test(test_sig_buffer_asserted_identity),
        cmocka_unit_test(test_server_exchange),
        cmocka_unit_test(test_server_refusals),
        cmocka_unit_test(test_renewal_and_lapse),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
