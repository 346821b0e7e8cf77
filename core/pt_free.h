/*
 * core/pt_free.h: page-table pages waiting for a TLB flush before they may be freed.
 *
 * When an unmap leaves a page-table page with no entry in use, the port unlinks it from its
 * parent, but another CPU may still hold the old parent entry in its TLB or paging-structure
 * (walk) cache and walk through the page until that CPU has flushed. The page therefore goes
 * on this list under the port's page-table lock and back to the frame allocator only after
 * the flush that covers the unmapped range has completed on every CPU (pt_free_list_release).
 *
 * The list is intrusive and needs no memory: each page's first word holds the physical
 * address of the next page (0 ends the list). Every other word of a listed page is zero (it
 * was freed because it was empty), and a page-aligned physical address has its low 12 bits
 * clear, which on both ports is a non-present / invalid entry (x86_64: P, bit 0; aarch64:
 * valid, bit 0), so a stale walk that reads the page before the flush still finds nothing
 * mapped. The caller serialises access to one list (it lives on the unmapping CPU's stack).
 */
#ifndef CORE_PT_FREE_H
#define CORE_PT_FREE_H

#include <stdint.h>

#include "core/layout.h"
#include "core/pmm.h"

struct pt_free_list {
	uint64_t head; /* physical address of the first page, 0 if none */
	unsigned count;
};

#define PT_FREE_LIST_INIT ((struct pt_free_list){0, 0})

/* Queue the empty, already unlinked table page at pa. */
static inline void pt_free_list_add(struct pt_free_list *l, uint64_t pa)
{
	*(volatile uint64_t *)phys_to_virt(pa) = l->head;
	l->head = pa;
	l->count++;
}

/* Free every queued page: only once no CPU can walk through them any more. */
static inline void pt_free_list_release(struct pt_free_list *l)
{
	while (l->head) {
		uint64_t pa = l->head;
		l->head = *(uint64_t *)phys_to_virt(pa);
		free_page(pa);
	}
	l->count = 0;
}

#endif
