/* picture: spectrograms and mask drawn with cairo (see picture.h). */
#include "picture.h"

#include <cairo.h>
#include <fftw3.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { PANEL_INPUT, PANEL_MASK, PANEL_OUTPUT, PANELS };

/* Layout in pixels: one column of panels, axis labels left and below, colour bars
 * right. The plot width equals PICTURE_COLS_MAX so a long file maps a column a pixel.
 * tests/test-offline.py reads pixels at these positions. */
#define MARGIN_LEFT 80
#define MARGIN_TOP 16
#define TITLE_H 26
#define PLOT_H 220
#define TICKS_H 34
#define PLOT_W PICTURE_COLS_MAX
#define BAR_X (MARGIN_LEFT + PLOT_W + 24)
#define BAR_W 18
#define SPECTRUM_RANGE_DB 90.0 /* the spectrograms' colour scale spans this much */

/* One signal's STFT, as the engine frames it: at each hop boundary, the newest fft
 * samples of every channel. */
struct analyzer {
  float *hist;    /* channels x fft: per channel the fft newest samples, oldest first */
  size_t since;   /* frames collected since the last frame, < hop */
  long long hops; /* frames analysed so far */
};

struct picture {
  int rate, channels, fft, hop, bins, cols, rows;
  long long total_hops;
  double duration_s;
  int *row_of_bin;         /* bins: display row of each bin (0 = lowest frequency) */
  int *bins_in_row;        /* rows */
  float *window;           /* fft: Hann */
  float *fft_in;           /* fft: windowed samples */
  fftwf_complex *fft_out;  /* bins */
  fftwf_plan plan;
  float full_scale_power;  /* peak-bin power of a full-scale sine through the window */
  struct analyzer an[2];   /* the input and the output */
  double *sum[PANELS];     /* cols x rows: power (spectra) or gain (mask), summed */
  long long *count[PANELS]; /* cols: how many frames (and channels) each column holds */
};

struct picture *picture_create(int rate, int channels, int fft, int hop,
                               long long total_frames, char *err, size_t errlen) {
  struct picture *p = calloc(1, sizeof *p);
  if (!p) goto oom;
  p->rate = rate;
  p->channels = channels;
  p->fft = fft;
  p->hop = hop;
  p->bins = fft / 2 + 1;
  p->total_hops = total_frames / hop;
  p->duration_s = (double)total_frames / rate;
  p->cols = p->total_hops < PICTURE_COLS_MAX ? (int)p->total_hops : PICTURE_COLS_MAX;
  if (p->cols < 1) p->cols = 1;
  p->rows = p->bins < PICTURE_ROWS_MAX ? p->bins : PICTURE_ROWS_MAX;
  size_t cells = (size_t)p->cols * p->rows;
  if (!(p->row_of_bin = calloc(p->bins, sizeof(int))) ||
      !(p->bins_in_row = calloc(p->rows, sizeof(int))) ||
      !(p->window = calloc(fft, sizeof(float))) ||
      !(p->fft_in = fftwf_alloc_real(fft)) || !(p->fft_out = fftwf_alloc_complex(p->bins)))
    goto oom;
  for (int i = 0; i < PANELS; i++)
    if (!(p->sum[i] = calloc(cells, sizeof(double))) ||
        !(p->count[i] = calloc(p->cols, sizeof(long long))))
      goto oom;
  for (int i = 0; i < 2; i++)
    if (!(p->an[i].hist = calloc((size_t)channels * fft, sizeof(float)))) goto oom;
  if (!(p->plan = fftwf_plan_dft_r2c_1d(fft, p->fft_in, p->fft_out, FFTW_ESTIMATE))) goto oom;
  double wsum = 0;
  for (int i = 0; i < fft; i++) {
    p->window[i] = (float)(0.5 - 0.5 * cos(2 * M_PI * i / fft));
    wsum += p->window[i];
  }
  p->full_scale_power = (float)(wsum / 2 * wsum / 2);
  for (int k = 0; k < p->bins; k++) {
    p->row_of_bin[k] = (int)((long long)k * p->rows / p->bins);
    p->bins_in_row[p->row_of_bin[k]]++;
  }
  return p;
oom:
  snprintf(err, errlen, "out of memory for the spectrogram");
  picture_destroy(p);
  return NULL;
}

void picture_destroy(struct picture *p) {
  if (!p) return;
  if (p->plan) fftwf_destroy_plan(p->plan);
  for (int i = 0; i < 2; i++) free(p->an[i].hist);
  for (int i = 0; i < PANELS; i++) {
    free(p->sum[i]);
    free(p->count[i]);
  }
  fftwf_free(p->fft_in);
  fftwf_free(p->fft_out);
  free(p->window);
  free(p->bins_in_row);
  free(p->row_of_bin);
  free(p);
}

