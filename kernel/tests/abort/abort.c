/* abort: solo5_abort() must end the unikernel with status 255. */

#include "test.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    puts("calling solo5_abort()\n");
    solo5_abort();
}
