/*
 * http.c: HTTP/1.1 (RFC 9110, RFC 9112) GET and HEAD over tcp.c.
 *
 * Requests are parsed where TCP put them (the connection's request buffer)
 * and answered in order: pipelined requests queue up to the connection's
 * response queue, the rest wait in the buffer (and its window shrinks).
 * A response is described, not rendered: its header is regenerated from
 * the description whenever TCP (re)sends those bytes.
 *
 * Refused: a header block larger than the buffer (431), bad syntax, a
 * missing or repeated Host in HTTP/1.1, request bodies (Content-Length
 * other than 0, Transfer-Encoding) and obsolete line folding (400), other
 * methods (405), other major versions (505). Errors other than 404 and
 * 405 close the connection after their response.
 */

#include "httpd.h"

#define PATH_MAX_LEN 512

static const char *const reasons[ST_COUNT] = {
    [ST_200] = "200 OK",
    [ST_400] = "400 Bad Request",
    [ST_404] = "404 Not Found",
    [ST_405] = "405 Method Not Allowed",
    [ST_431] = "431 Request Header Fields Too Large",
    [ST_505] = "505 HTTP Version Not Supported",
};

/* The body of an error response: a line of HTML naming the status. */
static size_t error_body(unsigned status, char *buf, size_t size)
{
    return fmt(buf, size, "<html><body><h1>%s</h1></body></html>\n",
            reasons[status]);
}

static uint64_t content_length(const struct resp *r)
{
    if (r->file >= STORE_ERROR_BASE) {
        char b[128];
        return error_body(r->file - STORE_ERROR_BASE, b, sizeof b);
    }
    return store_size((int)r->file);
}

static const char *content_type(const struct resp *r)
{
    if (r->file >= STORE_ERROR_BASE)
        return "text/html; charset=utf-8";
    return store_type((int)r->file);
}

/* An IMF-fixdate (RFC 9110 5.6.7) from seconds since the epoch. */
static size_t http_date(uint64_t secs, char *buf, size_t size)
{
    static const char *const days[] = { "Thu", "Fri", "Sat", "Sun", "Mon",
        "Tue", "Wed" };
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
        "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    uint64_t day = secs / 86400, rem = secs % 86400;
    /* Civil date from days since 1970-01-01 (eras of 400 years). */
    uint64_t z = day + 719468, era = z / 146097, doe = z - era * 146097;
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
    uint64_t m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);
    return fmt(buf, size, "%s, %02lu %s %lu %02lu:%02lu:%02lu GMT",
            days[day % 7], (unsigned long)d, months[m - 1], (unsigned long)y,
            (unsigned long)(rem / 3600), (unsigned long)(rem / 60 % 60),
            (unsigned long)(rem % 60));
}

size_t http_header(const struct resp *r, char *buf, size_t size)
{
    char date[40];
    http_date(r->date, date, sizeof date);
    const char *conn = (r->flags & RESP_CLOSE) ? "Connection: close\r\n" :
        (r->flags & RESP_KEEPALIVE) ? "Connection: keep-alive\r\n" : "";
    return fmt(buf, size,
            "HTTP/1.1 %s\r\nServer: solo5-httpd\r\nDate: %s\r\n"
            "Content-Type: %s\r\nContent-Length: %lu\r\n%s%s\r\n",
            reasons[r->status], date, content_type(r),
            (unsigned long)content_length(r),
            r->status == ST_405 ? "Allow: GET, HEAD\r\n" : "", conn);
}

void http_body(const struct resp *r, uint64_t off, uint8_t *dst, size_t len)
{
    if (r->file >= STORE_ERROR_BASE) {
        char b[128];
        size_t n = error_body(r->file - STORE_ERROR_BASE, b, sizeof b);
        if (off > n)
            off = n;
        size_t k = (size_t)MIN((uint64_t)len, n - off);
        memcpy(dst, b + off, k);
        memset(dst + k, 0, len - k);
        return;
    }
    store_copy((int)r->file, off, dst, len);
}

/* --- request parsing ----------------------------------------------------- */

struct request {
    const char *method, *target;
    size_t method_len, target_len;
    int minor;          /* HTTP/1.minor; -1: not parsed */
    unsigned hosts;
    bool close, keepalive, body, bad;
    bool version_unsupported;
};

