/* A bounded scanner for the small, flat XML bodies SIP carries (MRAS
 * credentials, later presence and provisioning): finds an element by local
 * name inside a range, reads its attributes and its text. Not a general XML
 * parser: no DTDs, no CDATA, an element does not contain another of its own
 * name. Views into the caller's buffer; never reads past it. */
#ifndef SYNTH_XML_SCAN_H
#define SYNTH_XML_SCAN_H

#include "synth/base/strv.h"

#include <stdbool.h>
#include <stddef.h>

struct xml_elem {
    struct strv attrs;   /* between the name and '>' (or "/>") */
    struct strv content; /* between '>' and the closing tag; empty for <x/> */
};

/* The first element whose local name (after any "prefix:") is name, within
 * in. false when there is none or it is not closed within in. */
bool xml_scan_find(struct strv in, const char *name, struct xml_elem *out);
/* Attribute name="value" (or 'value') of attrs; the raw value, entities not
 * undone. */
bool xml_scan_attr(struct strv attrs, const char *name, struct strv *value);
/* Text with the five predefined entities and &#N; / &#xH; (ASCII) undone,
 * surrounding whitespace trimmed, into out (NUL-terminated). SYNTH_ETOOBIG
 * when it does not fit, SYNTH_EPARSE for an unknown entity or markup. */
int xml_scan_text(struct strv v, char *out, size_t size);
/* The same for an element's text or an attribute, found by name: 0,
 * SYNTH_ENOTFOUND, or xml_scan_text's errors. */
int xml_scan_child_text(struct strv in, const char *name, char *out, size_t size);
int xml_scan_attr_text(struct strv attrs, const char *name, char *out, size_t size);

/* Writes s with &, <, >, " and ' escaped; returns the bytes written to out
 * (NUL-terminated), or SIZE_MAX when it does not fit. */
size_t xml_scan_escape(const char *s, char *out, size_t size);

#endif
