/* quiet: run with --solo5:quiet, only the application's own output shows. */

#include "test.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    printf("cmdline: %s\n", si->cmdline);
    puts("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}
