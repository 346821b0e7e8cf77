/*
 * core/dtb.c: a bounds-checked reader for flattened device trees.
 *
 * The structure block is a sequence of big-endian 32-bit tokens: BEGIN_NODE (name follows,
 * padded to 4 bytes), PROP (length, name offset into the strings block, value padded),
 * END_NODE, NOP and END. Every read goes through fetch32() and string checks that stay inside
 * the block the header declares, and every loop advances by at least one token, so a corrupt
 * blob ends in an error, never a fault or an endless walk. Nothing is cached: callers read a
 * few dozen properties at boot, and a stateless reader has no invariants to break.
 */
#include "core/dtb.h"

#include <stdbool.h>

#include "core/errno.h"
#include "core/string.h"

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u
#define FDT_END 9u
#define MAX_DEPTH 64

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint64_t dtb_cells(const void *p, unsigned ncells)
{
	const uint8_t *b = p;
	uint64_t v = 0;
	for (unsigned i = 0; i < ncells && i < 2; i++)
		v = v << 32 | be32(b + 4 * i);
	return v;
}

/* Read the 32-bit word at struct-block offset off; false if outside the block. */
static bool fetch32(const struct dtb *dt, uint32_t off, uint32_t *v)
{
	if (off % 4 || off > dt->size_struct || dt->size_struct - off < 4)
		return false;
	*v = be32(dt->blob + dt->off_struct + off);
	return true;
}

/* Length of a NUL-terminated string at [base+off, base+limit), or -1 if unterminated. */
static int bounded_strlen(const uint8_t *base, uint32_t off, uint32_t limit)
{
	for (uint32_t i = off; i < limit; i++)
		if (base[i] == '\0')
			return (int)(i - off);
	return -1;
}

int dtb_init(struct dtb *dt, const void *blob, size_t maxsize)
{
	const uint8_t *b = blob;
	if (!blob || maxsize < 40 || be32(b) != FDT_MAGIC)
		return -EINVAL;
	uint32_t total = be32(b + 4), version = be32(b + 20);
	if (total < 40 || total > maxsize || version < 16)
		return -EINVAL;
	dt->blob = b;
	dt->size = total;
	dt->off_struct = be32(b + 8);
	dt->off_strings = be32(b + 12);
	dt->size_strings = be32(b + 32);
	dt->size_struct = version >= 17 ? be32(b + 36) : total - dt->off_struct;
	if (dt->off_struct > total || dt->size_struct > total - dt->off_struct ||
	    dt->off_strings > total || dt->size_strings > total - dt->off_strings ||
	    dt->off_struct % 4)
		return -EINVAL;
	return 0;
}

/* Token at *off; advances *off past it and its payload. Returns the token, or 0 if corrupt. */
static uint32_t next_token(const struct dtb *dt, uint32_t *off, uint32_t *payload)
{
	uint32_t tok, len;
	if (!fetch32(dt, *off, &tok))
		return 0;
	*payload = *off + 4;
	if (tok == FDT_BEGIN_NODE) {
		int n = bounded_strlen(dt->blob + dt->off_struct, *payload, dt->size_struct);
		if (n < 0)
			return 0;
		*off = (*payload + (uint32_t)n + 1 + 3) & ~3u;
	} else if (tok == FDT_PROP) {
		if (!fetch32(dt, *payload, &len) || dt->size_struct - *payload < 8 ||
		    len > dt->size_struct - *payload - 8)
			return 0;
		*off = (*payload + 8 + len + 3) & ~3u;
	} else if (tok == FDT_END_NODE || tok == FDT_NOP || tok == FDT_END) {
		*off = *payload;
	} else {
		return 0;
	}
	return tok;
}

const char *dtb_node_name(const struct dtb *dt, int node)
{
	uint32_t tok;
	if (node < 0 || !fetch32(dt, (uint32_t)node, &tok) || tok != FDT_BEGIN_NODE)
		return NULL;
	if (bounded_strlen(dt->blob + dt->off_struct, (uint32_t)node + 4, dt->size_struct) < 0)
		return NULL;
	return (const char *)dt->blob + dt->off_struct + node + 4;
}

/* Offset of the next BEGIN_NODE token strictly after `after` (-1: the first). */
static int next_node(const struct dtb *dt, int after)
{
	uint32_t off = 0, payload, tok;
	if (after >= 0) {
		off = (uint32_t)after;
		if (next_token(dt, &off, &payload) != FDT_BEGIN_NODE)
			return -EINVAL;
	}
	for (;;) {
		uint32_t at = off;
		tok = next_token(dt, &off, &payload);
		if (tok == FDT_BEGIN_NODE)
			return (int)at;
		if (tok == FDT_END)
			return -ENOENT;
		if (tok == 0)
			return -EINVAL;
	}
}

const void *dtb_prop(const struct dtb *dt, int node, const char *name, uint32_t *len)
{
	uint32_t off = (uint32_t)node, payload, tok, plen, nameoff;
	if (node < 0 || next_token(dt, &off, &payload) != FDT_BEGIN_NODE)
		return NULL;
	for (;;) {
		uint32_t at = off;
		tok = next_token(dt, &off, &payload);
		if (tok == FDT_NOP)
			continue;
		if (tok != FDT_PROP)
			return NULL; /* props come before children: done */
		fetch32(dt, payload, &plen);
		fetch32(dt, payload + 4, &nameoff);
		if (nameoff >= dt->size_strings)
			return NULL;
		const uint8_t *strs = dt->blob + dt->off_strings;
		int n = bounded_strlen(strs, nameoff, dt->size_strings);
		if (n >= 0 && strcmp((const char *)strs + nameoff, name) == 0) {
			if (len)
				*len = plen;
			return dt->blob + dt->off_struct + at + 12;
		}
	}
}

