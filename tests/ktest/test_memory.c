/*
 * tests/ktest/test_memory.c: the frame allocator and the kernel heap inside the kernel, on the
 * real memory map: round trips give back every frame they took.
 */
#include "core/kheap.h"
#include "core/ktest.h"
#include "core/layout.h"
#include "core/pmm.h"
#include "core/string.h"

KTEST(pmm_round_trip)
{
	uint64_t before = pmm_free_frames();
	uint64_t pages[64];

	KT_EXPECT(before > 0);
	KT_EXPECT(before <= pmm_total_frames());
	for (unsigned i = 0; i < 64; i++) {
		pages[i] = alloc_pages(i % 4);
		KT_EXPECT(pages[i] != 0);
		KT_EXPECT_EQ(pages[i] % (4096ull << (i % 4)), 0);
		memset(phys_to_virt(pages[i]), 0xa5, 4096u << (i % 4)); /* the frame is real RAM */
	}
	KT_EXPECT(pmm_free_frames() < before);
	for (unsigned i = 0; i < 64; i++)
		free_pages(pages[i], i % 4);
	KT_EXPECT_EQ(pmm_free_frames(), before);
}

KTEST(pmm_refcount)
{
	uint64_t before = pmm_free_frames();
	uint64_t pa = alloc_page();
	KT_EXPECT_EQ(page_ref_count(pa), 1);
	KT_EXPECT_EQ(page_ref_get(pa), 2);
	KT_EXPECT_EQ(page_ref_put(pa), 1);
	KT_EXPECT_EQ(pmm_free_frames(), before - 1);
	KT_EXPECT_EQ(page_ref_put(pa), 0); /* the last reference frees it */
	KT_EXPECT_EQ(pmm_free_frames(), before);
}

KTEST(kheap_round_trip)
{
	uint64_t before = pmm_free_frames();
	static void *ptrs[256];

	for (unsigned i = 0; i < 256; i++) {
		size_t size = 1 + (i * 37) % 3000 + (i % 16 == 0 ? 20000 : 0);
		ptrs[i] = kmalloc(size);
		KT_EXPECT(ptrs[i] != NULL);
		KT_EXPECT_EQ((uintptr_t)ptrs[i] % 16, 0);
		memset(ptrs[i], (int)i, size);
	}
	for (unsigned i = 0; i < 256; i++) {
		KT_EXPECT_EQ(((unsigned char *)ptrs[i])[0], i & 0xff);
		kfree(ptrs[i]);
	}
	kfree(NULL);
	kheap_release_free_pages();
	KT_EXPECT_EQ(pmm_free_frames(), before);
}
