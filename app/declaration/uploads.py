"""The one upload service (D17, B3): images only, decided by their content;
decompression bombs refused before decoding; EXIF orientation applied and
all metadata dropped; re-encoded as JPEG under 500 KB (downscaled when
needed, never rejected for size alone); PNG accepted and converted.

Memory stays bounded whatever a phone sends: a JPEG is decoded already
reduced (libjpeg's DCT scaling through `draft()`) to at least the size that
is kept, so a 54 Mpx photo never exists at full size in memory; a PNG cannot
be decoded reduced, so its pixel limit is lower. Then one resize and at most
two JPEG encodes."""
from __future__ import annotations

import io
import math
import threading
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app, has_app_context
from PIL import Image, UnidentifiedImageError

MB = 1024 * 1024
MAX_UPLOAD_BYTES = 40 * MB            # default of UPLOAD_MAX_BYTES: a current phone's largest photo
MAX_JPEG_PIXELS = 200_000_000         # 200 Mpx phones exist; decoded reduced, so memory stays small
MAX_PNG_PIXELS = 13_000_000           # a 12 Mpx phone picture; PNG is decoded in full (~10 bytes a pixel at peak)
TARGET_BYTES = 500 * 1024             # the manual's limit (“小于500K”)
MAX_SIDE = 2000                       # longer side kept: enough for A3 at print size
QUALITY = 85                          # first encode
SECOND_QUALITY = 72                   # second (last planned) encode, with a size made to fit

# Pillow itself refuses at twice this; we check the header before decoding.
Image.MAX_IMAGE_PIXELS = MAX_JPEG_PIXELS

# Pictures decoded at once in one process. Each takes up to ~70 MB at its peak
# (a 12 Mpx PNG ~130 MB); the eight threads of a web worker uploading together
# held 670 MB, two at a time hold 270 MB, and two already keep two cores busy.
DECODES_AT_ONCE = 2
_DECODING = threading.BoundedSemaphore(DECODES_AT_ONCE)


class UploadRefused(ValueError):
    """The file cannot be taken; the message says why, in Chinese."""


@dataclass
class ProcessedImage:
    data: bytes
    width: int
    height: int
    encodes: int = 1


def upload_limit() -> int:
    if has_app_context():
        return int(current_app.config.get("UPLOAD_MAX_BYTES", MAX_UPLOAD_BYTES))
    return MAX_UPLOAD_BYTES


def too_large_message(limit: int | None = None) -> str:
    return f"文件超过{(limit or upload_limit()) // MB}MB，请换一张或先在手机上缩小"


def process_image(source: bytes | BinaryIO) -> ProcessedImage:
    """`source` is the file's bytes or a seekable binary file (an upload's
    stream, so that the bytes are not copied once more)."""
    stream = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if not size:
        raise UploadRefused("文件是空的，请重新选择")
    if size > upload_limit():
        raise UploadRefused(too_large_message())
    with _DECODING:
        return _process(stream)


def _process(stream: BinaryIO) -> ProcessedImage:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(stream, formats=["JPEG", "PNG"])
            _check_pixels(image)
            if image.format == "JPEG":
                # Decode at 1/2, 1/4 or 1/8 when that still leaves MAX_SIDE.
                scale = min(1.0, MAX_SIDE / max(image.size))
                image.draft("RGB", (math.ceil(image.width * scale), math.ceil(image.height * scale)))
            image.load()
    except UploadRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRefused(_pixels_message("JPEG")) from None
    except UnidentifiedImageError:
        raise UploadRefused("只能上传JPG或PNG格式的图片（按文件内容判断，改扩展名无效）") from None
    except (OSError, SyntaxError, ValueError):
        raise UploadRefused("图片文件已损坏或不完整，请重新选择") from None

    exif = image.getexif()
    if image.format != "JPEG":
        # A PNG is in memory at full size: make it small before any copy.
        if image.mode in ("1", "P", "I", "I;16", "F"):
            image = image.convert("RGBA" if _has_alpha(image) else "RGB")
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BICUBIC)
    image = _upright(image, exif)
    if _has_alpha(image):
        # Transparent areas become white, as on paper.
        rgba = image.convert("RGBA")
        image = Image.new("RGB", image.size, "white")
        image.paste(rgba, mask=rgba.getchannel("A"))
    elif image.mode != "RGB":
        image = image.convert("RGB")
    return _encode_under_limit(image)


def _check_pixels(image: Image.Image) -> None:
    limit = MAX_JPEG_PIXELS if image.format == "JPEG" else MAX_PNG_PIXELS
    if image.width * image.height > limit:
        raise UploadRefused(_pixels_message(image.format))


def _pixels_message(fmt: str | None) -> str:
    limit = MAX_JPEG_PIXELS if fmt == "JPEG" else MAX_PNG_PIXELS
    return f"图片像素过大（{'JPG' if fmt == 'JPEG' else 'PNG'}图片不能超过{limit // 10_000}万像素），请缩小后上传"


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


_ORIENTATION = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
                4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
                6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90}


def _upright(image: Image.Image, exif: Image.Exif) -> Image.Image:
    """EXIF orientation (read before the resize) applied to the small image."""
    method = _ORIENTATION.get(exif.get(0x0112, 1))
    return image.transpose(method) if method is not None else image


def _encode(image: Image.Image, quality: int) -> bytes:
    """JPEG with no metadata at all (no EXIF, so no GPS; no ICC, no comment)."""
    image.info.clear()   # a comment or ICC profile would otherwise be written again
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=quality, optimize=image.width * image.height <= 1_500_000)
    return buf.getvalue()


def _encode_under_limit(image: Image.Image) -> ProcessedImage:
    """The first encode is made on the decoded picture and, when the picture
    is small enough already and fits, it is the result. Otherwise its size
    tells the one resize to make: JPEG size grows about with the pixel count
    (a smaller picture has denser detail, hence the margin), and the second
    encode is the result. Only a pathological picture needs a third."""
    data = _encode(image, QUALITY)
    encodes, quality = 1, QUALITY
    while True:
        keep = min(1.0, MAX_SIDE / max(image.size))     # the largest scale allowed
        if keep == 1.0 and len(data) < TARGET_BYTES:
            return ProcessedImage(data, image.width, image.height, encodes)
        if len(data) * keep * keep >= 0.8 * TARGET_BYTES:
            keep = min(keep, 0.9, math.sqrt(0.7 * TARGET_BYTES / len(data)))
            quality = SECOND_QUALITY
        image = image.resize((max(1, round(image.width * keep)), max(1, round(image.height * keep))),
                             Image.Resampling.BICUBIC, reducing_gap=2.0)
        data = _encode(image, quality)
        encodes += 1
        if len(data) < TARGET_BYTES:
            return ProcessedImage(data, image.width, image.height, encodes)
