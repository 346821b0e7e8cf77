/*
 * core/dtb.h: a read-only parser for flattened device trees (DTB, version 16/17).
 *
 * Pure logic with no allocation: every function bounds-checks against the blob's header, so a
 * corrupt or truncated blob gives an error (negative errno), never a fault. Nodes are named by
 * their offset in the structure block (an int >= 0). The aarch64 port uses it to fill
 * struct boot_info; the host suite runs it over QEMU's own DTB and over random corruption.
 */
#ifndef CORE_DTB_H
#define CORE_DTB_H

#include <stddef.h>
#include <stdint.h>

struct dtb {
	const uint8_t *blob;
	uint32_t size;             /* totalsize from the header, checked against the caller's max */
	uint32_t off_struct, size_struct;
	uint32_t off_strings, size_strings;
};

/* Check the header (magic, version, block bounds inside min(totalsize, maxsize)).
 * 0 or -EINVAL. */
int dtb_init(struct dtb *dt, const void *blob, size_t maxsize);

/* Offset of the node at an absolute path such as "/chosen" or "/pcie@10000000"; a path
 * component without a unit address also matches a node that has one ("/memory" finds
 * "/memory@40000000"). -ENOENT if absent, -EINVAL if the blob is malformed. */
int dtb_path(const struct dtb *dt, const char *path);

/* The next node after `after` (-1: from the start) whose "compatible" list contains compat,
 * or whose "device_type" equals compat when by_type is set. -ENOENT when there is none. */
int dtb_next_compatible(const struct dtb *dt, int after, const char *compat);
int dtb_next_by_type(const struct dtb *dt, int after, const char *device_type);

/* Node name ("memory@40000000"), or NULL if the offset is not a node. */
const char *dtb_node_name(const struct dtb *dt, int node);

/* Parent node offset, -ENOENT for the root. */
int dtb_parent(const struct dtb *dt, int node);

/* Property value and length, NULL if absent or malformed. */
const void *dtb_prop(const struct dtb *dt, int node, const char *name, uint32_t *len);

/* A 32-bit cell property; def if absent or not 4 bytes. */
uint32_t dtb_prop_u32(const struct dtb *dt, int node, const char *name, uint32_t def);

/* True if the node's "compatible" string list contains compat. */
int dtb_is_compatible(const struct dtb *dt, int node, const char *compat);

/* Read a big-endian value of ncells (1 or 2) 32-bit cells. */
uint64_t dtb_cells(const void *p, unsigned ncells);

/* The index-th (address, size) pair of the node's "reg", decoded with the parent's
 * #address-cells / #size-cells. 0, or -ENOENT past the last pair. */
int dtb_reg(const struct dtb *dt, int node, unsigned index, uint64_t *addr, uint64_t *size);

#endif
