/*
 * platform.h: what main.c needs of the Solo5 platform layer beyond the
 * stack's own hooks (httpd.h): acquiring the devices and the wait.
 */
#ifndef HTTPD_PLATFORM_H
#define HTTPD_PLATFORM_H

#include "httpd.h"

bool plat_net_open(uint8_t mac[6], size_t *mtu);
/* The largest frame the device takes (solo5_ext.h), after plat_net_open. */
size_t plat_net_max_frame(void);
bool plat_block_open(uint64_t *capacity, uint64_t *block_size);
/* Waits for a frame until deadline (monotonic ns) and handles it. */
void plat_poll(uint64_t deadline, uint8_t *buf, size_t size);

#endif
