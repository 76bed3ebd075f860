/*
 * Open-loop HTTP/1.1 load generator for bench/serving.
 *
 * wrk is closed-loop: each connection waits for an answer before sending again, so a server stall lowers
 * the request rate instead of showing up as latency ("coordinated omission"). This program sends POSTs at
 * a constant rate whatever the server does, and times every request from the moment it was *scheduled*
 * to go out, so a request that waited for a free connection is charged that wait.
 *
 *   openloop --url http://127.0.0.1:8080/serving/rf/invocations --bodies bodies.txt --rate 1000 \
 *            --duration 30 [--warmup 3] [--connections 32] [--timeout 5] [--show-first]
 *
 * bodies.txt holds one JSON body per line; requests cycle through them. Requests scheduled during the
 * warm-up are sent but not recorded. Prints one JSON object on stdout: counts, errors (non-2xx answers,
 * broken connections, requests unanswered --timeout seconds after the last send) and latency percentiles
 * in milliseconds. Single-threaded, epoll + a periodic timerfd; Linux only. Build: cc -O2 -o openloop openloop.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum conn_state { DISCONNECTED, CONNECTING, IDLE, BUSY };

struct conn {
    int fd;
    enum conn_state state;
    const char *out;      /* request being written */
    size_t out_len, out_sent;
    char *in;             /* bytes of the answer read so far */
    size_t in_len, in_cap;
    uint64_t scheduled_ns; /* when the request in flight should have been sent */
    int recorded;          /* 0 for warm-up requests */
};

struct request { char *text; size_t len; };

static struct conn *conns;
static int conn_count = 32;
static int epoll_fd;
static struct addrinfo *server_addr;

static struct request *requests;
static size_t request_count;
static size_t next_body;

static int *idle_stack;   /* indices of idle connections */
static int idle_top;

static uint64_t *queue;   /* scheduled times of requests due but not yet sent (no idle connection) */
static size_t queue_head, queue_tail, queue_cap, queue_max;

static uint64_t *latencies;
static size_t latency_count, latency_cap;
static uint64_t status_errors, io_errors, late_sends;
static int show_first;
static int first_error_shown;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *message) {
    fprintf(stderr, "openloop: %s\n", message);
    exit(2);
}

