/* Fuzz target for the ICE agent's handling of what arrives on a candidate
 * (synth/ice/ice_agent.c). Each input is fed as is, then turned into a
 * check the agent cannot refuse on integrity: byte 0 picks the role, the
 * class (request, success, error) and (bit 3) the dialect, RFC 8445 or
 * [MS-ICE2], the rest is a list of attributes
 * (type: 2 bytes, length: 1 byte, value), wrapped with the right USERNAME,
 * MESSAGE-INTEGRITY (our password for requests, the peer's for responses,
 * the transaction id of the check in flight) and FINGERPRINT. Invariants:
 * no crash, no read past the input, the state stays one of the four. */
#include "synth/ice/ice_agent.h"
#include "synth/ice/ice_msice2.h"
#include "synth/turn/stun_msg.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REMOTE_UFRAG "rmtU"
#define REMOTE_PWD "remote-password-0123456789"

static uint8_t last_tid[STUN_TID_LEN];

static int capture(void *arg, const struct sockaddr *to, socklen_t to_len, const uint8_t *buf,
                   size_t len)
{
    /* Our requests carry the transaction a response must match. */
    if (len >= STUN_HEADER_LEN && (buf[0] & 0x01) == 0 && (buf[1] & 0x10) == 0)
        memcpy(last_tid, buf + 8, STUN_TID_LEN);
    return 0;
}

static void addr(struct sockaddr_storage *ss, uint32_t ip, uint16_t port)
{
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    memset(ss, 0, sizeof(*ss));
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(ip);
    in->sin_port = htons(port);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct event_base *base;
    if (!base && !(base = event_base_new()))
        abort();
    if (size < 1)
        return 0;
    struct ice_agent *a;
    struct ice_agent_opts o = {.base = base, .components = 1,
                               .role = data[0] & 1 ? ICE_CONTROLLING : ICE_CONTROLLED,
                               .dialect = data[0] & 8 ? &ice_dialect_msice2 : NULL};
    if (ice_agent_new(&a, &o, NULL) != 0)
        abort();
    struct sockaddr_storage local, remote;
    addr(&local, 0x7f000001, 40000);
    addr(&remote, 0x7f000002, 40002);
    if (ice_agent_add_local(a, ICE_CAND_HOST, 1, (struct sockaddr *)&local,
                            sizeof(struct sockaddr_in), 65535, capture, NULL, NULL) != 0 ||
        ice_agent_set_remote_credentials(a, REMOTE_UFRAG, REMOTE_PWD) != 0 ||
        ice_agent_add_remote(a, ICE_CAND_HOST, 1, (struct sockaddr *)&remote,
                             sizeof(struct sockaddr_in), 2130706431) != 0 ||
        ice_agent_start(a) != 0)
        abort();
    (void)ice_agent_receive(a, 0, &remote, data, size);

    static const enum stun_class classes[] = {STUN_CLASS_REQUEST, STUN_CLASS_SUCCESS,
                                              STUN_CLASS_ERROR, STUN_CLASS_INDICATION};
    enum stun_class cls = classes[(data[0] >> 1) & 3];
    uint8_t tid[STUN_TID_LEN], buf[STUN_MSG_MAX];
    char user[64];
    if (cls == STUN_CLASS_REQUEST)
        stun_tid_new(tid);
    else
        memcpy(tid, last_tid, sizeof(tid));
    struct stun_enc e;
    stun_enc_init(&e, buf, sizeof(buf), NULL, STUN_METHOD_BINDING, cls, tid);
    for (size_t i = 1; i + 3 <= size;) {
        uint16_t type = (uint16_t)(data[i] << 8 | data[i + 1]);
        size_t len = data[i + 2] % 64;
        i += 3;
        if (len > size - i)
            len = size - i;
        if (type != STUN_ATTR_MESSAGE_INTEGRITY && type != STUN_ATTR_FINGERPRINT &&
            type != STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
            stun_enc_attr(&e, type, data + i, len);
        i += len;
    }
    const char *key = REMOTE_PWD;
    if (cls == STUN_CLASS_REQUEST) {
        snprintf(user, sizeof(user), "%s:%s", ice_agent_ufrag(a), REMOTE_UFRAG);
        stun_enc_str(&e, STUN_ATTR_USERNAME, user);
        key = ice_agent_pwd(a);
    }
    stun_enc_integrity(&e, (const uint8_t *)key, strlen(key));
    stun_enc_fingerprint(&e);
    size_t len;
    if (stun_enc_finish(&e, &len) == 0)
        (void)ice_agent_receive(a, 0, &remote, buf, len);
    enum ice_state st = ice_agent_state(a);
    if (st != ICE_STATE_RUNNING && st != ICE_STATE_COMPLETED && st != ICE_STATE_FAILED)
        abort();
    ice_agent_free(a);
    return 0;
}
