"""Draws media/icon.png, the extension's marketplace icon: two solutions joined by a straight
path, seen through a lens. Re-run with Debian's Pillow: /usr/bin/python3 media/make_icon.py"""
from pathlib import Path

from PIL import Image, ImageDraw

SCALE = 4  # draw large, then downsample, for smooth edges
size = 128 * SCALE
image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
draw = ImageDraw.Draw(image)
s = lambda v: int(v * SCALE)

draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=s(24), fill=(30, 34, 48, 255))
a, b = (s(30), s(84)), (s(98), s(44))
draw.line((a, b), fill=(200, 205, 220, 255), width=s(6))
draw.ellipse((a[0] - s(14), a[1] - s(14), a[0] + s(14), a[1] + s(14)), fill=(56, 189, 248, 255))
draw.ellipse((b[0] - s(14), b[1] - s(14), b[0] + s(14), b[1] + s(14)), fill=(251, 146, 60, 255))
centre = ((a[0] + b[0]) // 2, (a[1] + b[1]) // 2)
draw.ellipse((centre[0] - s(17), centre[1] - s(17), centre[0] + s(17), centre[1] + s(17)), outline=(255, 255, 255, 255), width=s(5))
draw.line((centre[0] + s(12), centre[1] + s(12), centre[0] + s(26), centre[1] + s(26)), fill=(255, 255, 255, 255), width=s(7))

image.resize((128, 128), Image.LANCZOS).save(Path(__file__).with_name("icon.png"), optimize=True)