static int col_of_hop(const struct picture *p, long long hop_index) {
  return (int)(hop_index * p->cols / p->total_hops);
}

/* The spectrum of the analyzer's newest fft samples, power averaged over channels,
 * added to its panel's column. */
static void analyze_frame(struct picture *p, struct analyzer *a, int panel) {
  double *col = p->sum[panel] + (size_t)col_of_hop(p, a->hops) * p->rows;
  for (int c = 0; c < p->channels; c++) {
    const float *h = a->hist + (size_t)c * p->fft;
    for (int i = 0; i < p->fft; i++) p->fft_in[i] = h[i] * p->window[i];
    fftwf_execute(p->plan);
    for (int k = 0; k < p->bins; k++) {
      double re = p->fft_out[k][0], im = p->fft_out[k][1];
      col[p->row_of_bin[k]] += (re * re + im * im) / p->channels;
    }
  }
  p->count[panel][col_of_hop(p, a->hops)]++;
}

static void add_frames(struct picture *p, struct analyzer *a, int panel, const float *x,
                       size_t frames) {
  const int ch = p->channels, keep = p->fft - p->hop;
  for (size_t f = 0; f < frames && a->hops < p->total_hops; f++) {
    for (int c = 0; c < ch; c++)
      a->hist[(size_t)c * p->fft + keep + a->since] = x[f * ch + c];
    if (++a->since < (size_t)p->hop) continue;
    analyze_frame(p, a, panel);
    a->hops++;
    a->since = 0;
    for (int c = 0; c < ch; c++) {
      float *h = a->hist + (size_t)c * p->fft;
      memmove(h, h + p->hop, keep * sizeof(float));
    }
  }
}

void picture_add_input(struct picture *p, const float *in, size_t frames) {
  add_frames(p, &p->an[0], PANEL_INPUT, in, frames);
}

void picture_add_output(struct picture *p, const float *out, size_t frames) {
  add_frames(p, &p->an[1], PANEL_OUTPUT, out, frames);
}

void picture_add_mask(struct picture *p, long long hop_index, const float *gain) {
  if (hop_index < 0 || hop_index >= p->total_hops) return;
  int c = col_of_hop(p, hop_index);
  double *col = p->sum[PANEL_MASK] + (size_t)c * p->rows;
  for (int k = 0; k < p->bins; k++) col[p->row_of_bin[k]] += gain[k];
  p->count[PANEL_MASK][c]++;
}

/* A cell's value in dB: power relative to a full-scale sine, or the mask's amplitude
 * gain. NAN where no frame fell (cannot happen once the whole file went through). */
static double cell_db(const struct picture *p, int panel, int col, int row) {
  long long n = p->count[panel][col] * p->bins_in_row[row];
  if (n == 0) return NAN;
  double mean = p->sum[panel][(size_t)col * p->rows + row] / (double)n;
  if (panel == PANEL_MASK) return 20 * log10(mean + 1e-10);
  return 10 * log10(mean / p->full_scale_power + 1e-20);
}

/* A perceptually ordered dark-to-bright colour map (inferno-like), t in [0, 1]. */
static const double cmap[][3] = {{0.00, 0.00, 0.02}, {0.34, 0.06, 0.43}, {0.74, 0.22, 0.33},
                                 {0.98, 0.56, 0.04}, {0.99, 1.00, 0.64}};
#define CMAP_N ((int)(sizeof cmap / sizeof cmap[0]))

static void colour(double t, double rgb[3]) {
  if (!(t > 0)) t = 0;
  if (t > 1) t = 1;
  double x = t * (CMAP_N - 1);
  int i = x >= CMAP_N - 1 ? CMAP_N - 2 : (int)x;
  double f = x - i;
  for (int j = 0; j < 3; j++) rgb[j] = cmap[i][j] + (cmap[i + 1][j] - cmap[i][j]) * f;
}

/* A tick step of 1, 2 or 5 times a power of ten giving at most about `ticks` ticks. */
static double nice_step(double span, int ticks) {
  double raw = span / ticks, mag = pow(10, floor(log10(raw)));
  double norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
}

static void text(cairo_t *cr, double x, double y, double align_x, double align_y,
                 const char *s) {
  cairo_text_extents_t ext;
  cairo_text_extents(cr, s, &ext);
  cairo_move_to(cr, x - ext.width * align_x - ext.x_bearing,
                y - ext.height * align_y - ext.y_bearing);
  cairo_show_text(cr, s);
}

