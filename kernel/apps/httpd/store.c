/*
 * store.c: the content the server serves: the files of a read-only image
 * on the block device (format in docs/httpd.md, made by
 * scripts/httpd-image), or, without a block device, a built-in page.
 *
 * The image's directory is read once at start and checked; file data is
 * read on demand in 1 MiB chunks into a cache that takes the heap left
 * over by TCP (direct-mapped: with enough memory the whole image stays).
 */

#include "httpd.h"

#define SECTOR 512
#define CHUNK (1024 * 1024)        /* = SOLO5_BLOCK_IO_MAX */
#define MAX_SLOTS 4096
#define ENTRY_SIZE 256
#define PATH_FIELD 168
#define TYPE_FIELD 64
#define IMAGE_VERSION 1
static const char magic[8] = { 'S', 'O', 'L', 'O', '5', 'W', 'W', 'W' };

struct entry {
    uint64_t offset, size;
    uint16_t path_len;
    uint8_t type_len;
    uint8_t reserved[5];
    char path[PATH_FIELD];
    char type[TYPE_FIELD];
};
_Static_assert(sizeof(struct entry) == ENTRY_SIZE, "directory entry layout");

static const char builtin_index[] =
    "<!DOCTYPE html>\n<html><head><title>solo5-httpd</title></head>\n"
    "<body><h1>It works</h1>\n<p>This page comes from solo5-httpd, an HTTP "
    "server unikernel on the Solo5 interface. Attach a content image "
    "(scripts/httpd-image) as its block device to serve your own files.</p>"
    "\n</body></html>\n";

static bool disk;
static const struct entry *dir;
static uint32_t nfiles;
static uint64_t capacity;
static uint8_t *cache;
static unsigned nslots;
static uint64_t tags[MAX_SLOTS]; /* the chunk in each slot, or ~0 */

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)le64((const uint8_t[8]){ p[0], p[1], p[2], p[3] });
}

/* The cache slot holding chunk c, read from the disk if need be. */
static const uint8_t *chunk(uint64_t c)
{
    unsigned slot = (unsigned)(c % nslots);
    uint8_t *p = cache + (size_t)slot * CHUNK;
    if (tags[slot] != c) {
        uint64_t off = c * CHUNK;
        size_t len = (size_t)MIN((uint64_t)CHUNK, capacity - off);
        if (!plat_block_read(off, p, len)) {
            hlog(LOG_ERROR, "storage: read of %lu bytes at %lu failed",
                    (unsigned long)len, (unsigned long)off);
            memset(p, 0, len);
            tags[slot] = ~0ULL;
            return p;
        }
        tags[slot] = c;
    }
    return p;
}

/* Copies len bytes of the disk at off (within capacity) to dst. */
static void disk_copy(uint64_t off, uint8_t *dst, size_t len)
{
    while (len) {
        uint64_t c = off / CHUNK;
        size_t in = (size_t)(off % CHUNK);
        size_t n = MIN(len, (size_t)CHUNK - in);
        memcpy(dst, chunk(c) + in, n);
        dst += n;
        off += n;
        len -= n;
    }
}

/* Checks entry i; the reason it is wrong, or NULL. */
static const char *check_entry(uint32_t i)
{
    const struct entry *e = &dir[i];
    if (e->path_len == 0 || e->path_len > PATH_FIELD || e->path[0] != '/')
        return "bad path";
    if (e->type_len == 0 || e->type_len > TYPE_FIELD)
        return "bad content type";
    for (unsigned k = 0; k < e->type_len; k++)
        if (e->type[k] < ' ' || e->type[k] > '~')
            return "bad content type";
    if (e->offset % SECTOR || e->offset > capacity ||
            e->size > capacity - e->offset)
        return "data outside the disk";
    if (i > 0) {
        const struct entry *p = &dir[i - 1];
        size_t n = MIN(p->path_len, e->path_len);
        int c = memcmp(p->path, e->path, n);
        if (c > 0 || (c == 0 && p->path_len >= e->path_len))
            return "paths not sorted or repeated";
    }
    return NULL;
}