uint32_t dtb_prop_u32(const struct dtb *dt, int node, const char *name, uint32_t def)
{
	uint32_t len;
	const uint8_t *p = dtb_prop(dt, node, name, &len);
	return p && len == 4 ? be32(p) : def;
}

/* True if the NUL-separated string list [p, p+len) contains s. */
static bool strlist_contains(const char *p, uint32_t len, const char *s)
{
	size_t slen = strlen(s);
	uint32_t i = 0;
	while (i < len) {
		uint32_t n = 0;
		while (i + n < len && p[i + n])
			n++;
		if (n == slen && memcmp(p + i, s, slen) == 0)
			return true;
		i += n + 1;
	}
	return false;
}

int dtb_is_compatible(const struct dtb *dt, int node, const char *compat)
{
	uint32_t len;
	const char *p = dtb_prop(dt, node, "compatible", &len);
	return p && strlist_contains(p, len, compat);
}

int dtb_next_compatible(const struct dtb *dt, int after, const char *compat)
{
	int node = after;
	while ((node = next_node(dt, node)) >= 0)
		if (dtb_is_compatible(dt, node, compat))
			return node;
	return node;
}

int dtb_next_by_type(const struct dtb *dt, int after, const char *device_type)
{
	int node = after;
	while ((node = next_node(dt, node)) >= 0) {
		uint32_t len;
		const char *p = dtb_prop(dt, node, "device_type", &len);
		if (p && strlist_contains(p, len, device_type))
			return node;
	}
	return node;
}

/* Walk the tree from the root keeping the chain of open nodes until `node` is reached. */
int dtb_parent(const struct dtb *dt, int node)
{
	int stack[MAX_DEPTH];
	int depth = 0;
	uint32_t off = 0, payload, tok;
	for (;;) {
		uint32_t at = off;
		tok = next_token(dt, &off, &payload);
		if (tok == FDT_BEGIN_NODE) {
			if ((int)at == node)
				return depth > 0 ? stack[depth - 1] : -ENOENT;
			if (depth == MAX_DEPTH)
				return -EINVAL;
			stack[depth++] = (int)at;
		} else if (tok == FDT_END_NODE) {
			if (depth == 0)
				return -EINVAL;
			depth--;
		} else if (tok == FDT_END) {
			return -ENOENT;
		} else if (tok == 0) {
			return -EINVAL;
		}
	}
}

/* Does the node name match a path component ("memory" matches "memory@40000000")? */
static bool name_matches(const char *name, const char *comp, size_t clen)
{
	if (strncmp(name, comp, clen) != 0)
		return false;
	return name[clen] == '\0' || (name[clen] == '@' && !memchr(comp, '@', clen));
}

/* The child of `parent` whose name matches comp, or a negative errno. */
static int find_child(const struct dtb *dt, int parent, const char *comp, size_t clen)
{
	uint32_t off = (uint32_t)parent, payload, tok;
	int depth = 0;
	for (;;) {
		uint32_t at = off;
		tok = next_token(dt, &off, &payload);
		if (tok == FDT_BEGIN_NODE) {
			if (++depth == 2 && name_matches((const char *)dt->blob + dt->off_struct +
							 payload, comp, clen))
				return (int)at;
			if (depth > MAX_DEPTH)
				return -EINVAL;
		} else if (tok == FDT_END_NODE) {
			if (--depth == 0)
				return -ENOENT;
		} else if (tok == FDT_END) {
			return -ENOENT;
		} else if (tok == 0) {
			return -EINVAL;
		}
	}
}

int dtb_path(const struct dtb *dt, const char *path)
{
	int node = next_node(dt, -1);
	if (node < 0 || path[0] != '/')
		return node < 0 ? node : -EINVAL;
	const char *p = path + 1;
	while (*p && node >= 0) {
		size_t clen = 0;
		while (p[clen] && p[clen] != '/')
			clen++;
		if (clen)
			node = find_child(dt, node, p, clen);
		p += clen;
		if (*p == '/')
			p++;
	}
	return node;
}

int dtb_reg(const struct dtb *dt, int node, unsigned index, uint64_t *addr, uint64_t *size)
{
	int parent = dtb_parent(dt, node);
	uint32_t ac = parent >= 0 ? dtb_prop_u32(dt, parent, "#address-cells", 2) : 2;
	uint32_t sc = parent >= 0 ? dtb_prop_u32(dt, parent, "#size-cells", 1) : 1;
	uint32_t len;
	const uint8_t *p = dtb_prop(dt, node, "reg", &len);
	if (!p || ac > 2 || sc > 2 || ac == 0)
		return -ENOENT;
	uint32_t stride = 4 * (ac + sc);
	if (((uint64_t)index + 1) * stride > len)
		return -ENOENT;
	p += index * stride;
	*addr = dtb_cells(p, ac);
	*size = sc ? dtb_cells(p + 4 * ac, sc) : 0;
	return 0;
}
