/*
 * drivers/pci_msix.c: MSI-X for PCI functions (PCI Local Bus 3.0 / PCIe base spec, "MSI-X
 * capability"), on top of the port's message-signalled interrupts (arch_msi_alloc).
 *
 * Capability (id 0x11): message control at +2 (bits 10:0 table size - 1, bit 14 function mask,
 * bit 15 MSI-X enable), table offset/BIR at +4 and PBA offset/BIR at +8 (BIR = the BAR in bits
 * 2:0, offset in the rest, 8-byte aligned). The table is an array of 16-byte entries in that
 * memory BAR: message address low and high, message data, vector control (bit 0 masks the
 * entry; a masked entry's messages are held in the PBA and sent on unmask). Entries are
 * written with 32-bit accesses. Config space is written 32 bits at a time here too, so the
 * message control word goes out together with the read-only id/next half of its dword.
 *
 * Enabling follows the order the specifications (and Linux) use: function mask and enable
 * together, program the entries masked, drop the function mask, then set INTx disable in the
 * command register (with MSI-X on the function sends no INTx anyway; the bit makes it explicit).
 * Entries stay masked until pci_msix_register has a handler in place, so no message can
 * arrive at a vector nobody handles. The port's platform number for each entry comes from
 * arch_msi_alloc with the function's requester id (bus << 8 | dev << 3 | fn).
 *
 * "pci.nomsi" on the command line (read once) hides every MSI-X capability, which is how the
 * INTx paths stay tested. Locking: like the rest of pci.c, setup runs at probe time on one CPU.
 */
#include "arch/arch.h"
#include "core/cmdline.h"
#include "core/errno.h"
#include "core/irq.h"
#include "core/kprintf.h"
#include "core/vmap.h"
#include "drivers/pci.h"

#define MSIX_CTRL 2
#define MSIX_TABLE 4
#define MSIX_CTRL_SIZE_MASK 0x7ffu
#define MSIX_CTRL_FUNC_MASK (1u << 14)
#define MSIX_CTRL_ENABLE (1u << 15)
#define MSIX_BIR_MASK 7u

#define ENTRY_SIZE 16
#define ENTRY_ADDR_LO 0
#define ENTRY_ADDR_HI 4
#define ENTRY_DATA 8
#define ENTRY_VCTRL 12
#define VCTRL_MASKED 1u

static int nomsi = -1; /* -1 until the command line has been read */

static bool msi_forbidden(void)
{
	if (nomsi < 0) {
		char v[4];
		const struct boot_info *bi = kernel_boot_info();
		nomsi = bi && cmdline_get(bi->cmdline, "pci.nomsi", v, sizeof(v));
		if (nomsi)
			pr_info("pci: MSI-X disabled by pci.nomsi: drivers use INTx\n");
	}
	return nomsi;
}

static unsigned table_size(const struct pci_dev *d, unsigned cap)
{
	return (pci_cfg_read16(d, cap + MSIX_CTRL) & MSIX_CTRL_SIZE_MASK) + 1;
}

/* The table's BAR and offset, if the whole table lies inside an assigned memory BAR. */
static bool table_location(const struct pci_dev *d, unsigned cap, unsigned *bar, uint32_t *off)
{
	uint32_t t = pci_cfg_read32(d, cap + MSIX_TABLE);
	*bar = t & MSIX_BIR_MASK;
	*off = t & ~MSIX_BIR_MASK;
	if (*bar >= PCI_NUM_BARS)
		return false;
	const struct pci_bar *b = &d->bar[*bar];
	uint64_t bytes = (uint64_t)table_size(d, cap) * ENTRY_SIZE;
	return !b->io && b->base && b->size && *off + bytes <= b->size;
}

unsigned pci_msix_count(struct pci_dev *d)
{
	unsigned cap = pci_find_cap(d, PCI_CAP_MSIX, 0), bar;
	uint32_t off;
	if (!cap || msi_forbidden() || !table_location(d, cap, &bar, &off))
		return 0;
	unsigned n = table_size(d, cap);
	return n < PCI_MSIX_MAX_VECTORS ? n : PCI_MSIX_MAX_VECTORS;
}

static void write_ctrl(const struct pci_dev *d, unsigned cap, uint16_t ctrl)
{
	uint32_t dw = pci_cfg_read32(d, cap);
	pci_cfg_write32(d, cap, (dw & 0xffffu) | (uint32_t)ctrl << 16);
}

static volatile uint8_t *entry(const struct pci_dev *d, unsigned vec)
{
	return d->msix.table + (size_t)vec * ENTRY_SIZE;
}

static void free_msis(const unsigned *irq, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		arch_msi_free(irq[i]);
}

