/*
 * platform.c: the stack's platform layer on the public Solo5 interface
 * (solo5.h): clocks, console, one network device, one block device. The
 * fuzzer links a fake of its own instead (Fuzz/httpd/fake_platform.c).
 */

#include "solo5.h"
#include "solo5_ext.h"
#include "httpd.h"
#include "platform.h"

static solo5_handle_t net_handle, block_handle;
static bool have_block;

uint64_t plat_now(void)
{
    return solo5_clock_monotonic();
}

uint64_t plat_wall(void)
{
    return solo5_clock_wall();
}

void plat_console(const char *s, size_t n)
{
    solo5_console_write(s, n);
}

void plat_net_send(const uint8_t *frame, size_t len)
{
    /* A frame the device refuses is lost, as on a busy wire: TCP resends. */
    solo5_result_t r = solo5_net_write(net_handle, frame, len);
    static bool told;
    if (r == SOLO5_R_OK && len > ETH_HLEN + netif.mtu && !told) {
        told = true;
        hlog(LOG_INFO, "large send: first frame of %zu bytes sent", len);
    }
}

size_t plat_net_max_frame(void)
{
    return solo5_net_max_frame(net_handle);
}

bool plat_block_read(uint64_t off, uint8_t *buf, size_t len)
{
    return have_block && solo5_block_read(block_handle, off, buf, len) ==
        SOLO5_R_OK;
}

bool plat_net_open(uint8_t mac[6], size_t *mtu)
{
    struct solo5_net_info info;
    if (solo5_net_acquire("service0", &net_handle, &info) != SOLO5_R_OK)
        return false;
    memcpy(mac, info.mac_address, 6);
    *mtu = info.mtu;
    return true;
}

bool plat_block_open(uint64_t *capacity, uint64_t *block_size)
{
    struct solo5_block_info info;
    if (solo5_block_acquire("storage", &block_handle, &info) != SOLO5_R_OK)
        return false;
    have_block = true;
    *capacity = info.capacity;
    *block_size = info.block_size;
    return true;
}

/*
 * Waits until a frame comes or the deadline passes, then hands at most one
 * frame up the stack. With frames already received (NETIO batches them)
 * the yield returns at once and costs no exit; sends queued meanwhile go
 * out with the next exchange.
 */
void plat_poll(uint64_t deadline, uint8_t *buf, size_t size)
{
    solo5_handle_set_t ready = 0;
    solo5_yield(deadline, &ready);
    if (!(ready & (1ULL << net_handle)))
        return;
    size_t len;
    if (solo5_net_read(net_handle, buf, size, &len) == SOLO5_R_OK)
        eth_input(buf, len);
}
