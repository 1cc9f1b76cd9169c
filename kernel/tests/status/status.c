/* status N: exits with status N, to check how each target reports it. */

#include "test.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    return (int)parse_u64(si->cmdline, 0);
}