/* Paints one panel's cells into the plot rectangle at (x, y). Returns 0, or -1 when the
 * cells' image cannot be made (out of memory). */
static int draw_cells(cairo_t *cr, const struct picture *p, int panel, double lo_db,
                       double hi_db, double x, double y) {
  cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, p->cols, p->rows);
  if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(img);
    return -1;
  }
  cairo_surface_flush(img);
  unsigned char *px = cairo_image_surface_get_data(img);
  int stride = cairo_image_surface_get_stride(img);
  for (int r = 0; r < p->rows; r++) {
    uint32_t *line = (uint32_t *)(px + (size_t)(p->rows - 1 - r) * stride);
    for (int c = 0; c < p->cols; c++) {
      double rgb[3];
      colour((cell_db(p, panel, c, r) - lo_db) / (hi_db - lo_db), rgb);
      line[c] = (uint32_t)lrint(rgb[0] * 255) << 16 | (uint32_t)lrint(rgb[1] * 255) << 8 |
                (uint32_t)lrint(rgb[2] * 255);
    }
  }
  cairo_surface_mark_dirty(img);

  /* Hop h's frame covers the fft samples up to (h + 1) * hop; place its column at the
   * frame's centre so events line up with the time axis. */
  double t0_s = (p->hop - p->fft / 2.0 - p->hop / 2.0) / p->rate;
  double t1_s = t0_s + (double)p->total_hops * p->hop / p->rate;
  if (p->total_hops == 0) t1_s = p->duration_s;
  double px_per_s = PLOT_W / p->duration_s;
  cairo_save(cr);
  cairo_rectangle(cr, x, y, PLOT_W, PLOT_H);
  cairo_clip(cr);
  cairo_translate(cr, x + t0_s * px_per_s, y);
  cairo_scale(cr, (t1_s - t0_s) * px_per_s / p->cols, (double)PLOT_H / p->rows);
  cairo_set_source_surface(cr, img, 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
  cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
  cairo_paint(cr);
  cairo_restore(cr);
  cairo_surface_destroy(img);
  return 0;
}

/* Axes: frame, time ticks below, frequency ticks left, colour bar right. */
static void draw_axes(cairo_t *cr, const struct picture *p, double lo_db, double hi_db,
                      const char *bar_unit, double x, double y) {
  char label[32];
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, x - 0.5, y - 0.5, PLOT_W + 1, PLOT_H + 1);
  cairo_stroke(cr);
  cairo_set_font_size(cr, 12);

  double step_s = nice_step(p->duration_s, 12);
  for (double t = 0; t <= p->duration_s + 1e-9; t += step_s) {
    double tx = x + t / p->duration_s * PLOT_W;
    cairo_move_to(cr, tx, y + PLOT_H);
    cairo_line_to(cr, tx, y + PLOT_H + 5);
    cairo_stroke(cr);
    snprintf(label, sizeof label, "%g", round(t / step_s) * step_s);
    text(cr, tx, y + PLOT_H + 8, 0.5, 0, label);
  }

  double nyq_khz = p->rate / 2000.0, step_khz = nice_step(nyq_khz, 5);
  for (double f = 0; f <= nyq_khz + 1e-9; f += step_khz) {
    double fy = y + PLOT_H - f / nyq_khz * PLOT_H;
    cairo_move_to(cr, x - 5, fy);
    cairo_line_to(cr, x, fy);
    cairo_stroke(cr);
    snprintf(label, sizeof label, "%g", round(f / step_khz) * step_khz);
    text(cr, x - 8, fy, 1, 0.5, label);
  }
  cairo_save(cr);
  cairo_translate(cr, MARGIN_LEFT - 48, y + PLOT_H / 2.0);
  cairo_rotate(cr, -M_PI / 2);
  text(cr, 0, 0, 0.5, 0.5, "frequency (kHz)");
  cairo_restore(cr);

  cairo_pattern_t *grad = cairo_pattern_create_linear(0, y + PLOT_H, 0, y);
  for (int i = 0; i < CMAP_N; i++)
    cairo_pattern_add_color_stop_rgb(grad, (double)i / (CMAP_N - 1), cmap[i][0], cmap[i][1],
                                     cmap[i][2]);
  cairo_rectangle(cr, BAR_X, y, BAR_W, PLOT_H);
  cairo_set_source(cr, grad);
  cairo_fill(cr);
  cairo_pattern_destroy(grad);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_rectangle(cr, BAR_X - 0.5, y - 0.5, BAR_W + 1, PLOT_H + 1);
  cairo_stroke(cr);
  double step_db = nice_step(hi_db - lo_db, 6);
  for (double d = ceil(lo_db / step_db) * step_db; d <= hi_db + 1e-9; d += step_db) {
    double dy = y + PLOT_H - (d - lo_db) / (hi_db - lo_db) * PLOT_H;
    cairo_move_to(cr, BAR_X + BAR_W, dy);
    cairo_line_to(cr, BAR_X + BAR_W + 4, dy);
    cairo_stroke(cr);
    snprintf(label, sizeof label, "%g", d);
    text(cr, BAR_X + BAR_W + 7, dy, 0, 0.5, label);
  }
  text(cr, BAR_X + BAR_W / 2.0, y - 6, 0.5, 1, bar_unit);
}

