// covers: DEV-008
//
// The framebuffer: on /dev/fb0, FBIOGET_VSCREENINFO gives xres and yres > 0 and 24 or 32 bits
// per pixel, and FBIOGET_FSCREENINFO a line length of at least xres * bpp / 8. Janus's QEMU
// machines have no display device, and neither has the Linux reference's fixture tree, so
// where /dev/fb0 does not exist the ID is a SKIP with that reason (BEHAVIOURS.md allows it).
#define _GNU_SOURCE
#include "jtest.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Linux's uapi <linux/fb.h> (musl ships no kernel headers): the two ioctls and the fields
 * the test reads, in their Linux layout. */
#define FBIOGET_VSCREENINFO 0x4600
#define FBIOGET_FSCREENINFO 0x4602
struct fb_var_screeninfo {
	uint32_t xres, yres, xres_virtual, yres_virtual, xoffset, yoffset;
	uint32_t bits_per_pixel, grayscale;
	uint32_t rest[32]; /* bitfields, timings, rotate, colorspace, reserved */
};
struct fb_fix_screeninfo {
	char id[16];
	unsigned long smem_start;
	uint32_t smem_len, type, type_aux, visual;
	uint16_t xpanstep, ypanstep, ywrapstep;
	uint32_t line_length;
	unsigned long mmio_start;
	uint32_t mmio_len, accel;
	uint16_t capabilities, reserved[2];
};

int main(void)
{
	int fd = open("/dev/fb0", O_RDWR);
	if (fd < 0 && (errno == ENOENT || errno == ENODEV || errno == ENXIO)) {
		jt_skip("no /dev/fb0: the machine has no display device");
		jt_behaviour_skip("DEV-008", "no /dev/fb0 (%s): no display device",
				  jt_errname(errno));
		return jt_done();
	}
	jt_mark();
	JT_OK(fd >= 0, "open /dev/fb0");
	struct fb_var_screeninfo var = {0};
	struct fb_fix_screeninfo fix = {0};
	JT_EQ(ioctl(fd, FBIOGET_VSCREENINFO, &var), 0);
	JT_OKV(var.xres > 0 && var.yres > 0, "xres and yres > 0", "%ux%u", var.xres, var.yres);
	JT_OKV(var.bits_per_pixel == 24 || var.bits_per_pixel == 32, "24 or 32 bits per pixel",
	       "bpp %u", var.bits_per_pixel);
	JT_EQ(ioctl(fd, FBIOGET_FSCREENINFO, &fix), 0);
	JT_OKV(fix.line_length >= var.xres * var.bits_per_pixel / 8, "line_length >= xres*bpp/8",
	       "line_length %u", fix.line_length);
	close(fd);
	jt_behaviour("DEV-008", jt_failures_since_mark() == 0, "fb0 geometry sane");
	return jt_done();
}
