"""Pixel-level transforms on PIL images: the Blur+JPEG augmentation of Wang et al. 2020 and the
error-level-analysis (ELA) input of the CASIA v2 ELA+CNN detectors.

Every random choice comes from the ``random.Random`` passed in, seeded per sample and epoch by
the dataset, so a resumed run sees exactly the augmentations the interrupted one would have.
"""
import io

from PIL import Image, ImageChops, ImageFilter, ImageOps

from .split import DataError


def load_rgb(path):
    """Decodes like the app's ingest: EXIF orientation applied, transparency flattened onto
    white, 8-bit RGB. The detector sees the same pixels at training and at inference."""
    try:
        with Image.open(path) as img:
            img.seek(0)
            img = ImageOps.exif_transpose(img)
            if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
                rgba = img.convert("RGBA")
                white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                img = Image.alpha_composite(white, rgba)
            return img.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise DataError("cannot decode training image %s (%s); remove it or replace it" % (path, err))


def jpeg_roundtrip(img, quality):
    """Baseline JPEG with 4:2:0 chroma and the standard IJG tables: the same encoder settings
    the app's ELA uses with sharp (libjpeg-turbo on both sides)."""
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=int(quality), subsampling=2, optimize=False)
    buf.seek(0)
    with Image.open(buf) as out:
        return out.convert("RGB")


def _amplification_lut(scale):
    # min(255, round-half-up(level * scale)), as src/main/analysis/amplify.ts.
    return [min(255, int(level * scale + 0.5)) for level in range(256)]


def ela_image(img, quality, scale):
    """|pixels - JPEG(pixels, quality)| per channel, amplified by ``scale`` and clamped."""
    diff = ImageChops.difference(img, jpeg_roundtrip(img, quality))
    return diff.point(_amplification_lut(scale) * 3)


def blur_jpeg(img, rng, blur, jpeg):
    """Wang et al.: with probability p each, a Gaussian blur of sigma ~ U[sigma] and a JPEG
    re-compression at quality ~ U{quality}. Teaches the detector to survive what social media
    does to pictures instead of keying on pristine high-frequency traces."""
    if blur["p"] > 0 and rng.random() < blur["p"]:
        sigma = rng.uniform(blur["sigma"][0], blur["sigma"][1])
        if sigma > 0:
            img = img.filter(ImageFilter.GaussianBlur(radius=sigma))
    if jpeg["p"] > 0 and rng.random() < jpeg["p"]:
        quality = rng.randint(int(jpeg["quality"][0]), int(jpeg["quality"][1]))
        img = jpeg_roundtrip(img, quality)
    return img
