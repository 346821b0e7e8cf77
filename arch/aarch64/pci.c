/*
 * arch/aarch64/pci.c: PCI INTx routing from the device tree's interrupt-map; MSI DeviceIDs.
 *
 * The ECAM host bridge node (compatible "pci-host-ecam-generic", the one whose reg is
 * boot_info's pci_ecam_base) maps a child interrupt to a GIC interrupt with the standard
 * properties (Devicetree spec 2.4.3, PCI bus binding):
 *   interrupt-map-mask  <phys.hi phys.mid phys.lo pin>, ANDed with the child's specifier;
 *   interrupt-map       entries of <child unit address (#address-cells of the bridge, 3)>
 *                       <child interrupt (#interrupt-cells of the bridge, 1): the pin 1-4>
 *                       <phandle of the parent controller>
 *                       <parent unit address (the parent's #address-cells, 0 if absent)>
 *                       <parent interrupt (the parent's #interrupt-cells)>.
 * The child unit address of bus:dev.fn is phys.hi = bus << 16 | dev << 11 | fn << 8 with
 * phys.mid = phys.lo = 0. QEMU virt's mask is <0x1800 0 0 7> (device number mod 4 and the
 * pin), which gives SPI 3 + (dev + pin - 1) % 4, INTID 35-38, level high (REFERENCE 7).
 * drivers/pci.c applies the bridge swizzle before calling, so only root-bus functions are
 * looked up here.
 *
 * The parent must be a GIC (the only interrupt controller virt has): its node is found among
 * the GIC compatibles by phandle, and its 3-cell specifier <type num flags> decoded like the
 * rest of the port does (boot.c): type 0 SPI = INTID num + 32, type 1 PPI = num + 16; the
 * flags' low nibble 1/2 is edge rising/falling, 4/8 level high/low.
 *
 * MSIs: the same node's msi-map says under which DeviceID the ITS sees each requester id
 * (QEMU virt: <0 its 0 0x10000>, the identity); its.c asks aarch64_pci_msi_devid.
 *
 * The DTB stays where the firmware put it (boot.c reserves it) and is read through the direct
 * map each call: routing is looked up once per device at probe time.
 */
#include "arch/arch.h"
#include "core/dtb.h"
#include "core/errno.h"
#include "core/layout.h"

#include "aarch64.h"

#define DTB_MAX_SIZE (2u << 20)
#define MAX_CELLS 4 /* child unit address + pin */
#define GIC_SPI 0
#define GIC_PPI 1

static const char *const gic_compatibles[] = {"arm,gic-v3", "arm,cortex-a15-gic", "arm,gic-400"};

static int find_host_bridge(const struct dtb *dt, uint64_t ecam_base)
{
	int n = dtb_next_compatible(dt, -1, "pci-host-ecam-generic");
	for (; n >= 0; n = dtb_next_compatible(dt, n, "pci-host-ecam-generic")) {
		uint64_t base, size;
		if (dtb_reg(dt, n, 0, &base, &size) == 0 && base == ecam_base)
			return n;
	}
	return -ENOENT;
}

static int find_gic(const struct dtb *dt, uint32_t phandle)
{
	for (unsigned i = 0; i < sizeof(gic_compatibles) / sizeof(gic_compatibles[0]); i++) {
		const char *c = gic_compatibles[i];
		for (int n = dtb_next_compatible(dt, -1, c); n >= 0; n = dtb_next_compatible(dt, n, c))
			if (dtb_prop_u32(dt, n, "phandle", 0) == phandle)
				return n;
	}
	return -ENOENT;
}

/* A GIC <type num flags> specifier as INTID and IRQ_* flags. */
static int decode_gic(const uint8_t *spec, unsigned *irq, unsigned *flags)
{
	uint32_t type = (uint32_t)dtb_cells(spec, 1), num = (uint32_t)dtb_cells(spec + 4, 1);
	uint32_t trig = (uint32_t)dtb_cells(spec + 8, 1) & 0xf;

	if (type == GIC_SPI)
		*irq = num + 32;
	else if (type == GIC_PPI)
		*irq = num + 16;
	else
		return -ENOENT;
	*flags = (trig & 0xc) ? IRQ_LEVEL : IRQ_EDGE;
	if (trig & 0xa) /* falling edge or level low */
		*flags |= IRQ_ACTIVE_LOW;
	return 0;
}

struct imap {
	const uint8_t *p, *end;
	unsigned cells;                /* child address cells + interrupt cells */
	uint32_t key[MAX_CELLS];       /* the child's specifier, already masked */
	uint32_t mask[MAX_CELLS];
};

