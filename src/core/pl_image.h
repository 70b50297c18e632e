/* Image buffers: float, channel-major (CHW).
 *
 * Value ranges: images read from or written to files are in [0,1]; the model and the
 * forward operators work in the model range [-1,1] (as LDM and the public PSLD code do).
 * pl_image_to_model_range()/pl_image_to_unit_range() convert in place. Metrics take [0,1].
 */
#pragma once
#include <glib.h>
#include <stddef.h>

G_BEGIN_DECLS

#define PL_IMAGE_ERROR (pl_image_error_quark())
GQuark pl_image_error_quark(void);

typedef enum {
  PL_IMAGE_ERROR_IO,          /* cannot open / read / write the file */
  PL_IMAGE_ERROR_FORMAT,      /* not a PNG/JPEG, truncated or corrupt data */
  PL_IMAGE_ERROR_TOO_LARGE,   /* larger than PL_IMAGE_MAX_SIDE on a side */
  PL_IMAGE_ERROR_INVALID,     /* bad arguments (sizes, channel counts) */
} PlImageError;

/* Largest accepted side of a decoded file; larger files are refused with
 * PL_IMAGE_ERROR_TOO_LARGE before any pixel buffer is allocated. */
#define PL_IMAGE_MAX_SIDE 8192
/* Largest PNG text chunk read (and largest ancillary chunk libpng may allocate): the
 * parameters we write are about 2 KB, 0.35 MB with a drawn 256 x 256 mask. */
#define PL_PNG_TEXT_MAX_BYTES (16 * 1024 * 1024) /* 16 MiB, named in messages */

typedef struct {
  int c, h, w;   /* channels (1 or 3), height, width */
  float *data;   /* c*h*w floats, plane after plane */
} PlImage;

PlImage *pl_image_new(int c, int h, int w);             /* zero-filled; NULL on bad size */
PlImage *pl_image_copy(const PlImage *img);
void pl_image_free(PlImage *img);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PlImage, pl_image_free)

static inline size_t pl_image_len(const PlImage *img) { return (size_t)img->c * img->h * img->w; }
static inline float *pl_image_plane(const PlImage *img, int ch) { return img->data + (size_t)ch * img->h * img->w; }

void pl_image_to_model_range(PlImage *img);  /* x -> 2x - 1 */
void pl_image_to_unit_range(PlImage *img);   /* x -> (x + 1) / 2 */
void pl_image_clamp(PlImage *img, float lo, float hi);

/* Decode PNG (8/16-bit, any colour type, alpha composited on white) or JPEG into a
 * 3-channel [0,1] image. Clear GError for unreadable, truncated, empty or oversize files. */
PlImage *pl_image_load(const char *path, GError **error);

/* Text chunks (tEXt) of a PNG file, key -> value; NULL with error if not a PNG. */
GHashTable *pl_image_read_png_text(const char *path, GError **error);

/* Write an 8-bit RGB (c=3) or grey (c=1) PNG from a [0,1] image (clamped), with optional
 * text chunks (NULL-terminated key/value arrays, may be NULL). Written atomically:
 * to a temporary file in the same folder, then renamed over the target. */
gboolean pl_image_save_png(const PlImage *img, const char *path,
                           const char *const *keys, const char *const *values,
                           GError **error);

/* 8-bit RGBA conversion for display (alpha 255), [0,1] input clamped; out has h*w*4 bytes.
 * Row stride = 4*w. Channel 1 images are shown grey. */
void pl_image_to_rgba8(const PlImage *img, guint8 *out);

typedef enum {
  PL_FIT_CENTER_CROP,  /* crop the central square, then resize (default) */
  PL_FIT_STRETCH,      /* resize without keeping the aspect ratio */
  PL_FIT_PAD,          /* fit inside, pad with white */
} PlFitMode;

/* Resize to size x size (antialiased bicubic, MATLAB imresize style) after fitting. */
PlImage *pl_image_fit_square(const PlImage *img, int size, PlFitMode mode);
const char *pl_fit_mode_name(PlFitMode mode);

G_END_DECLS
