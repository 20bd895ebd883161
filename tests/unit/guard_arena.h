/* Test inputs placed right before an unreadable page, so a parser that
 * reads one byte past its input crashes at once (STYLE.md, "Tests"). The
 * including test defines ARENA_DATA (the largest input) first and passes
 * arena_setup/arena_teardown to cmocka. */
#ifndef SYNTH_TEST_GUARD_ARENA_H
#define SYNTH_TEST_GUARD_ARENA_H

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char *arena; /* arena_len readable bytes, then one PROT_NONE page */
static size_t arena_len;
static size_t page_size;

static int arena_setup(void **state)
{
    (void)state;
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    arena_len = (ARENA_DATA + page_size - 1) / page_size * page_size;
    void *p = mmap(NULL, arena_len + page_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    arena = p;
    return mprotect(arena + arena_len, page_size, PROT_NONE);
}

static int arena_teardown(void **state)
{
    (void)state;
    return munmap(arena, arena_len + page_size);
}

/* Copies n bytes to end at the guard page and makes them read-only. Views
 * from an earlier placement are invalid afterwards. */
static const char *place(const void *s, size_t n)
{
    assert_true(n <= arena_len);
    assert_int_equal(mprotect(arena, arena_len, PROT_READ | PROT_WRITE), 0);
    char *dst = arena + arena_len - n;
    if (n)
        memcpy(dst, s, n);
    assert_int_equal(mprotect(arena, arena_len, PROT_READ), 0);
    return dst;
}

#endif