static void die_errno(const char *what) {
    fprintf(stderr, "openloop: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void *checked_malloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p) die("out of memory");
    return p;
}

static void load_bodies(const char *path, const char *host_header, const char *target) {
    FILE *f = fopen(path, "r");
    if (!f) die_errno(path);
    size_t cap = 16;
    requests = checked_malloc(cap * sizeof *requests);
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t n;
    while ((n = getline(&line, &line_cap, f)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (n == 0) continue;
        if (request_count == cap) {
            cap *= 2;
            requests = realloc(requests, cap * sizeof *requests);
            if (!requests) die("out of memory");
        }
        size_t size = (size_t)n + strlen(target) + strlen(host_header) + 200;
        char *text = checked_malloc(size);
        int len = snprintf(text, size,
                           "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                           "Content-Length: %zd\r\n\r\n%s",
                           target, host_header, n, line);
        requests[request_count].text = text;
        requests[request_count].len = (size_t)len;
        request_count++;
    }
    free(line);
    fclose(f);
    if (request_count == 0) die("the bodies file has no non-empty line");
}

static void record_latency(uint64_t ns) {
    if (latency_count == latency_cap) {
        latency_cap = latency_cap ? latency_cap * 2 : 65536;
        latencies = realloc(latencies, latency_cap * sizeof *latencies);
        if (!latencies) die("out of memory");
    }
    latencies[latency_count++] = ns;
}

static void watch(struct conn *c, uint32_t events, int op) {
    struct epoll_event ev = {.events = events, .data.u32 = (uint32_t)(c - conns)};
    if (epoll_ctl(epoll_fd, op, c->fd, &ev) != 0) die_errno("epoll_ctl");
}

static void start_connect(struct conn *c) {
    c->fd = socket(server_addr->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) die_errno("socket");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->in_len = 0;
    int rc = connect(c->fd, server_addr->ai_addr, server_addr->ai_addrlen);
    if (rc == 0) {
        c->state = IDLE;
        watch(c, EPOLLIN, EPOLL_CTL_ADD);
        idle_stack[idle_top++] = (int)(c - conns);
    } else if (errno == EINPROGRESS) {
        c->state = CONNECTING;
        watch(c, EPOLLOUT, EPOLL_CTL_ADD);
    } else {
        die_errno("connect");
    }
}

/* The connection broke: the request in flight (if any) is an error; open a fresh connection. */
static void remove_from_idle(struct conn *c) {
    int index = (int)(c - conns);
    for (int i = 0; i < idle_top; i++)
        if (idle_stack[i] == index) {
            idle_stack[i] = idle_stack[--idle_top];
            return;
        }
}

static void fail_and_reconnect(struct conn *c, const char *why) {
    if (c->state == BUSY && c->recorded) io_errors++;
    if (c->state == IDLE) remove_from_idle(c);
    if (!first_error_shown) {
        fprintf(stderr, "openloop: connection error: %s\n", why);
        first_error_shown = 1;
    }
    close(c->fd);
    c->state = DISCONNECTED;
    start_connect(c);
}

static void dispatch(void);

static void finish_request(struct conn *c, int status, const char *body, size_t body_len) {
    uint64_t done = now_ns();
    if (c->recorded) {
        if (status >= 200 && status < 300) {
            record_latency(done - c->scheduled_ns);
        } else {
            status_errors++;
        }
    }
    if ((show_first || status < 200 || status >= 300) && !first_error_shown) {
        fprintf(stderr, "openloop: answer %d: %.*s\n", status, (int)(body_len > 400 ? 400 : body_len), body);
        if (status < 200 || status >= 300) first_error_shown = 1;
        show_first = 0;
    }
    c->state = IDLE;
    idle_stack[idle_top++] = (int)(c - conns);
}

static const char *find_header_end(const char *buf, size_t len) {
    for (size_t i = 3; i < len; i++)
        if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r') return buf + i + 1;
    return NULL;
}

/* Returns the header value (not NUL-terminated) or NULL; headers span [start, end). */
static const char *header_value(const char *start, const char *end, const char *name, size_t *value_len) {
    size_t name_len = strlen(name);
    const char *line = memchr(start, '\n', (size_t)(end - start));
    while (line && line + 1 < end) {
        line++;
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) break;
        if ((size_t)(eol - line) > name_len && strncasecmp(line, name, name_len) == 0 && line[name_len] == ':') {
            const char *v = line + name_len + 1;
            while (v < eol && (*v == ' ' || *v == '\t')) v++;
            const char *ve = eol;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ')) ve--;
            *value_len = (size_t)(ve - v);
            return v;
        }
        line = eol;
    }
    return NULL;
}

/* Length of a complete chunked body starting at p (bytes available: len), or 0 if incomplete. */
static size_t chunked_length(const char *p, size_t len) {
    size_t pos = 0;
    for (;;) {
        const char *eol = memchr(p + pos, '\n', len - pos);
        if (!eol) return 0;
        size_t size = strtoul(p + pos, NULL, 16);
        pos = (size_t)(eol - p) + 1;
        if (size == 0) {
            /* no trailers expected: the final CRLF follows */
            return len - pos >= 2 ? pos + 2 : 0;
        }
        if (len - pos < size + 2) return 0;
        pos += size + 2;
    }
}

/* Consume one complete answer from c->in if there is one. Returns 1 if the connection must be reopened. */
static int parse_answer(struct conn *c) {
    const char *body = find_header_end(c->in, c->in_len);
    if (!body) return 0;
    int status = 0;
    if (c->in_len < 12 || sscanf(c->in, "HTTP/1.%*d %d", &status) != 1) {
        fail_and_reconnect(c, "malformed status line");
        return 1;
    }
    size_t value_len;
    size_t available = c->in_len - (size_t)(body - c->in);
    size_t body_len;
    const char *te = header_value(c->in, body, "Transfer-Encoding", &value_len);
    const char *cl = header_value(c->in, body, "Content-Length", &value_len);
    if (te && value_len >= 7 && strncasecmp(te, "chunked", 7) == 0) {
        body_len = chunked_length(body, available);
        if (body_len == 0) return 0;
    } else if (cl) {
        body_len = strtoul(cl, NULL, 10);
        if (available < body_len) return 0;
    } else {
        body_len = 0;
    }
    size_t close_len;
    const char *close_hdr = header_value(c->in, body, "Connection", &close_len);
    int must_close = close_hdr && close_len >= 5 && strncasecmp(close_hdr, "close", 5) == 0;
    finish_request(c, status, body, body_len);
    size_t used = (size_t)(body - c->in) + body_len;
    memmove(c->in, c->in + used, c->in_len - used);
    c->in_len -= used;
    if (must_close) {
        remove_from_idle(c);
        close(c->fd);
        c->state = DISCONNECTED;
        start_connect(c);
        return 1;
    }
    return 0;
}

static void write_some(struct conn *c) {
    while (c->out_sent < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_sent += (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            watch(c, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
            return;
        } else {
            fail_and_reconnect(c, strerror(errno));
            return;
        }
    }
}

static void send_on(struct conn *c, uint64_t scheduled, int recorded) {
    struct request *r = &requests[next_body];
    next_body = (next_body + 1) % request_count;
    c->state = BUSY;
    c->out = r->text;
    c->out_len = r->len;
    c->out_sent = 0;
    c->scheduled_ns = scheduled;
    c->recorded = recorded;
    write_some(c);
}

static uint64_t measure_from_ns;

static void dispatch(void) {
    while (queue_head != queue_tail && idle_top > 0) {
        struct conn *c = &conns[idle_stack[--idle_top]];
        uint64_t scheduled = queue[queue_head++];
        int recorded = scheduled >= measure_from_ns;
        if (recorded && now_ns() - scheduled > 1000000ull) late_sends++;
        send_on(c, scheduled, recorded);
    }
}

static void on_event(struct conn *c, uint32_t events) {
    if (c->state == CONNECTING) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return; /* stale event of a closed socket */
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            errno = err;
            die_errno("connect (is the server up?)");
        }
        c->state = IDLE;
        watch(c, EPOLLIN, EPOLL_CTL_MOD);
        idle_stack[idle_top++] = (int)(c - conns);
        return;
    }
    if ((events & EPOLLOUT) && c->state == BUSY) {
        write_some(c);
        if (c->state == BUSY && c->out_sent == c->out_len) watch(c, EPOLLIN, EPOLL_CTL_MOD);
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        for (;;) {
            if (c->in_cap - c->in_len < 4096) {
                c->in_cap = c->in_cap ? c->in_cap * 2 : 16384;
                c->in = realloc(c->in, c->in_cap);
                if (!c->in) die("out of memory");
            }
            ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
            if (n > 0) {
                c->in_len += (size_t)n;
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            fail_and_reconnect(c, n == 0 ? "server closed the connection" : strerror(errno));
            return;
        }
        if (c->state == BUSY && parse_answer(c)) return;
        if (c->state == IDLE && c->in_len > 0) {
            fail_and_reconnect(c, "unexpected bytes on an idle connection");
        }
    }
}

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double percentile_ms(double q) {
    if (latency_count == 0) return -1;
    size_t rank = (size_t)(q * (double)latency_count + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > latency_count) rank = latency_count;
    return (double)latencies[rank - 1] / 1e6;
}

static void usage(void) {
    fprintf(stderr, "usage: openloop --url http://HOST:PORT/PATH --bodies FILE --rate N --duration S "
                    "[--warmup S] [--connections N] [--timeout S] [--show-first]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *url = NULL, *bodies = NULL;
    double rate = 0, duration = 0, warmup = 0, timeout = 5;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--show-first")) { show_first = 1; continue; }
        if (!v) usage();
        if (!strcmp(a, "--url")) url = v;
        else if (!strcmp(a, "--bodies")) bodies = v;
        else if (!strcmp(a, "--rate")) rate = atof(v);
        else if (!strcmp(a, "--duration")) duration = atof(v);
        else if (!strcmp(a, "--warmup")) warmup = atof(v);
        else if (!strcmp(a, "--connections")) conn_count = atoi(v);
        else if (!strcmp(a, "--timeout")) timeout = atof(v);
        else usage();
        i++;
    }
    if (!url || !bodies || rate <= 0 || duration <= 0 || conn_count <= 0) usage();
    if (strncmp(url, "http://", 7) != 0) die("only http:// URLs are supported");

    char host[256], port[16] = "80";
    const char *authority = url + 7;
    const char *slash = strchr(authority, '/');
    const char *target = slash ? slash : "/";
    size_t authority_len = slash ? (size_t)(slash - authority) : strlen(authority);
    if (authority_len == 0 || authority_len >= sizeof host) die("bad host in --url");
    char host_header[256];
    memcpy(host_header, authority, authority_len);
    host_header[authority_len] = 0;
    memcpy(host, authority, authority_len);
    host[authority_len] = 0;
    char *colon = strrchr(host, ':');
    if (colon) {
        snprintf(port, sizeof port, "%s", colon + 1);
        *colon = 0;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    int gai = getaddrinfo(host, port, &hints, &server_addr);
    if (gai != 0) {
        fprintf(stderr, "openloop: %s: %s\n", host, gai_strerror(gai));
        return 2;
    }
    load_bodies(bodies, host_header, target);

    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) die_errno("epoll_create1");
    conns = calloc((size_t)conn_count, sizeof *conns);
    idle_stack = checked_malloc((size_t)conn_count * sizeof *idle_stack);
    if (!conns) die("out of memory");

    uint64_t period_ns = (uint64_t)(1e9 / rate);
    if (period_ns == 0) die("--rate too high");
    uint64_t total = (uint64_t)((warmup + duration) * rate);
    queue_cap = (size_t)total + 1;
    queue = checked_malloc(queue_cap * sizeof *queue);

    for (int i = 0; i < conn_count; i++) start_connect(&conns[i]);
    /* wait until every connection is open before the clock starts */
    struct epoll_event events[256];
    while (idle_top < conn_count) {
        int n = epoll_wait(epoll_fd, events, 256, 5000);
        if (n == 0) die("connections not established within 5 s");
        for (int i = 0; i < n; i++) on_event(&conns[events[i].data.u32], events[i].events);
    }

    int timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer_fd < 0) die_errno("timerfd_create");
    struct itimerspec spec = {
        .it_interval = {.tv_sec = (time_t)(period_ns / 1000000000ull), .tv_nsec = (long)(period_ns % 1000000000ull)},
        .it_value = {.tv_sec = 0, .tv_nsec = 1},
    };
    struct epoll_event timer_event = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, timer_fd, &timer_event) != 0) die_errno("epoll_ctl timer");

    uint64_t start = now_ns();
    measure_from_ns = start + (uint64_t)(warmup * 1e9);
    if (timerfd_settime(timer_fd, 0, &spec, NULL) != 0) die_errno("timerfd_settime");
    uint64_t scheduled_count = 0;
    uint64_t deadline = 0;

    for (;;) {
        uint64_t now = now_ns();
        if (scheduled_count < total) {
            /* every request whose time has come joins the queue, each with its own scheduled time */
            while (scheduled_count < total && start + scheduled_count * period_ns <= now) {
                queue[queue_tail++] = start + scheduled_count * period_ns;
                scheduled_count++;
            }
            size_t waiting = queue_tail - queue_head;
            if (waiting > queue_max) queue_max = waiting;
            dispatch();
            if (scheduled_count == total) deadline = now + (uint64_t)(timeout * 1e9);
        } else {
            dispatch();
            int busy = 0;
            for (int i = 0; i < conn_count; i++) busy += conns[i].state == BUSY;
            if ((busy == 0 && queue_head == queue_tail) || now >= deadline) break;
        }
        int n = epoll_wait(epoll_fd, events, 256, 50);
        if (n < 0 && errno != EINTR) die_errno("epoll_wait");
        for (int i = 0; i < n; i++) {
            if (events[i].data.u32 == UINT32_MAX) {
                uint64_t expirations;
                if (read(timer_fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN) die_errno("timerfd read");
                continue;
            }
            on_event(&conns[events[i].data.u32], events[i].events);
        }
    }
    uint64_t finished = now_ns();

    /* requests still unanswered or never sent by the deadline count as timeouts */
    uint64_t timeouts = 0;
    for (int i = 0; i < conn_count; i++)
        if (conns[i].state == BUSY && conns[i].recorded) timeouts++;
    for (size_t i = queue_head; i < queue_tail; i++)
        if (queue[i] >= measure_from_ns) timeouts++;

    qsort(latencies, latency_count, sizeof *latencies, compare_u64);
    double sum = 0;
    for (size_t i = 0; i < latency_count; i++) sum += (double)latencies[i];
    uint64_t measured_scheduled = 0;
    for (uint64_t i = 0; i < total; i++)
        if (start + i * period_ns >= measure_from_ns) measured_scheduled++;
    double measured_seconds = (double)(finished - measure_from_ns) / 1e9;

    printf("{\"rate\": %.1f, \"duration_s\": %.1f, \"warmup_s\": %.1f, \"connections\": %d, "
           "\"scheduled\": %llu, \"ok\": %zu, \"status_errors\": %llu, \"io_errors\": %llu, \"timeouts\": %llu, "
           "\"errors\": %llu, \"achieved_rps\": %.1f, \"late_sends\": %llu, \"max_queue\": %zu, "
           "\"mean_ms\": %.4f, \"p50_ms\": %.4f, \"p90_ms\": %.4f, \"p99_ms\": %.4f, \"p999_ms\": %.4f, "
           "\"max_ms\": %.4f}\n",
           rate, duration, warmup, conn_count, (unsigned long long)measured_scheduled, latency_count,
           (unsigned long long)status_errors, (unsigned long long)io_errors, (unsigned long long)timeouts,
           (unsigned long long)(status_errors + io_errors + timeouts),
           measured_seconds > 0 ? (double)latency_count / measured_seconds : 0.0, (unsigned long long)late_sends,
           queue_max, latency_count ? sum / (double)latency_count / 1e6 : -1.0, percentile_ms(0.50),
           percentile_ms(0.90), percentile_ms(0.99), percentile_ms(0.999),
           latency_count ? (double)latencies[latency_count - 1] / 1e6 : -1.0);
    return 0;
}
