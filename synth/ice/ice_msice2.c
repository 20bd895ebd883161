/* [MS-ICE2] checks (ice_msice2.h). What differs from RFC 8445 on the wire,
 * for an [MS-ICE2] version 2 agent speaking over UDP:
 * - the STUN header and attributes are RFC 5389's (magic cookie,
 *   FINGERPRINT), with short-term credentials keyed with the password of
 *   the side answering, as in RFC 8445 7.2.2 / 7.3: [MS-ICE2] builds on
 *   draft-ietf-mmusic-ice-19, which RFC 5245 became;
 * - MESSAGE-INTEGRITY is computed as the STUN drafts did, the way an
 *   agent of implementation version 2 expects (msice2_integrity below);
 *   the other way (RFC 5389's, which agents of version 3 and later use) is
 *   accepted from a peer too, and answered in kind;
 * - USERNAME is "their-ufrag:our-ufrag" as in RFC 8445 7.2.2 (ICE-19's
 *   form; the base64-decoded "their:component:ours:component" form
 *   belongs to [MS-ICE] version 1, the ICE-06 dialect);
 * - the priority formula is RFC 8445 5.1.2.1's (ICE-19 section 4.1.2.1):
 *   2^24 type preference + 2^8 local preference + (256 - component);
 *   [MS-ICE2] lays out the local preference differently (transport,
 *   direction, relay and interface bits), which with one interface and UDP
 *   only is the highest value either way;
 * - every check carries CANDIDATE-IDENTIFIER, the foundation of the local
 *   candidate it is sent from, and MS-IMPLEMENTATION-VERSION (value 2);
 *   every response carries MS-IMPLEMENTATION-VERSION ([MS-ICE2] 2.2);
 * - nomination: the controlling agent's USE-CANDIDATE on a pair that has
 *   succeeded, as RFC 8445 8.1.1's regular nomination does (ICE-19 allows
 *   both regular and aggressive nomination; the controlled side here
 *   accepts either).
 * Not done: the second copy of every check and response [MS-ICE2] 3.1.4.8.2
 * SHOULD send, with a FINGERPRINT from a different CRC table, for agents of
 * the Office Communications Server 2007 era; a peer that insists on it
 * answers our standard copy anyway. */
#include "synth/ice/ice_msice2.h"

#include "synth/turn/msturn_msg.h"
#include "synth/turn/stun_msg.h"

#include <string.h>

/* What an implementation-version-2 agent MACs (the form libnice's MS-ICE2
 * mode sends to Lync and Skype for Business; Wireshark's STUN dissector
 * tells versions up to 2, "RFC3489bis-02 formats", from 3 and later, "RFC
 * 5389 formats"): the message before MESSAGE-INTEGRITY with the length
 * field counting the FINGERPRINT that follows it too, zero-padded to a
 * multiple of 64 bytes as [MS-TURN]'s drafts-era integrity is. Every
 * [MS-ICE2] check and response carries FINGERPRINT last (a check without
 * one is not ICE's, ice_agent_receive), so the length is known. */
static int msice2_integrity(const uint8_t *msg, size_t len, const uint8_t *key, size_t key_len,
                            uint8_t out[STUN_MI_LEN])
{
    uint8_t copy[STUN_MSG_MAX];
    if (len < STUN_HEADER_LEN || len > sizeof(copy))
        return SYNTH_ETOOBIG;
    memcpy(copy, msg, len);
    unsigned field = ((unsigned)copy[2] << 8 | copy[3]) + STUN_ATTR_HEADER_LEN + 4;
    copy[2] = (uint8_t)(field >> 8);
    copy[3] = (uint8_t)field;
    return msturn_integrity(copy, len, key, key_len, out);
}

const struct stun_dialect stun_dialect_msice2 = {
    .name = "ms-ice2",
    .tid_len = STUN_TID_LEN,
    .header_ok = stun_header_rfc5389,
    .attr_to_wire = stun_attr_same,
    .attr_from_wire = stun_attr_same,
    .integrity = msice2_integrity,
    .unpadded_ok = true,
};

/* The attribute's value is the foundation's characters, zero-padded to a
 * multiple of four, the padding counted in the length (libnice writes it
 * so, and Microsoft's agents read it so). The foundation is 1-32
 * ice-chars (RFC 8839 5.1). */
static void msice2_request_attrs(struct stun_enc *e, const char *foundation)
{
    uint8_t id[32] = {0};
    size_t n = strlen(foundation);
    if (n > sizeof(id))
        n = sizeof(id);
    memcpy(id, foundation, n);
    stun_enc_attr(e, ICE_MSICE2_ATTR_CANDIDATE_IDENTIFIER, id, (n + 3) & ~(size_t)3);
    stun_enc_u32(e, ICE_MSICE2_ATTR_IMPLEMENTATION_VERSION, ICE_MSICE2_IMPLEMENTATION_VERSION);
}

static void msice2_response_attrs(struct stun_enc *e)
{
    stun_enc_u32(e, ICE_MSICE2_ATTR_IMPLEMENTATION_VERSION, ICE_MSICE2_IMPLEMENTATION_VERSION);
}

const struct ice_dialect ice_dialect_msice2 = {
    .name = "ms-ice2",
    .stun = &stun_dialect_msice2,
    .stun_alt = &stun_dialect_rfc5389,
    .username = ice_username_rfc8445,
    .priority = ice_priority_rfc8445,
    .request_attrs = msice2_request_attrs,
    .response_attrs = msice2_response_attrs,
};

const struct ice_dialect *ice_dialect_of_sdp(const struct sdp_session *sdp,
                                             const struct sdp_media *m)
{
    return sdp_media_ice2(sdp, m) ? &ice_dialect_rfc8445 : &ice_dialect_msice2;
}

const struct ice_dialect *ice_dialect_by_name(const char *name)
{
    if (!name)
        return NULL;
    if (strcmp(name, ice_dialect_rfc8445.name) == 0)
        return &ice_dialect_rfc8445;
    if (strcmp(name, ice_dialect_msice2.name) == 0)
        return &ice_dialect_msice2;
    return NULL;
}