/* A platform MSI for each of nvec entries; on failure none is kept. */
static int alloc_msis(const struct pci_dev *d, unsigned nvec, unsigned *irq, uint64_t *addr,
		      uint32_t *data)
{
	unsigned rid = (unsigned)d->bus << 8 | (unsigned)d->dev << 3 | d->fn;
	for (unsigned i = 0; i < nvec; i++) {
		int err = arch_msi_alloc(rid, &irq[i], &addr[i], &data[i]);
		if (err) {
			free_msis(irq, i);
			return err;
		}
	}
	return 0;
}

static void program_entries(struct pci_dev *d, unsigned cap, unsigned nvec,
			    const uint64_t *addr, const uint32_t *data)
{
	uint16_t ctrl = pci_cfg_read16(d, cap + MSIX_CTRL);
	write_ctrl(d, cap, ctrl | MSIX_CTRL_ENABLE | MSIX_CTRL_FUNC_MASK);
	for (unsigned i = 0; i < nvec; i++) {
		volatile uint8_t *e = entry(d, i);
		mmio_write32(e + ENTRY_VCTRL, mmio_read32(e + ENTRY_VCTRL) | VCTRL_MASKED);
		mmio_write32(e + ENTRY_ADDR_LO, (uint32_t)addr[i]);
		mmio_write32(e + ENTRY_ADDR_HI, (uint32_t)(addr[i] >> 32));
		mmio_write32(e + ENTRY_DATA, data[i]);
	}
	write_ctrl(d, cap, (ctrl | MSIX_CTRL_ENABLE) & ~MSIX_CTRL_FUNC_MASK);
	pci_command_update(d, PCI_CMD_INTX_DISABLE, 0);
}

int pci_msix_enable(struct pci_dev *d, unsigned nvec)
{
	unsigned cap = pci_find_cap(d, PCI_CAP_MSIX, 0), bar, irq[PCI_MSIX_MAX_VECTORS];
	uint64_t addr[PCI_MSIX_MAX_VECTORS];
	uint32_t data[PCI_MSIX_MAX_VECTORS], off;
	if (d->msix.nvec)
		return -EBUSY;
	if (nvec == 0 || nvec > pci_msix_count(d) || !table_location(d, cap, &bar, &off))
		return -ENODEV;
	uint8_t *base = pci_map_bar(d, bar);
	if (!base)
		return -ENOMEM;
	int err = alloc_msis(d, nvec, irq, addr, data);
	if (err)
		return err;
	d->msix.table = base + off;
	program_entries(d, cap, nvec, addr, data);
	for (unsigned i = 0; i < nvec; i++)
		d->msix.irq[i] = irq[i];
	d->msix.nvec = nvec;
	d->irq_mode = PCI_IRQ_MSIX;
	pr_info("pci %02x:%02x.%x: MSI-X on, %u of %u entries, interrupts %u-%u\n", d->bus,
		d->dev, d->fn, nvec, table_size(d, cap), irq[0], irq[nvec - 1]);
	return 0;
}

int pci_msix_register(struct pci_dev *d, unsigned vec, irq_handler_t handler, void *ctx)
{
	if (vec >= d->msix.nvec)
		return -EINVAL;
	int err = irq_register(d->msix.irq[vec], IRQ_EDGE, handler, ctx);
	if (err)
		return err;
	volatile uint8_t *e = entry(d, vec);
	mmio_write32(e + ENTRY_VCTRL, mmio_read32(e + ENTRY_VCTRL) & ~VCTRL_MASKED);
	(void)mmio_read32(e + ENTRY_VCTRL); /* the unmask has reached the device */
	return 0;
}

void pci_msix_disable(struct pci_dev *d)
{
	unsigned cap = pci_find_cap(d, PCI_CAP_MSIX, 0);
	if (!d->msix.nvec || !cap)
		return;
	for (unsigned i = 0; i < d->msix.nvec; i++)
		mmio_write32(entry(d, i) + ENTRY_VCTRL, VCTRL_MASKED);
	write_ctrl(d, cap, pci_cfg_read16(d, cap + MSIX_CTRL) & ~MSIX_CTRL_ENABLE);
	free_msis(d->msix.irq, d->msix.nvec);
	d->msix.nvec = 0;
	d->irq_mode = PCI_IRQ_NONE;
	pr_info("pci %02x:%02x.%x: MSI-X off again\n", d->bus, d->dev, d->fn);
}

int pci_msix_irq(const struct pci_dev *d, unsigned vec)
{
	return vec < d->msix.nvec ? (int)d->msix.irq[vec] : -ENOENT;
}
