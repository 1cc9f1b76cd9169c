/*
 * clock.c: clocks for virtio: TSC calibration, the CMOS RTC, the PIT.
 *
 * Monotonic time is the TSC (tsc.c). Its frequency comes from the
 * hypervisor's CPUID timing leaf when there is one (QEMU/KVM with invtsc,
 * VMware), else from 2 ms of PIT channel 2: upstream spends 100 ms here,
 * which would be most of a unikernel's boot under QEMU. The PIT runs off
 * QEMU's real-time clock; each end of the interval is the tightest of a few
 * readings of the PIT counter bracketed by the TSC, so the error is a
 * microsecond or so in 2 ms.
 *
 * Wall time is the RTC read once at boot (1 s resolution) advanced by the
 * monotonic clock, so reading it costs nothing.
 */

#include "virtio.h"

#define PIT_HZ          1193182ULL
#define PIT_CH0         0x40
#define PIT_CH2         0x42
#define PIT_CMD         0x43
#define PIT_CMD_CH0_MODE0 0x30  /* channel 0, lobyte/hibyte, mode 0 */
#define PIT_CMD_CH2_MODE0 0xb0  /* channel 2, lobyte/hibyte, mode 0 */
#define PIT_CMD_CH2_LATCH 0x80  /* latch channel 2's count */
#define PORT_61         0x61    /* bit 0: ch2 gate, 1: speaker, 5: ch2 out */
#define PORT_61_GATE2   0x01
#define PORT_61_SPEAKER 0x02
#define CALIBRATE_TICKS 2386    /* 2 ms of PIT_HZ */
#define CALIBRATE_TRIES 5
#define CALIBRATE_GIVE_UP (1ULL << 36) /* TSC ticks: 7 s at 10 GHz */

#define CMOS_INDEX      0x70
#define CMOS_DATA       0x71
#define RTC_SEC         0x00
#define RTC_MIN         0x02
#define RTC_HOUR        0x04
#define RTC_DAY         0x07
#define RTC_MON         0x08
#define RTC_YEAR        0x09
#define RTC_STATUS_A    0x0a
#define RTC_STATUS_B    0x0b
#define RTC_CENTURY     0x32    /* where PC BIOSes (and QEMU) keep it */
#define RTC_A_UIP       0x80    /* update in progress */
#define RTC_B_24H       0x02
#define RTC_B_BINARY    0x04
#define RTC_HOUR_PM     0x80

#define NSEC_PER_SEC    1000000000ULL

/* CPUID 0x40000010: EAX = TSC kHz, when the hypervisor offers the leaf. */
static uint64_t tsc_hz_from_cpuid(void)
{
    uint32_t r[4];
    cpu_cpuid(1, 0, r);
    if (!(r[2] & (1U << 31)))   /* no hypervisor */
        return 0;
    cpu_cpuid(0x40000000, 0, r);
    if (r[0] < 0x40000010 || r[0] > 0x400000ff)
        return 0;
    cpu_cpuid(0x40000010, 0, r);
    return (uint64_t)r[0] * 1000;
}

/* One reading of PIT channel 2's counter, with the TSC around it. */
struct pit_sample {
    uint64_t tsc;       /* midpoint of the reading */
    uint64_t window;    /* TSC ticks the reading took */
    uint16_t count;
};

static struct pit_sample pit_read(void)
{
    struct pit_sample s;
    uint64_t t0 = cpu_rdtsc();
    outb(PIT_CMD, PIT_CMD_CH2_LATCH);
    uint8_t lo = inb(PIT_CH2);
    uint8_t hi = inb(PIT_CH2);
    uint64_t t1 = cpu_rdtsc();
    s.tsc = t0 + (t1 - t0) / 2;
    s.window = t1 - t0;
    s.count = (uint16_t)(lo | hi << 8);
    return s;
}

/* The tightest of a few readings: a reading can stall (under TCG, QEMU's
 * main thread may hold the lock that port I/O needs for milliseconds while
 * it starts up), and a stall inside a reading is the only error that
 * counts; stalls between readings cost nothing. */
static struct pit_sample pit_read_best(void)
{
    struct pit_sample best = pit_read();
    for (int i = 1; i < CALIBRATE_TRIES; i++) {
        struct pit_sample s = pit_read();
        if (s.window < best.window)
            best = s;
    }
    return best;
}

