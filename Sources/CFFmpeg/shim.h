// Why this shim exists: the encode worker (and only it) links FFmpeg's codec libraries and
// libva; this header is the single place their C API enters Swift.
#ifndef EDGELIVE_CFFMPEG_SHIM_H
#define EDGELIVE_CFFMPEG_SHIM_H
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libswscale/swscale.h>
#include <va/va.h>
#endif