/* Walk the interrupt-map until an entry matches the key; decode its parent specifier. */
static int imap_lookup(const struct dtb *dt, struct imap *m, unsigned *irq, unsigned *flags)
{
	while (m->p + 4 * (m->cells + 1) <= m->end) {
		bool match = true;
		for (unsigned i = 0; i < m->cells; i++)
			match &= ((uint32_t)dtb_cells(m->p + 4 * i, 1) & m->mask[i]) == m->key[i];
		int gic = find_gic(dt, (uint32_t)dtb_cells(m->p + 4 * m->cells, 1));
		if (gic < 0)
			return -ENOENT; /* cannot size the entry: give up */
		unsigned pac = dtb_prop_u32(dt, gic, "#address-cells", 0);
		unsigned pic = dtb_prop_u32(dt, gic, "#interrupt-cells", 3);
		const uint8_t *spec = m->p + 4 * (m->cells + 1 + pac);
		if (pic != 3 || spec + 4 * pic > m->end)
			return -ENOENT;
		if (match)
			return decode_gic(spec, irq, flags);
		m->p = spec + 4 * pic;
	}
	return -ENOENT;
}

static int imap_init(const struct dtb *dt, int node, struct imap *m, uint32_t hi, unsigned pin)
{
	uint32_t len, mlen = 0;
	unsigned ac = dtb_prop_u32(dt, node, "#address-cells", 3);
	unsigned ic = dtb_prop_u32(dt, node, "#interrupt-cells", 1);
	const uint8_t *mask = dtb_prop(dt, node, "interrupt-map-mask", &mlen);

	m->p = dtb_prop(dt, node, "interrupt-map", &len);
	if (!m->p || ac != 3 || ic != 1)
		return -ENOENT;
	m->end = m->p + len;
	m->cells = ac + ic;
	const uint32_t child[MAX_CELLS] = {hi, 0, 0, pin};
	for (unsigned i = 0; i < m->cells; i++) {
		m->mask[i] = mask && mlen >= 4 * m->cells ? (uint32_t)dtb_cells(mask + 4 * i, 1)
							   : 0xffffffffu;
		m->key[i] = child[i] & m->mask[i];
	}
	return 0;
}

int arch_pci_intx(unsigned bus, unsigned dev, unsigned fn, unsigned pin, unsigned *irq,
		  unsigned *flags)
{
	const struct boot_info *bi = kernel_boot_info();
	struct dtb dt;
	struct imap m;

	if (pin < 1 || pin > 4 || bus > 255 || dev > 31 || fn > 7)
		return -EINVAL;
	if (!bi || !bi->dtb_phys || dtb_init(&dt, phys_to_virt(bi->dtb_phys), DTB_MAX_SIZE))
		return -ENOENT;
	int node = find_host_bridge(&dt, bi->pci_ecam_base);
	if (node < 0 || imap_init(&dt, node, &m, bus << 16 | dev << 11 | fn << 8, pin))
		return -ENOENT;
	return imap_lookup(&dt, &m, irq, flags);
}

/* ---- MSI DeviceIDs ------------------------------------------------------------------------ */

/* The DeviceID under which the MSI controller with phandle `ctrl` sees requester id rid, from
 * the host bridge's msi-map (PCI MSI binding: <rid-base controller msi-base length> tuples,
 * rid first ANDed with msi-map-mask if present), or rid itself if the bridge names the
 * controller with msi-parent instead. 0, or -ENOENT if no entry maps rid to that controller. */
int aarch64_pci_msi_devid(unsigned rid, uint32_t ctrl, uint32_t *devid)
{
	const struct boot_info *bi = kernel_boot_info();
	struct dtb dt;
	uint32_t len;

	if (!bi || !bi->dtb_phys || dtb_init(&dt, phys_to_virt(bi->dtb_phys), DTB_MAX_SIZE))
		return -ENOENT;
	int node = find_host_bridge(&dt, bi->pci_ecam_base);
	if (node < 0)
		return -ENOENT;
	const uint8_t *map = dtb_prop(&dt, node, "msi-map", &len);
	if (!map) {
		*devid = rid;
		return dtb_prop_u32(&dt, node, "msi-parent", 0) == ctrl ? 0 : -ENOENT;
	}
	rid &= dtb_prop_u32(&dt, node, "msi-map-mask", 0xffffffffu);
	for (uint32_t off = 0; off + 16 <= len; off += 16) {
		uint32_t base = (uint32_t)dtb_cells(map + off, 1);
		uint32_t phandle = (uint32_t)dtb_cells(map + off + 4, 1);
		uint32_t out = (uint32_t)dtb_cells(map + off + 8, 1);
		uint32_t n = (uint32_t)dtb_cells(map + off + 12, 1);
		if (phandle == ctrl && rid >= base && rid - base < n) {
			*devid = out + (rid - base);
			return 0;
		}
	}
	return -ENOENT;
}
