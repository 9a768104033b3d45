// Why this shim exists: the encode worker (and only it) links FFmpeg's codec libraries and
// libva; this header is the single place their C API enters Swift.
#ifndef EDGELIVE_CFFMPEG_SHIM_H
#define EDGELIVE_CFFMPEG_SHIM_H
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/hwcontext.h>
#include <libavutil/hwcontext_vaapi.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
#include <va/va.h>
#include <va/va_drm.h>
#endif