/* TSC ticks against PIT channel 2 counting down for CALIBRATE_TICKS. */
static uint64_t tsc_hz_from_pit(void)
{
    uint8_t saved = inb(PORT_61);
    outb(PORT_61, (saved & ~PORT_61_SPEAKER) | PORT_61_GATE2);
    outb(PIT_CMD, PIT_CMD_CH2_MODE0);
    outb(PIT_CH2, 0xff);
    outb(PIT_CH2, 0xff);    /* counts down from 65535: 55 ms before wrapping */
    struct pit_sample a = pit_read_best(), b;
    do {
        b = pit_read();
        if (b.tsc - a.tsc > CALIBRATE_GIVE_UP) {
            log(LOG_ERROR, "virtio: the PIT does not count, no clock\n");
            platform_exit(SOLO5_EXIT_FAILURE, NULL);
        }
    } while ((uint16_t)(a.count - b.count) < CALIBRATE_TICKS);
    b = pit_read_best();
    outb(PORT_61, saved);
    uint16_t ticks = a.count - b.count;
    return (b.tsc - a.tsc) * PIT_HZ / ticks;
}

static uint8_t cmos_read(uint8_t reg)
{
    outb(CMOS_INDEX, reg);
    return inb(CMOS_DATA);
}

static unsigned bcd(uint8_t v, bool binary)
{
    return binary ? v : (v >> 4) * 10 + (v & 0x0f);
}

struct rtc_time {
    uint8_t sec, min, hour, day, mon, year, century;
};

static void rtc_read_raw(struct rtc_time *t)
{
    /* An update takes under 2 ms; the bound only guards against a
     * missing RTC, whose registers read as 0xff. */
    for (int i = 0; i < 100000 && (cmos_read(RTC_STATUS_A) & RTC_A_UIP); i++)
        ;
    t->sec = cmos_read(RTC_SEC);
    t->min = cmos_read(RTC_MIN);
    t->hour = cmos_read(RTC_HOUR);
    t->day = cmos_read(RTC_DAY);
    t->mon = cmos_read(RTC_MON);
    t->year = cmos_read(RTC_YEAR);
    t->century = cmos_read(RTC_CENTURY);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian, m 1..12). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    uint64_t yoe = (uint64_t)(y - era * 400);
    uint64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* The RTC as ns since the epoch; it keeps UTC under QEMU (-rtc base=utc,
 * the default). Read until two reads agree, so no update splits it. */
static uint64_t rtc_read_ns(void)
{
    struct rtc_time a, b;
    rtc_read_raw(&a);
    for (;;) {
        rtc_read_raw(&b);
        if (memcmp(&a, &b, sizeof a) == 0)
            break;
        a = b;
    }
    uint8_t status_b = cmos_read(RTC_STATUS_B);
    bool binary = status_b & RTC_B_BINARY;
    bool pm = a.hour & RTC_HOUR_PM;
    unsigned hour = bcd(a.hour & ~RTC_HOUR_PM, binary);
    if (!(status_b & RTC_B_24H))
        hour = (hour % 12) + (pm ? 12 : 0);
    unsigned century = bcd(a.century, binary);
    if (century < 19 || century > 99)
        century = 20;
    int64_t year = century * 100 + bcd(a.year, binary);
    unsigned mon = bcd(a.mon, binary), day = bcd(a.day, binary);
    if (mon < 1 || mon > 12 || day < 1 || day > 31)
        return 0;
    int64_t days = days_from_civil(year, mon, day);
    int64_t secs = days * 86400 + hour * 3600 +
        bcd(a.min, binary) * 60 + bcd(a.sec, binary);
    return secs > 0 ? (uint64_t)secs * NSEC_PER_SEC : 0;
}

void clock_init(void)
{
    const char *source = "CPUID";
    uint64_t hz = tsc_hz_from_cpuid();
    if (!hz) {
        source = "PIT";
        hz = tsc_hz_from_pit();
    }
    tsc_init(hz);
    log(LOG_DEBUG, "virtio: TSC at %lu kHz (from the %s)\n",
            (unsigned long)(hz / 1000), source);
    uint64_t rtc = rtc_read_ns();
    tsc_set_wall(rtc);
    log(LOG_DEBUG, "virtio: RTC at %lu s since the epoch\n",
            (unsigned long)(rtc / NSEC_PER_SEC));
}

void pit_oneshot(uint64_t ns)
{
    if (ns > 50000000)
        ns = 50000000;  /* 59659 ticks: under the 16-bit limit */
    uint64_t ticks = ns * PIT_HZ / NSEC_PER_SEC;
    if (ticks < 1)
        ticks = 1;
    outb(PIT_CMD, PIT_CMD_CH0_MODE0);
    outb(PIT_CH0, ticks & 0xff);
    outb(PIT_CH0, ticks >> 8);
}

