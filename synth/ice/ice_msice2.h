/* [MS-ICE2] (Interactive Connectivity Establishment Extensions 2.0), the
 * ICE that Lync and Skype for Business endpoints, their A/V Edge and
 * Exchange UM speak, as an ice_dialect for the agent, and how a peer's
 * description says it speaks it. */
#ifndef SYNTH_ICE_ICE_MSICE2_H
#define SYNTH_ICE_ICE_MSICE2_H

#include "synth/ice/ice_agent.h"
#include "synth/sdp/sdp.h"

/* Comprehension-optional attributes [MS-ICE2] adds to checks (2.2, its
 * message syntax; the numbers libnice's MS-ICE2 mode also uses). */
#define ICE_MSICE2_ATTR_CANDIDATE_IDENTIFIER 0x8054
#define ICE_MSICE2_ATTR_IMPLEMENTATION_VERSION 0x8070
/* The implementation version an [MS-ICE2] version 2 agent announces. */
#define ICE_MSICE2_IMPLEMENTATION_VERSION 2

extern const struct ice_dialect ice_dialect_msice2;
/* Its STUN: RFC 5389's header and attributes, the drafts' integrity. */
extern const struct stun_dialect stun_dialect_msice2;

/* The dialect the peer's media section speaks. An RFC 8445 agent says so
 * with the "ice2" ICE option (RFC 8445 10, RFC 8839 5.6); [MS-SDPEXT]
 * 3.1.5.21.3 says a Microsoft agent never writes a=ice-options and ignores
 * it. So ICE without "ice2" is a pre-RFC 8445 agent: [MS-ICE2], whose
 * checks an RFC 5245 peer also accepts (its additions are
 * comprehension-optional, RFC 5389 7.3.1). Only meaningful when the section
 * has ICE credentials. */
const struct ice_dialect *ice_dialect_of_sdp(const struct sdp_session *sdp,
                                             const struct sdp_media *m);

/* "rfc8445" / "ms-ice2" back to the table (a lab or target knob); NULL if unknown. */
const struct ice_dialect *ice_dialect_by_name(const char *name);

#endif
