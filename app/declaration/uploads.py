"""The one upload service (D17, B3): images only, decided by their content;
decompression bombs refused before decoding; EXIF orientation applied and
all metadata dropped; re-encoded as JPEG under 500 KB (downscaled when
needed, never rejected for size alone); PNG accepted and converted."""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024   # one file as sent by a phone
MAX_PIXELS = 40_000_000               # 40 Mpx: phone photos pass, a 12000×12000 bomb does not
TARGET_BYTES = 500 * 1024             # the manual's limit (“小于500K”)
MAX_SIDE = 3000                       # longer side after processing

# Pillow itself refuses at twice this; we check the header before decoding.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class UploadRefused(ValueError):
    """The file cannot be taken; the message says why, in Chinese."""


@dataclass
class ProcessedImage:
    data: bytes
    width: int
    height: int


def process_image(raw: bytes) -> ProcessedImage:
    if not raw:
        raise UploadRefused("文件是空的，请重新选择")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise UploadRefused(f"文件超过{MAX_UPLOAD_BYTES // 1024 // 1024}MB，请换一张")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw), formats=["JPEG", "PNG"])
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise UploadRefused("图片像素过大（超过4000万像素），请缩小后上传")
            image.load()
    except UploadRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRefused("图片像素过大（超过4000万像素），请缩小后上传") from None
    except UnidentifiedImageError:
        raise UploadRefused("只能上传JPG或PNG格式的图片（按文件内容判断，改扩展名无效）") from None
    except (OSError, SyntaxError, ValueError):
        raise UploadRefused("图片文件已损坏或不完整，请重新选择") from None

    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L"):
        # Transparent areas become white, as on paper.
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    elif image.mode == "L":
        image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    return _encode_under_limit(image)


def _encode_under_limit(image: Image.Image) -> ProcessedImage:
    """JPEG with no metadata (no EXIF, so no GPS); lower the quality, then the
    size, until it fits under TARGET_BYTES."""
    while True:
        for quality in (85, 75, 65):
            buf = io.BytesIO()
            image.save(buf, format="JPEG", quality=quality, optimize=True)
            if buf.tell() < TARGET_BYTES:
                return ProcessedImage(buf.getvalue(), image.width, image.height)
        image = image.resize((max(1, int(image.width * 0.8)), max(1, int(image.height * 0.8))),
                             Image.Resampling.LANCZOS)
