/* hello: the console example: hello/world four times, then the cmdline. */

#include "test.h"

int solo5_app_main(const struct solo5_start_info *si)
{
    for (int i = 0; i < 4; i++) {
        puts("hello\n");
        puts("world\n");
    }
    printf("cmdline: %s\n", si->cmdline);
    return SOLO5_EXIT_SUCCESS;
}
