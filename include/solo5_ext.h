/*
 * solo5_ext.h: what our kernels offer an application beyond upstream's
 * Solo5 API (solo5.h). An application that uses it links against our
 * kernels only (both targets define everything here).
 */
#ifndef SOLO5_EXT_H
#define SOLO5_EXT_H

#include "solo5.h"

/*
 * Large send: the largest frame solo5_net_write() takes on the network
 * device handle (0 for a handle that is not one).
 *
 * Normally the MTU plus the Ethernet header (SOLO5_NET_HLEN). Larger, up to
 * SOLO5_NET_LARGE_MAX, when the host segments TCP for the unikernel (on
 * ukvm with the LARGE_SEND extension, docs/extensions.md): a frame longer
 * than the MTU plus the header must then be one IPv4 TCP segment,
 *   - Ethernet type IPv4 (no VLAN tag), IPv4 total length = the frame's
 *     length less the Ethernet header, not a fragment (MF and the offset
 *     0), protocol TCP, ACK set, neither SYN, RST nor URG, and data after
 *     the TCP header;
 * and the host sends it as segments whose data is at most the MTU less the
 * IPv4 and TCP headers (the frame's own, options included), each with its
 * own TCP checksum (the frame's is ignored), IP identifier and length.
 * PSH and FIN go on the last segment only. A frame that breaks a rule is
 * refused (SOLO5_R_EINVAL) and nothing is sent.
 *
 * Segments come out at the MTU's MSS: an application sends large frames
 * only on connections whose MSS is that, and sizes them in whole MSS.
 */
#define SOLO5_NET_LARGE_MAX (SOLO5_NET_HLEN + 65535)

size_t solo5_net_max_frame(solo5_handle_t handle);

#endif /* SOLO5_EXT_H */
