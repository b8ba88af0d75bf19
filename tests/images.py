"""Image files for upload tests, made here."""
import io
import zipfile

from PIL import Image


def jpeg(width=800, height=600, color=(200, 60, 50), quality=90, exif=None) -> bytes:
    buf = io.BytesIO()
    image = Image.new("RGB", (width, height), color)
    image.save(buf, format="JPEG", quality=quality, **({"exif": exif} if exif else {}))
    return buf.getvalue()


def noisy_jpeg(width=4032, height=3024) -> bytes:
    """A phone-sized photo that is far over 500 KB (random detail does not compress)."""
    import os
    image = Image.frombytes("RGB", (width // 4, height // 4), os.urandom((width // 4) * (height // 4) * 3))
    image = image.resize((width, height))
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def png(width=400, height=300, mode="RGBA") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (width, height), (20, 120, 200, 128) if mode == "RGBA" else (20, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


def phone_photo_with_gps() -> bytes:
    """A landscape-stored photo whose EXIF says "rotate 90°", with a GPS position."""
    image = Image.new("RGB", (600, 300), (10, 200, 10))
    exif = image.getexif()
    exif[0x0112] = 6                       # Orientation: rotate 90° clockwise to view
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (39.0, 7.0, 0.0), "E", (117.0, 12.0, 0.0)
    buf = io.BytesIO()
    image.save(buf, format="JPEG", exif=exif)
    return buf.getvalue()


def bomb_png() -> bytes:
    """12000×12000 pixels in a small file (a decompression bomb)."""
    buf = io.BytesIO()
    Image.new("1", (12000, 12000), 0).save(buf, "PNG", optimize=True)
    return buf.getvalue()


def fakes() -> dict[str, bytes]:
    """Files that are not images, named x.jpg by whoever sends them."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.txt", "hello")
    return {
        "pdf": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
        "html": b"<html><script>alert(1)</script></html>",
        "svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "zip": archive.getvalue(),
        "truncated_jpeg": jpeg()[:300],
    }


def _noise(width, height, block):
    import os
    small = Image.frombytes("RGB", (width // block, height // block),
                            os.urandom((width // block) * (height // block) * 3))
    return small if block == 1 else small.resize((width, height), Image.Resampling.BILINEAR)


def phone_jpeg(orientation=None) -> bytes:
    """Like a 12 Mpx phone photo (4032×3024, ~4.6 MB): smooth areas, some
    texture, sensor noise; EXIF with a maker, a GPS position and, if given,
    an orientation."""
    width, height = 4032, 3024
    scene = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    scene = Image.blend(scene, _noise(width, height, 8), 0.5)
    scene = Image.blend(scene, Image.effect_noise((width, height), 12).convert("RGB"), 0.15)
    exif = scene.getexif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825).update({1: "N", 2: (39.0, 7.0, 0.0), 3: "E", 4: (117.0, 12.0, 0.0)})
    if orientation:
        exif[0x0112] = orientation
    buf = io.BytesIO()
    scene.save(buf, format="JPEG", quality=95, exif=exif)
    return buf.getvalue()


def huge_phone_jpeg() -> bytes:
    """54 Mpx (9000×6000), about 26 MB: the largest photos of current phones."""
    buf = io.BytesIO()
    _noise(9000, 6000, 4).save(buf, format="JPEG", quality=93)
    return buf.getvalue()


def huge_png() -> bytes:
    """About 27 MB of PNG (noise does not compress), 9.4 Mpx."""
    buf = io.BytesIO()
    _noise(3300, 2860, 1).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def jpeg_claiming(width, height) -> bytes:
    """A small JPEG whose header announces width×height pixels."""
    raw = bytearray(jpeg(16, 16))
    sof = raw.index(b"\xff\xc0")
    raw[sof + 5:sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(raw)
