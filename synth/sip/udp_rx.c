/* Batched datagram reads with kernel receive times (udp_rx.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "synth/sip/udp_rx.h"

#include "synth/base/clock.h"
#include "synth/base/rx_stamp.h"
#include "synth/sip/msg.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* Each thread's batch: UDP_RX_BATCH datagrams of up to SIP_MSG_MAX bytes
 * (512 KB), allocated on a thread's first read and freed when it ends. */
struct rx_batch {
    struct mmsghdr h[UDP_RX_BATCH];
    struct iovec iov[UDP_RX_BATCH];
    struct sip_addr_storage src[UDP_RX_BATCH];
    char ctl[UDP_RX_BATCH][RX_STAMP_CMSG_SPACE];
    char buf[UDP_RX_BATCH][SIP_MSG_MAX];
};

static pthread_key_t batch_key;
static pthread_once_t batch_once = PTHREAD_ONCE_INIT;

static void batch_key_create(void)
{
    (void)pthread_key_create(&batch_key, free);
}

static struct rx_batch *thread_batch(void)
{
    pthread_once(&batch_once, batch_key_create);
    struct rx_batch *b = pthread_getspecific(batch_key);
    if (b)
        return b;
    b = malloc(sizeof(*b));
    if (b && pthread_setspecific(batch_key, b) != 0) {
        free(b);
        b = NULL;
    }
    return b;
}

void udp_rx_enable(int fd)
{
    (void)rx_stamp_enable(fd);
}

static void batch_arm(struct rx_batch *b, int n)
{
    for (int i = 0; i < n; i++) {
        b->iov[i] = (struct iovec){b->buf[i], sizeof(b->buf[i])};
        b->src[i].len = sizeof(b->src[i].ss);
        b->h[i].msg_hdr = (struct msghdr){
            .msg_name = &b->src[i].ss,
            .msg_namelen = b->src[i].len,
            .msg_iov = &b->iov[i],
            .msg_iovlen = 1,
            .msg_control = b->ctl[i],
            .msg_controllen = sizeof(b->ctl[i]),
        };
    }
}

/* The kernel's arrival time on the monotonic clock, or now without a stamp. */
static int64_t rx_time(struct msghdr *h, int64_t mono_now)
{
    int64_t age;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c))
        if (rx_stamp_age(c, &age))
            return mono_now - age;
    return mono_now;
}

int udp_rx_read(int fd, int max, udp_rx_handler on_dgram, void *arg)
{
    struct rx_batch *b = thread_batch();
    if (!b)
        return ENOMEM;
    int done = 0;
    while (done < max) {
        int want = max - done < UDP_RX_BATCH ? max - done : UDP_RX_BATCH;
        batch_arm(b, want);
        int n = recvmmsg(fd, b->h, (unsigned)want, MSG_DONTWAIT, NULL);
        if (n < 0)
            return done == 0 && errno != EAGAIN && errno != EWOULDBLOCK ? errno : 0;
        int64_t mono_now = clock_mono_us();
        for (int i = 0; i < n; i++) {
            b->src[i].len = b->h[i].msg_hdr.msg_namelen;
            struct udp_rx_dgram d = {b->buf[i], b->h[i].msg_len, &b->src[i],
                                     rx_time(&b->h[i].msg_hdr, mono_now)};
            if (!on_dgram(&d, arg))
                return 0;
        }
        done += n;
        if (n < want)
            return 0; /* drained */
    }
    return 0;
}