/* The dB range of a panel's cells: [min, max] over all cells. */
static void cells_range(const struct picture *p, int panel, double *lo, double *hi) {
  *lo = INFINITY;
  *hi = -INFINITY;
  for (int c = 0; c < p->cols; c++)
    for (int r = 0; r < p->rows; r++) {
      double v = cell_db(p, panel, c, r);
      if (v < *lo) *lo = v;
      if (v > *hi) *hi = v;
    }
}

static cairo_status_t write_to_file(void *closure, const unsigned char *data,
                                    unsigned int length) {
  return fwrite(data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS
                                                    : CAIRO_STATUS_WRITE_ERROR;
}

int picture_write_png(const struct picture *p, FILE *f, const char *input_name,
                      const char *output_name, char *err, size_t errlen) {
  /* Both spectrograms on one scale from the loudest cell down SPECTRUM_RANGE_DB; the
   * mask from its deepest cut (at least 10 dB, rounded to 10 dB) up to 0 dB. */
  double lo, hi, lo2, hi2, spec_hi, mask_lo;
  cells_range(p, PANEL_INPUT, &lo, &hi);
  cells_range(p, PANEL_OUTPUT, &lo2, &hi2);
  spec_hi = isfinite(fmax(hi, hi2)) ? ceil(fmax(hi, hi2) / 10) * 10 : 0;
  cells_range(p, PANEL_MASK, &lo, &hi);
  mask_lo = isfinite(lo) ? fmin(-10, floor(lo / 10) * 10) : -10;

  const struct {
    int panel;
    const char *title, *name, *unit;
    double lo_db, hi_db;
  } panels[PANELS] = {
      {PANEL_INPUT, "input", input_name, "dBFS", spec_hi - SPECTRUM_RANGE_DB, spec_hi},
      {PANEL_MASK, "gate mask (gain)", NULL, "dB", mask_lo, 0},
      {PANEL_OUTPUT, "output", output_name, "dBFS", spec_hi - SPECTRUM_RANGE_DB, spec_hi},
  };

  cairo_surface_t *s =
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, PICTURE_WIDTH_PX, PICTURE_HEIGHT_PX);
  cairo_t *cr = cairo_create(s);
  int cells_failed = 0;
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  for (int i = 0; i < PANELS; i++) {
    double y = MARGIN_TOP + i * (TITLE_H + PLOT_H + TICKS_H);
    char title[512];
    if (panels[i].name)
      snprintf(title, sizeof title, "%s: %s", panels[i].title, panels[i].name);
    else
      snprintf(title, sizeof title, "%s", panels[i].title);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_font_size(cr, 15);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    text(cr, MARGIN_LEFT, y + TITLE_H - 7, 0, 1, title);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    if (draw_cells(cr, p, panels[i].panel, panels[i].lo_db, panels[i].hi_db, MARGIN_LEFT,
                   y + TITLE_H))
      cells_failed = 1;
    draw_axes(cr, p, panels[i].lo_db, panels[i].hi_db, panels[i].unit, MARGIN_LEFT,
              y + TITLE_H);
  }
  cairo_set_font_size(cr, 13);
  text(cr, MARGIN_LEFT + PLOT_W / 2.0, PICTURE_HEIGHT_PX - 24, 0.5, 1, "time (s)");

  cairo_status_t st = cells_failed ? CAIRO_STATUS_NO_MEMORY : cairo_status(cr);
  if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_write_to_png_stream(s, write_to_file, f);
  cairo_destroy(cr);
  cairo_surface_destroy(s);
  if (st != CAIRO_STATUS_SUCCESS) {
    snprintf(err, errlen, "cannot draw the spectrogram: %s", cairo_status_to_string(st));
    return -1;
  }
  return 0;
}