static bool open_image(uint8_t *mem, size_t mem_size)
{
    uint8_t h[SECTOR];
    disk_copy(0, h, sizeof h);
    if (memcmp(h, magic, sizeof magic) != 0) {
        hlog(LOG_ERROR, "storage: not an httpd image (bad magic; "
                "make one with scripts/httpd-image)");
        return false;
    }
    uint32_t version = le32(h + 8), count = le32(h + 12);
    uint64_t dir_off = le64(h + 16);
    if (version != IMAGE_VERSION) {
        hlog(LOG_ERROR, "storage: image version %u, expected %u", version,
                IMAGE_VERSION);
        return false;
    }
    uint64_t dir_size = (uint64_t)count * ENTRY_SIZE;
    if (dir_off % SECTOR || dir_off > capacity ||
            dir_size > capacity - dir_off) {
        hlog(LOG_ERROR, "storage: directory of %u entries outside the disk",
                count);
        return false;
    }
    if (dir_size + CHUNK > mem_size) {
        hlog(LOG_ERROR, "storage: directory of %u entries does not fit in "
                "memory (give the unikernel more with --mem)", count);
        return false;
    }
    /* The directory sits behind the cache, which shrinks by it. */
    uint8_t *d = mem + mem_size - ((dir_size + 63) & ~63ULL);
    nslots = (unsigned)MIN((size_t)(d - mem) / CHUNK, (size_t)MAX_SLOTS);
    disk_copy(dir_off, d, (size_t)dir_size);
    dir = (const struct entry *)d;
    nfiles = count;
    for (uint32_t i = 0; i < count; i++) {
        const char *why = check_entry(i);
        if (why) {
            hlog(LOG_ERROR, "storage: directory entry %u: %s", i, why);
            return false;
        }
    }
    return true;
}

bool store_init(bool have_disk, uint64_t cap, uint64_t block_size,
        uint8_t *mem, size_t mem_size)
{
    disk = have_disk;
    if (!disk)
        return true;
    capacity = cap;
    cache = mem;
    nslots = (unsigned)MIN(mem_size / CHUNK, (size_t)MAX_SLOTS);
    for (unsigned i = 0; i < MAX_SLOTS; i++)
        tags[i] = ~0ULL;
    if (nslots < 2) {
        hlog(LOG_ERROR, "storage: no memory left for a cache (use --mem)");
        return false;
    }
    if (capacity < SECTOR || block_size == 0 || CHUNK % block_size ||
            capacity % block_size) {
        hlog(LOG_ERROR, "storage: unusable disk (%lu bytes, blocks of %lu)",
                (unsigned long)capacity, (unsigned long)block_size);
        return false;
    }
    return open_image(mem, mem_size);
}

unsigned store_count(void)
{
    return disk ? nfiles : 1;
}

int store_lookup(const char *path, size_t len)
{
    if (!disk)
        return len == 11 && memcmp(path, "/index.html", 11) == 0 ? 0 : -1;
    uint32_t lo = 0, hi = nfiles;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const struct entry *e = &dir[mid];
        size_t n = MIN((size_t)e->path_len, len);
        int c = memcmp(e->path, path, n);
        if (c == 0)
            c = e->path_len < len ? -1 : e->path_len > len ? 1 : 0;
        if (c == 0)
            return (int)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

uint64_t store_size(int file)
{
    if (!disk)
        return sizeof builtin_index - 1;
    return dir[file].size;
}

const char *store_type(int file)
{
    if (!disk)
        return "text/html; charset=utf-8";
    /* Entries are checked printable; their text is copied to end in NUL. */
    static char t[TYPE_FIELD + 1];
    memcpy(t, dir[file].type, dir[file].type_len);
    t[dir[file].type_len] = '\0';
    return t;
}

void store_copy(int file, uint64_t off, uint8_t *dst, size_t len)
{
    if (!disk) {
        memcpy(dst, builtin_index + off, len);
        return;
    }
    disk_copy(dir[file].offset + off, dst, len);
}
