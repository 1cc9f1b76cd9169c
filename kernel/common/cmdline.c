/* cmdline.c: consumes the kernel's own --solo5: options. */

#include "kernel.h"

static const struct {
    const char *name;
    enum log_level level;
} levels[] = {
    { "quiet", LOG_QUIET }, { "error", LOG_ERROR }, { "warn", LOG_WARN },
    { "info", LOG_INFO }, { "debug", LOG_DEBUG },
};

static bool parse_option(const char *word, size_t len)
{
    static const char prefix[] = "--solo5:";
    size_t plen = sizeof prefix - 1;
    if (len <= plen || strncmp(word, prefix, plen) != 0)
        return false;
    for (size_t i = 0; i < ARRAY_SIZE(levels); i++) {
        size_t n = strlen(levels[i].name);
        if (len - plen == n && strncmp(word + plen, levels[i].name, n) == 0) {
            log_level = levels[i].level;
            return true;
        }
    }
    return false; /* unknown --solo5: words go to the application */
}

/*
 * Words are separated by spaces. Recognised options are removed; the rest is
 * compacted in place, single-space separated, and returned.
 */
char *cmdline_parse(char *cmdline)
{
    if (!cmdline)
        return "";
    char *out = cmdline;
    const char *p = cmdline;
    while (*p) {
        while (*p && isspace(*p))
            p++;
        const char *word = p;
        while (*p && !isspace(*p))
            p++;
        size_t len = (size_t)(p - word);
        if (len == 0 || parse_option(word, len))
            continue;
        if (out != cmdline)
            *out++ = ' ';
        memmove(out, word, len);
        out += len;
    }
    *out = '\0';
    return cmdline;
}
