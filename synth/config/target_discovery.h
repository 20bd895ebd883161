/* Filling a target's endpoints from DNS discovery (target `discover:`):
 * the registrar from _sipinternaltls._tcp and the edge from _sip._tls,
 * each only where the file did not name it. */
#ifndef SYNTH_CONFIG_TARGET_DISCOVERY_H
#define SYNTH_CONFIG_TARGET_DISCOVERY_H

#include "synth/config/target.h"
#include "synth/dns/sip_discovery.h"

/* An endpoint the file left to DNS and DNS did not find stays empty, and
 * target_endpoint_for answers NULL for it: the caller reports why. */
void target_apply_discovery(struct target *t, const struct sip_discovery *d);

#endif