static bool is_tchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9'))
        return true;
    for (const char *p = "!#$%&'*+-.^_`|~"; *p; p++)
        if (*p == c)
            return true;
    return false;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static bool name_is(const char *s, size_t n, const char *name)
{
    if (strlen(name) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(s[i]) != name[i])
            return false;
    return true;
}

/* Does the comma-separated list (Connection) hold token tok? */
static bool list_has(const char *v, size_t n, const char *tok)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t start = i;
        while (i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
            i++;
        if (i > start && name_is(v + start, i - start, tok))
            return true;
    }
    return false;
}

static bool parse_request_line(struct request *q, const char *s, size_t n)
{
    size_t i = 0;
    q->method = s;
    while (i < n && is_tchar(s[i]))
        i++;
    q->method_len = i;
    if (i == 0 || i >= n || s[i] != ' ')
        return false;
    q->target = s + ++i;
    while (i < n && s[i] > ' ' && s[i] != 0x7f)
        i++;
    q->target_len = (size_t)(s + i - q->target);
    if (q->target_len == 0 || i >= n || s[i] != ' ')
        return false;
    i++;
    const char *v = s + i;
    if (n - i != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' ||
            v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9')
        return false;
    if (v[5] != '1') {
        q->version_unsupported = true;
        return true;
    }
    q->minor = v[7] - '0';
    return true;
}

static void parse_header(struct request *q, const char *s, size_t n)
{
    size_t colon = 0;
    while (colon < n && is_tchar(s[colon]))
        colon++;
    if (colon == 0 || colon >= n || s[colon] != ':') {
        q->bad = true; /* no name, whitespace before the colon, folding */
        return;
    }
    const char *v = s + colon + 1;
    size_t vn = n - colon - 1;
    while (vn && (*v == ' ' || *v == '\t'))
        v++, vn--;
    while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
        vn--;
    for (size_t i = 0; i < vn; i++) {
        unsigned char c = (unsigned char)v[i]; /* obs-text (0x80-0xff) is fine */
        if ((c < ' ' && c != '\t') || c == 0x7f)
            q->bad = true;
    }
    if (name_is(s, colon, "host")) {
        q->hosts++;
    } else if (name_is(s, colon, "connection")) {
        q->close |= list_has(v, vn, "close");
        q->keepalive |= list_has(v, vn, "keep-alive");
    } else if (name_is(s, colon, "content-length")) {
        for (size_t i = 0; i < vn; i++)
            if (v[i] < '0' || v[i] > '9')
                q->bad = true;
        for (size_t i = 0; i < vn; i++)
            if (v[i] != '0')
                q->body = true;
        if (vn == 0)
            q->bad = true;
    } else if (name_is(s, colon, "transfer-encoding")) {
        q->body = true;
    }
}

/*
 * Decodes the path of an origin-form (or absolute-form) target into out:
 * percent-escapes decoded, the query dropped, "/" mapped to /index.html.
 * False for what cannot name a file (NUL, "..", not starting with '/').
 */
static bool decode_path(const char *t, size_t n, char *out, size_t *outlen)
{
    if (n > 7 && name_is(t, 7, "http://")) {
        size_t i = 7;
        while (i < n && t[i] != '/')
            i++;
        t += i;
        n -= i;
        if (n == 0) {
            t = "/";
            n = 1;
        }
    }
    if (n == 0 || t[0] != '/')
        return false;
    size_t o = 0;
    for (size_t i = 0; i < n && t[i] != '?' && t[i] != '#'; i++) {
        char c = t[i];
        if (c == '%') {
            int v = 0;
            for (int k = 1; k <= 2; k++) {
                char h = i + (size_t)k < n ? lower(t[i + (size_t)k]) : 0;
                int d = h >= '0' && h <= '9' ? h - '0' :
                    h >= 'a' && h <= 'f' ? h - 'a' + 10 : -1;
                if (d < 0)
                    return false;
                v = v * 16 + d;
            }
            c = (char)v;
            i += 2;
        }
        if (c == 0 || o + 1 >= PATH_MAX_LEN - 16)
            return false;
        out[o++] = c;
    }
    for (size_t i = 0; i < o; i++) {
        if (out[i] != '/')
            continue;
        size_t j = i + 1, k = j;
        while (k < o && out[k] != '/')
            k++;
        if ((k - j == 1 && out[j] == '.') ||
                (k - j == 2 && out[j] == '.' && out[j + 1] == '.'))
            return false; /* "." and ".." segments */
    }
    if (out[o - 1] == '/') {
        memcpy(out + o, "index.html", 10);
        o += 10;
    }
    *outlen = o;
    return true;
}

static uint64_t now_secs(void)
{
    return plat_wall() / 1000000000ULL;
}

static void respond(struct tcb *t, unsigned status, int file, bool head,
        uint8_t flags)
{
    struct resp r = {
        .status = (uint8_t)status, .flags = flags, .date = now_secs(),
        .file = file < 0 ? STORE_ERROR_BASE + status : (uint32_t)file,
    };
    if (!head)
        r.flags &= (uint8_t)~RESP_HEAD;
    else
        r.flags |= RESP_HEAD;
    char h[512];
    r.hdr_len = (uint16_t)http_header(&r, h, sizeof h);
    r.body_len = head ? 0 : content_length(&r);
    if (status != ST_200)
        stats.http_errors++;
    tcp_queue(t, &r);
    if (flags & RESP_CLOSE)
        tcp_close(t);
}

/* Answers one complete request of n bytes (its header block). */
static void serve(struct tcb *t, const char *s, size_t n)
{
    struct request q = { .minor = -1 };
    stats.http_requests++;
    size_t line = 0;
    while (line < n && s[line] != '\n')
        line++;
    size_t ln = line && s[line - 1] == '\r' ? line - 1 : line;
    if (!parse_request_line(&q, s, ln)) {
        respond(t, ST_400, -1, false, RESP_CLOSE);
        return;
    }
    if (q.version_unsupported) {
        respond(t, ST_505, -1, false, RESP_CLOSE);
        return;
    }
    for (size_t i = line + 1; i < n;) {
        size_t e = i;
        while (e < n && s[e] != '\n')
            e++;
        size_t hn = e > i && s[e - 1] == '\r' ? e - 1 - i : e - i;
        if (hn)
            parse_header(&q, s + i, hn);
        i = e + 1;
    }
    bool head = q.method_len == 4 && memcmp(q.method, "HEAD", 4) == 0;
    bool get = q.method_len == 3 && memcmp(q.method, "GET", 3) == 0;
    bool keep = q.minor >= 1 ? !q.close : q.keepalive && !q.close;
    uint8_t flags = keep ? (q.minor == 0 ? RESP_KEEPALIVE : 0) : RESP_CLOSE;
    if (q.bad || (q.minor >= 1 && q.hosts != 1) || q.hosts > 1) {
        respond(t, ST_400, -1, head, RESP_CLOSE);
        return;
    }
    if (!get && !head) {
        /* The body, if any, is not read: the connection ends after. */
        respond(t, ST_405, -1, false, q.body ? RESP_CLOSE : flags);
        return;
    }
    if (q.body) {
        respond(t, ST_400, -1, head, RESP_CLOSE);
        return;
    }
    char path[PATH_MAX_LEN];
    size_t plen;
    int file = -1;
    if (!decode_path(q.target, q.target_len, path, &plen)) {
        respond(t, ST_400, -1, head, RESP_CLOSE);
        return;
    }
    file = store_lookup(path, plen);
    hlog(LOG_DEBUG, "http: %s %s -> %s", head ? "HEAD" : "GET",
            file < 0 ? "(missing)" : "file", file < 0 ? "404" : "200");
    respond(t, file < 0 ? ST_404 : ST_200, file, head, flags);
}

/* The length of the header block at s (through its empty line), or 0. */
static size_t header_end(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] != '\n')
            continue;
        if (s[i + 1] == '\n')
            return i + 2;
        if (s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

void http_process(struct tcb *t)
{
    struct tcp_conn_view v;
    for (;;) {
        if (tcp_queue_full(t))
            return;
        tcp_view(t, &v);
        /* RFC 9112 2.2: empty lines before a request are ignored. */
        size_t blank = 0;
        while (blank < v.len && (v.data[blank] == '\r' || v.data[blank] == '\n'))
            blank++;
        if (blank) {
            tcp_consume(t, blank);
            continue;
        }
        size_t end = header_end(v.data, v.len);
        if (end == 0) {
            if (v.len == v.cap)
                respond(t, ST_431, -1, false, RESP_CLOSE);
            else if (v.peer_closed)
                tcp_close(t); /* a partial request, then FIN */
            return;
        }
        serve(t, (const char *)v.data, end);
        tcp_consume(t, end);
    }
}
