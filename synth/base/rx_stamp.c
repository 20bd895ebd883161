/* Kernel receive timestamps (rx_stamp.h). */
#include "synth/base/rx_stamp.h"

#include <string.h>

bool rx_stamp_enable(int fd)
{
    int one = 1;
    return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) == 0;
}

bool rx_stamp_age(const struct cmsghdr *c, int64_t *age_us)
{
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS ||
        c->cmsg_len < CMSG_LEN(sizeof(struct timespec)))
        return false;
    struct timespec stamp, now;
    memcpy(&stamp, CMSG_DATA(c), sizeof(stamp));
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t us = (int64_t)(now.tv_sec - stamp.tv_sec) * 1000000 +
                 (now.tv_nsec - stamp.tv_nsec) / 1000;
    *age_us = us > 0 ? us : 0;
    return true;
}
