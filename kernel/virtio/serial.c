/*
 * serial.c: the console on COM1, a 16550 UART, 115200 8N1, polled.
 *
 * QEMU's -serial stdio makes this the console; the UART is set up anyway so
 * that real hardware (and other VMMs) see the same line settings.
 */

#include "virtio.h"

#define COM1        0x3f8
#define UART_DATA   0   /* THR (write), divisor low with DLAB */
#define UART_IER    1   /* interrupts off; divisor high with DLAB */
#define UART_FCR    2
#define UART_LCR    3
#define UART_MCR    4
#define UART_LSR    5
#define LCR_DLAB    0x80
#define LCR_8N1     0x03
#define FCR_ENABLE_CLEAR 0x07
#define MCR_DTR_RTS 0x03    /* OUT2 stays off: the UART raises no IRQ */
#define LSR_THRE    0x20    /* transmit holding register empty */

void serial_init(void)
{
    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_LCR, LCR_DLAB);
    outb(COM1 + UART_DATA, 1);  /* divisor 1: 115200 baud */
    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_LCR, LCR_8N1);
    outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR);
    outb(COM1 + UART_MCR, MCR_DTR_RTS);
}

/* No "\n" -> "\r\n" translation: a terminal does it (QEMU keeps OPOST on
 * stdio), and output captured through a pipe stays byte for byte. */
void platform_puts(const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        while (!(inb(COM1 + UART_LSR) & LSR_THRE))
            ;
        outb(COM1 + UART_DATA, (uint8_t)buf[i]);
    }
}
